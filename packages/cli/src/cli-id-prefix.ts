/**
 * An id argument is a whole uuid or a unique prefix of one (`sb contacts show 3f2a`), hyphens
 * optional. A whole uuid goes to the server as it is; a prefix is matched here against the listing
 * of that kind of record (one request), and answers with the full id, or an error that lists the
 * candidates when several match. Listings the server caps (sessions, memories, outbox: the latest
 * 1000) are searched within that cap, and an unmatched prefix there says so.
 */
import { z } from 'zod';
import { AppError, ContactId, MemoryId, SessionId, type ApiClient, type Contact } from '@switchboard/shared';
import { formatTime } from './cli-output';

/** An id or the start of one, as typed: hex digits and hyphens. */
export const IdText = z.string().trim().toLowerCase().regex(/^[0-9a-f-]{1,36}$/, 'expected an id or the start of one (hex digits, e.g. 3f2a)');

/** The most a capped listing returns; a prefix is looked for among that many. */
const LISTING_CAP = 1000;
const SHOWN_CANDIDATES = 10;

interface IdKind<T extends { id: string }> {
  noun: string;
  list: () => Promise<T[]>;
  describe: (item: T) => string;
  /** Whether `list` may leave records out (the server caps it). */
  capped?: boolean;
}

/** The full id that `text` (a uuid or a unique prefix) names. */
export async function resolveIdText<T extends { id: string }>(text: string, kind: IdKind<T>): Promise<string> {
  if (z.uuid().safeParse(text).success) return text;
  const prefix = text.replaceAll('-', '');
  const items = await kind.list();
  const matches = items.filter((item) => item.id.replaceAll('-', '').startsWith(prefix));
  const [only] = matches;
  if (only && matches.length === 1) return only.id;
  if (matches.length === 0) {
    const among = kind.capped && items.length >= LISTING_CAP ? ` among the latest ${LISTING_CAP} (give the whole id)` : '';
    throw new AppError('not_found', `no ${kind.noun} id starts with ${text}${among}`);
  }
  const shown = matches.slice(0, SHOWN_CANDIDATES).map((item) => `${item.id} (${kind.describe(item)})`);
  const more = matches.length > SHOWN_CANDIDATES ? `, and ${matches.length - SHOWN_CANDIDATES} more` : '';
  throw new AppError('invalid_input', `${kind.noun} id ${text} is ambiguous: it starts ${matches.length} ${kind.noun} ids: ${shown.join(', ')}${more}; give more of it`);
}

/** How a contact is shown: its display name, else its first identity (`telegram:123`), else its id. */
export function describeContact(contact: Contact): string {
  const identity = contact.identities[0];
  return contact.displayName ?? (identity ? `${identity.channel}:${identity.externalId}` : contact.id);
}

export async function resolveSessionId(client: ApiClient, text: string): Promise<SessionId> {
  return SessionId.parse(await resolveIdText(text, {
    noun: 'session', capped: true, list: () => client.sessions.list({ limit: LISTING_CAP }), describe: (s) => `${s.status}, ${formatTime(s.createdAt)}`,
  }));
}

export async function resolveMemoryId(client: ApiClient, text: string): Promise<MemoryId> {
  return MemoryId.parse(await resolveIdText(text, {
    noun: 'memory', capped: true, list: () => client.memories.list({ limit: LISTING_CAP }), describe: (m) => m.content.slice(0, 40),
  }));
}

export async function resolveOutboxId(client: ApiClient, text: string): Promise<string> {
  return resolveIdText(text, {
    noun: 'outbox', capped: true, list: () => client.outbox.list({ status: 'failed', limit: LISTING_CAP }), describe: (i) => `${i.channel} ${i.chatId}`,
  });
}

/** The contacts of one command: listed at most once, for resolving ids and for naming them. */
export interface ContactDirectory {
  /** The contact `text` (a uuid or a unique prefix) names. */
  resolve(text: string): Promise<ContactId>;
  /** The name of a contact id for a listing: `owner` for null, the id itself for one not listed. */
  names(): Promise<(id: string | null) => string>;
}

export function createContactDirectory(client: ApiClient): ContactDirectory {
  let listed: Promise<Contact[]> | undefined;
  const list = () => (listed ??= client.contacts.list());
  return {
    resolve: async (text) => ContactId.parse(await resolveIdText(text, { noun: 'contact', list, describe: describeContact })),
    async names() {
      const byId = new Map((await list()).map((contact): [string, string] => [contact.id, describeContact(contact)]));
      return (id) => (id === null ? 'owner' : byId.get(id) ?? id);
    },
  };
}
