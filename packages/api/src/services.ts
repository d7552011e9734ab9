/** Wires the domain services over one database; erasure reaches every component that keeps contact data. */
import { AgentPolicy, isAppError } from '@switchboard/shared';
import type { Db } from './db/db';
import type { Log } from './ops/ops-log';
import type { Scope } from './db/scope';
import { createAgentService } from './agents/agent-service';
import { createChannelService } from './channels/channel-service';
import type { ContactFiles } from './contacts/contact-files';
import { createContactService } from './contacts/contact-service';
import { createInboundService } from './pipeline/inbound-service';
import { createMemoryService } from './memories/memory-service';
import { createOutboxService } from './outbox/outbox-service';
import { releaseAccountClaimsIn } from './outbox/outbox-release';
import { createPairingService } from './pairing/pairing-service';
import { createSessionService } from './sessions/session-service';
import { createMessageFeed } from './sessions/message-feed';
import { createTenantService } from './tenants/tenant-service';
import type { TenantHomes } from './home/tenant-homes';

export type Services = ReturnType<typeof createServices>;

export interface ServiceOptions {
  /** Tells the worker that a turn was queued. */
  wake?: () => void;
  /** The contacts' files under SB_HOME, erased with them (none: rows only). */
  contactFiles?: ContactFiles;
  /** Tenants' trees under SB_HOME, erased with them (none: rows only). */
  tenantHomes?: TenantHomes;
  /** A tenant was erased or its owners changed: remembered sign-ins must be looked up again. */
  onAccessChanged?: () => void;
  log?: Log;
}

export function createServices(db: Db, options: ServiceOptions = {}) {
  const agents = createAgentService({ db });
  const sessions = createSessionService({ db });
  const memories = createMemoryService({ db });
  const channels = createChannelService({ db, releaseClaimsIn: releaseAccountClaimsIn });
  const outbox = createOutboxService({ db, leases: channels });
  const pairing = createPairingService({ db });
  const inbound = createInboundService({ db, wake: options.wake ?? (() => undefined) });
  // Order matters: rows that reference a contact go before the contact itself, and memories go
  // before the events they were remembered from (what a contact said while merged is found there).
  const erasers = [memories.eraseContact, inbound.eraseContact, outbox.eraseContact, pairing.eraseContact, sessions.eraseContact];
  // A resolve with the gateway token is limited like a message to the tenant's `default` agent (or the default limit).
  const newContactRate = async (scope: Scope) => {
    const found = await agents.findForTurn(scope, 'default').catch((error: unknown) => {
      if (isAppError(error, 'not_found')) return { policy: AgentPolicy.parse({}) };
      throw error;
    });
    return found.policy.newContactRate;
  };
  const contacts = createContactService({ db, erasers, files: options.contactFiles, log: options.log, newContactRate });
  const tenants = createTenantService({ db, homes: options.tenantHomes, onAccessChanged: options.onAccessChanged, log: options.log });
  const feed = createMessageFeed({ db });
  return { agents, contacts, sessions, memories, outbox, pairing, inbound, channels, tenants, feed };
}
