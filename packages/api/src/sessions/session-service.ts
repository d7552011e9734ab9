/**
 * Sessions and their transcript. A turn opens or resumes the scope's session for (agent, thread);
 * reset closes it so the next turn opens a new one; the provider's own session id is saved with a
 * compare-and-set, so a turn that read a session before a reset can never revive it.
 */
import { AppError, notFound, type ContactId, type Message, type Provider, type Session, type SessionId } from '@switchboard/shared';
import type { Db, ScopedTx } from '../db/db';
import { scopeContactId, type Scope } from '../db/scope';
import type { ContactEraser } from '../contacts/contact-service';
import * as sessions from './session-repo';
import * as messages from './message-repo';

export interface ResetRequest extends sessions.SessionKey {
  /** For the owner: whose session (default: the owner's own). A contact may only name itself. */
  contact?: ContactId | 'owner';
}

export type AppendResult = { duplicate: false; message: Message } | { duplicate: true };

export type SessionService = ReturnType<typeof createSessionService>;

/** Closes the open session of the key, inside the caller's transaction (the pipeline's `/reset`); the one closed, if any. */
export function closeSessionIn(tx: ScopedTx, key: sessions.SessionKey, contactId: ContactId | null): Promise<Session | undefined> {
  return sessions.closeSession(tx, key, contactId);
}

export function createSessionService(deps: { db: Db }) {
  const { db } = deps;

  return {
    openOrResume(scope: Scope, key: sessions.SessionKey, provider: Provider): Promise<Session> {
      return db.transaction(scope, (tx) => sessions.openOrResumeSession(tx, key, provider));
    },

    /** Ends the open session of the key; returns it, or undefined when none was open. */
    async reset(scope: Scope, request: ResetRequest): Promise<Session | undefined> {
      const contactId = resetTarget(scope, request.contact);
      return db.transaction(scope, (tx) => sessions.closeSession(tx, request, contactId));
    },

    /** Stores the provider's session id if the session still holds `expected`; false if it lost the race. */
    setProviderSessionId(scope: Scope, id: SessionId, expected: string | null, next: string): Promise<boolean> {
      return db.transaction(scope, (tx) => sessions.swapProviderSessionId(tx, id, expected, next));
    },

    async get(scope: Scope, id: SessionId): Promise<Session> {
      const session = await db.transaction(scope, (tx) => sessions.findSession(tx, id));
      if (!session) throw notFound('Session', id);
      return session;
    },

    list(scope: Scope, filter: { contact?: ContactId | 'owner'; limit?: number } = {}): Promise<Session[]> {
      return db.transaction(scope, (tx) => sessions.listSessions(tx, { ...filter, limit: filter.limit ?? 200 }));
    },

    appendMessage(scope: Scope, sessionId: SessionId, message: messages.NewMessage): Promise<AppendResult> {
      return db.transaction(scope, async (tx) => {
        if (!(await sessions.findSession(tx, sessionId))) throw notFound('Session', sessionId);
        const stored = await messages.insertMessage(tx, sessionId, message);
        return stored ? { duplicate: false, message: stored } : { duplicate: true };
      });
    },

    messages(scope: Scope, sessionId: SessionId, options: { limit?: number } = {}): Promise<Message[]> {
      return db.transaction(scope, async (tx) => {
        if (!(await sessions.findSession(tx, sessionId))) throw notFound('Session', sessionId);
        return messages.listMessages(tx, sessionId, options.limit ?? 500);
      });
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
