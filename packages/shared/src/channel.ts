/**
 * Channel accounts: a bot (Telegram, Discord) or a linked phone (WhatsApp) that receives messages
 * for one agent. The owner adds and removes them; the gateway reads them with their secrets, keeps
 * a connection per account, and stores a channel's session state (WhatsApp keys) through the API.
 */
import { z } from 'zod';
import { AgentName } from './agent';
import { ExternalId } from './contact';

/** The channels that have an adapter in the gateway. */
export const ChatChannel = z.enum(['telegram', 'discord', 'whatsapp']);
export type ChatChannel = z.infer<typeof ChatChannel>;

export const ChannelAccount = z.object({
  channel: ChatChannel,
  accountId: ExternalId,
  agent: AgentName,
  /** Telegram: a Bot API server other than api.telegram.org (a local server, a test fake). */
  apiRoot: z.string().nullable(),
  createdAt: z.coerce.date(),
});
export type ChannelAccount = z.infer<typeof ChannelAccount>;

/** What the gateway gets: the account with its bot token (none for WhatsApp, which logs in by QR code). */
export const GatewayAccount = ChannelAccount.extend({ token: z.string().nullable() });
export type GatewayAccount = z.infer<typeof GatewayAccount>;

const BotToken = z.string().trim().min(1).max(500).regex(/^[\x21-\x7e]+$/, 'a bot token is printable without spaces');

/**
 * `POST /v1/channels`. Telegram and Discord need the bot token (the account id is read from it);
 * WhatsApp takes an account name (default `default`) and logs in later with a QR code.
 */
export const ChannelAccountCreate = z
  .strictObject({
    channel: ChatChannel,
    token: BotToken.optional(),
    accountId: ExternalId.optional(),
    agent: AgentName.optional(),
    apiRoot: z.url({ protocol: /^https?$/ }).optional(),
  })
  .refine((input) => input.channel === 'whatsapp' || input.token !== undefined, {
    message: 'a bot token is required for telegram and discord',
    path: ['token'],
  })
  .refine((input) => input.channel !== 'whatsapp' || input.token === undefined, {
    message: 'whatsapp takes no token: it logs in with a QR code (sb channels login whatsapp)',
    path: ['token'],
  });
export type ChannelAccountCreate = z.infer<typeof ChannelAccountCreate>;

/** A channel's session state, key by key (WhatsApp credentials and signal keys); null deletes a key. */
export const ChannelStateKey = z.string().min(1).max(300).regex(/^[\x21-\x7e]+$/);
export const ChannelStateUpdate = z.strictObject({
  set: z.record(ChannelStateKey, z.unknown()).refine((entries) => Object.keys(entries).length <= 5000, 'at most 5000 keys at once'),
});
export type ChannelStateUpdate = z.infer<typeof ChannelStateUpdate>;

/** A gateway's id in channel leases: one per installation (`$SB_HOME`), kept across its restarts. */
export const LeaseHolder = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'a holder id is printable without spaces');

/** A gateway asks to run an account: granted while no other live gateway holds it. */
export const ChannelLeaseRequest = z.strictObject({
  /** Who asks: one id per running gateway. */
  holder: LeaseHolder,
  /** How long the lease lasts unless renewed. */
  ttlMs: z.number().int().min(100).max(600_000),
  /**
   * The asker has just started (it runs nothing of this account yet): when it held the lease
   * before, its dead predecessor did, and the replies of the account claimed then are due again at once.
   */
  resume: z.boolean().optional(),
});
export type ChannelLeaseRequest = z.infer<typeof ChannelLeaseRequest>;

/** Whether the lease is the asker's now, and until when it (or the other holder's) lasts. */
export const ChannelLease = z.object({ granted: z.boolean(), expiresAt: z.coerce.date() });
export type ChannelLease = z.infer<typeof ChannelLease>;

/** The `{channel}/{account}` of a route. */
export const ChannelAccountParams = z.object({ channel: ChatChannel, account: ExternalId });
export const ChannelAccountList = z.object({ accounts: z.array(ChannelAccount) });
export const ChannelAccountReply = z.object({ account: ChannelAccount });
export const ChannelRemoved = z.object({ removed: z.boolean() });
/** A channel's stored session state, key by key. */
export const ChannelState = z.object({ entries: z.record(z.string(), z.unknown()) });
/** How many keys an update wrote or deleted. */
export const ChannelStateWritten = z.object({ written: z.number().int() });
export const GatewayAccountList = z.object({ accounts: z.array(GatewayAccount) });
export const ChannelLeaseReply = z.object({ lease: ChannelLease });
/** `DELETE /v1/gateway/accounts/{channel}/{account}/lease?holder=`: gives up the holder's lease. */
export const ChannelLeaseRelease = z.strictObject({ holder: LeaseHolder });
export const ChannelLeaseReleased = z.object({ released: z.boolean() });
