/** Wires the domain services over one database; erasure reaches every component that keeps contact data. */
import type { Db } from './db/db';
import { createAgentService } from './agents/agent-service';
import { createContactService } from './contacts/contact-service';
import { createMemoryService } from './memories/memory-service';
import { createSessionService } from './sessions/session-service';

export type Services = ReturnType<typeof createServices>;

export function createServices(db: Db) {
  const agents = createAgentService({ db });
  const sessions = createSessionService({ db });
  const memories = createMemoryService({ db });
  const contacts = createContactService({ db, erasers: [sessions.eraseContact, memories.eraseContact] });
  return { agents, contacts, sessions, memories };
}
