/**
 * `sb chat` flags → an InboundMessage. `--sender` alone is a direct chat; with `--group` the chat is
 * the group and the sender a member, mentioning the bot unless `--no-mention`; `--contact` speaks as
 * a stored contact's first identity; no flag is the owner's own chat (channel `cli`, no sender).
 */
import { z } from 'zod';
import { AgentName, AppError, DisplayName, InboundMessage, type Channel, type Contact } from '@switchboard/shared';
import { Address, parseArgument } from './cli-flags';
import { IdText } from './cli-id-prefix';

export const ChatFlags = z.object({
  sender: Address.optional(),
  group: Address.optional(),
  contact: IdText.optional(),
  agent: AgentName.optional(),
  thread: z.string().min(1).max(200).optional(),
  account: z.string().min(1).max(200).optional(),
  name: DisplayName.optional(),
  mention: z.boolean().optional(),
  message: z.string().optional(),
  stream: z.boolean().optional(),
});
export type ChatFlags = z.infer<typeof ChatFlags>;

/** Who speaks, in which chat. */
export interface ChatTarget {
  channel: Channel;
  chat?: { id: string; type: 'direct' | 'group' };
  sender?: { id: string };
}

/** The chat the flags describe; `--contact` (an id or a unique prefix) is looked up through `findContact`. */
export async function resolveChatTarget(flags: ChatFlags, findContact: (idText: string) => Promise<Contact>): Promise<ChatTarget> {
  if (flags.contact === undefined) return targetOf(flags.sender, flags.group);
  if (flags.group) throw new AppError('invalid_input', '--contact and --group cannot be combined');
  return targetOfContact(await findContact(flags.contact), flags.sender);
}

function targetOf(sender: Address | undefined, group: Address | undefined): ChatTarget {
  if (!sender) {
    if (group) throw new AppError('invalid_input', '--group needs --sender <channel>:<id>, the member who speaks');
    return { channel: 'cli' };
  }
  if (!group) return { channel: sender.channel, chat: { id: sender.id, type: 'direct' }, sender: { id: sender.id } };
  if (group.channel !== sender.channel) {
    throw new AppError('invalid_input', `--group is on ${group.channel} but --sender on ${sender.channel}: use one channel`);
  }
  return { channel: group.channel, chat: { id: group.id, type: 'group' }, sender: { id: sender.id } };
}

function targetOfContact(contact: Contact, sender: Address | undefined): ChatTarget {
  const identity = contact.identities[0];
  if (!identity) throw new AppError('invalid_input', `contact ${contact.id} has no identity to speak as`);
  const address = { channel: identity.channel, id: identity.externalId };
  if (contact.kind === 'group') {
    if (!sender) throw new AppError('invalid_input', `contact ${contact.id} is a group: add --sender <channel>:<id> for the member who speaks`);
    return targetOf(sender, address);
  }
  if (sender) throw new AppError('invalid_input', `--sender cannot be combined with --contact of a person: the contact is the sender`);
  return targetOf(address, undefined);
}

/** The message to post; a group message counts as mentioning the bot unless `--no-mention`. */
export function buildInboundMessage(target: ChatTarget, flags: ChatFlags, text: string, messageId: string): InboundMessage {
  if (flags.name !== undefined && !target.sender) throw new AppError('invalid_input', '--name needs a sender (--sender or --contact)');
  if (flags.account !== undefined && !target.sender) throw new AppError('invalid_input', '--account needs a sender (--sender or --contact)');
  const mentioned = flags.mention ?? (target.chat?.type === 'group' ? true : undefined);
  return parseArgument(InboundMessage, {
    channel: target.channel,
    // Only a message received by a named channel account has its reply sent through it.
    ...(target.sender ? (flags.account === undefined ? { deliver: false } : { accountId: flags.account }) : {}),
    ...(flags.agent === undefined ? {} : { agent: flags.agent }),
    ...(target.chat ? { chat: target.chat } : {}),
    ...(target.sender ? { sender: { id: target.sender.id, ...(flags.name === undefined ? {} : { displayName: flags.name }) } } : {}),
    ...(flags.thread === undefined ? {} : { thread: { id: flags.thread } }),
    messageId,
    text,
    ...(mentioned === undefined ? {} : { mentioned }),
  }, 'message');
}

/** A short description of who is speaking, for the interactive prompt. */
export function describeChatTarget(target: ChatTarget): string {
  if (!target.sender) return 'the owner';
  const who = `${target.channel}:${target.sender.id}`;
  return target.chat?.type === 'group' ? `${who} in group ${target.channel}:${target.chat.id}` : who;
}
