/**
 * WhatsApp JIDs as stable external ids: the device and agent parts are dropped
 * (`1234:5@s.whatsapp.net` → `1234@s.whatsapp.net`), the server suffix is kept (`@s.whatsapp.net`,
 * `@lid`, `@g.us`). Baileys 7 may address a person by LID with the phone-number JID as the
 * alternative; the phone-number JID wins so the same person always maps to one id.
 */
import { ExternalId } from '@switchboard/shared';

const JID = /^([^@:_]+)(?:_\d+)?(?::\d+)?@([^@]+)$/;
const PERSON_SERVERS = new Set(['s.whatsapp.net', 'lid', 'hosted', 'hosted.lid']);

/** The JID without its device part, or undefined when it is not a usable id. */
export function normalizeJid(jid: string | null | undefined): string | undefined {
  const match = JID.exec(jid ?? '');
  if (!match) return undefined;
  const [, user, server] = match;
  const normalized = `${user}@${server === 'c.us' ? 's.whatsapp.net' : server}`;
  return ExternalId.safeParse(normalized).success ? normalized : undefined;
}

/** The person's id: the phone-number JID when either form is one, else the first usable JID. */
export function toPersonId(
  primary: string | null | undefined,
  alternative: string | null | undefined,
): string | undefined {
  const ids = [primary, alternative].map(normalizeJid).filter((jid) => jid !== undefined);
  return ids.find((jid) => jid.endsWith('@s.whatsapp.net')) ?? ids[0];
}

/** True for a person's JID (phone number or LID), false for groups, broadcasts, newsletters. */
export function isPersonJid(jid: string): boolean {
  return PERSON_SERVERS.has(jid.slice(jid.indexOf('@') + 1));
}

/** True for a group chat's JID. */
export function isGroupJid(jid: string): boolean {
  return jid.endsWith('@g.us');
}
