/**
 * Sessions and their transcript, as the owner and contacts read them. Turns open, resume and write
 * them in app.open_turn and app.finish_turn; reset closes the open session of a key so the next
 * turn opens a new one, and erasure removes a contact's sessions and what it said.
 */
import { AppError, notFound, type ContactId, type Message, type MessagePage, type Session, type SessionId, type UsageDay } from '@switchboard/shared';
import type { Db, ScopedTx } from '../db/db';
import { scopeContactId, type Scope } from '../db/scope';
import type { ContactEraser } from '../contacts/contact-service';
import * as sessions from './session-repo';
import * as messages from './message-repo';
import { listUsage } from './usage-repo';

export interface ResetRequest extends sessions.SessionKey {
  /** For the owner: whose session (default: the owner's own). A contact may only name itself. */
  contact?: ContactId | 'owner';
}

export type SessionService = ReturnType<typeof createSessionService>;

/** Closes the open session of the key, inside the caller's transaction (the pipeline's `/reset`); the one closed, if any. */
export function closeSessionIn(tx: ScopedTx, key: sessions.SessionKey, contactId: ContactId | null): Promise<Session | undefined> {
  return sessions.closeSession(tx, key, contactId);
}

export function createSessionService(deps: { db: Db }) {
  const { db } = deps;

  /** A page of the transcript: the last `limit` (default 500) messages before the `before` cursor, oldest first. */
  function page(scope: Scope, sessionId: SessionId, options: { before?: string | undefined; limit?: number | undefined } = {}): Promise<MessagePage> {
    return db.transaction(scope, async (tx) => {
      if (!(await sessions.findSession(tx, sessionId))) throw notFound('Session', sessionId);
      return messages.pageMessages(tx, sessionId, { before: options.before, limit: options.limit ?? 500 });
    });
  }

  return {
    /** Ends the open session of the key; returns it, or undefined when none was open. */
    async reset(scope: Scope, request: ResetRequest): Promise<Session | undefined> {
      const contactId = resetTarget(scope, request.contact);
      return db.transaction(scope, (tx) => sessions.closeSession(tx, request, contactId));
    },

    async get(scope: Scope, id: SessionId): Promise<Session> {
      const session = await db.transaction(scope, (tx) => sessions.findSession(tx, id));
      if (!session) throw notFound('Session', id);
      return session;
    },

    list(scope: Scope, filter: { contact?: ContactId | 'owner'; limit?: number } = {}): Promise<Session[]> {
      return db.transaction(scope, (tx) => sessions.listSessions(tx, { ...filter, limit: filter.limit ?? 200 }));
    },

    page,

    /** Turns and tokens per UTC day and contact over the last `days` days, newest first. */
    usage(scope: Scope, query: { days: number; contact?: ContactId | 'owner' | undefined }): Promise<UsageDay[]> {
      return db.transaction(scope, (tx) => listUsage(tx, query));
    },

    /** The transcript's last `limit` (default 500) messages, oldest first. */
    async messages(scope: Scope, sessionId: SessionId, options: { limit?: number } = {}): Promise<Message[]> {
      return (await page(scope, sessionId, options)).messages;
    },

    /**
     * Erasure: the contacts' sessions, their transcripts, what they said in groups or while merged,
     * and the text of other contacts' replies whose turns were shown their memories (redacted).
     */
    eraseContact: (async (tx, contactIds) => {
      const messageCount = await messages.eraseMessages(tx, contactIds);
      const redacted = await messages.redactQuotingMessages(tx, contactIds);
      const sessionCount = await sessions.eraseSessions(tx, contactIds);
      return { sessions: sessionCount, messages: messageCount, redactedReplies: redacted };
    }) satisfies ContactEraser,
  };
}

function resetTarget(scope: Scope, contact: ContactId | 'owner' | undefined): ContactId | null {
  const own = scopeContactId(scope);
  if (scope.principal.kind === 'contact') {
    if (contact !== undefined && contact !== own) throw new AppError('not_found', `Contact ${contact} not found`);
    return own;
  }
  return contact === undefined || contact === 'owner' ? null : contact;
}
