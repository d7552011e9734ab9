/** Wires the domain services over one database; erasure reaches every component that keeps contact data. */
import type { Db } from './db/db';
import { createAgentService } from './agents/agent-service';
import { createChannelService } from './channels/channel-service';
import { createContactService } from './contacts/contact-service';
import { createInboundService } from './inbound/inbound-service';
import { createMemoryService } from './memories/memory-service';
import { createOutboxService } from './outbox/outbox-service';
import { createPairingService } from './pairing/pairing-service';
import { createSessionService } from './sessions/session-service';

export type Services = ReturnType<typeof createServices>;

export interface ServiceOptions {
  /** Tells the worker that a turn was queued. */
  wake?: () => void;
}

export function createServices(db: Db, options: ServiceOptions = {}) {
  const agents = createAgentService({ db });
  const sessions = createSessionService({ db });
  const memories = createMemoryService({ db });
  const channels = createChannelService({ db });
  const outbox = createOutboxService({ db, leases: channels });
  const pairing = createPairingService({ db });
  const inbound = createInboundService({ db, agents, findAccountAgent: channels.findAccountAgent, wake: options.wake ?? (() => undefined) });
  // Order matters: rows that reference a contact go before the contact itself.
  const erasers = [inbound.eraseContact, outbox.eraseContact, pairing.eraseContact, sessions.eraseContact, memories.eraseContact];
  const contacts = createContactService({ db, erasers });
  return { agents, contacts, sessions, memories, outbox, pairing, inbound, channels };
}
