/**
 * The seam between the gateway and one channel account: an adapter turns the SDK's events into
 * InboundMessages for the gateway, and sends the gateway's replies. Each channel's `connect` file
 * builds one; it is the only code that value-imports the SDK.
 */
import type { ChatChannel, InboundMessage, OutboxItem } from '@switchboard/shared';

/** What a sender needs of a reply: where it goes, what it answers, and its text. */
export type OutgoingReply = Pick<OutboxItem, 'chatId' | 'threadId' | 'replyTo' | 'text'>;

export interface ChannelAdapter {
  readonly channel: ChatChannel;
  /** The account id messages carry (`accountId`) and outbox rows are addressed to. */
  readonly accountId: string;
  /**
   * Connects and starts receiving; every mapped message goes to `onMessage` (which posts it to
   * the API). Resolves once receiving has started. Reconnects by itself until `stop`.
   */
  start(onMessage: (message: InboundMessage) => Promise<void>): Promise<void>;
  /** Sends one reply to its chat and thread, split at the channel's limit. Throws on failure. */
  send(item: OutgoingReply): Promise<void>;
  /** Shows "typing…" in a chat once; the gateway refreshes it while the turn runs. */
  typing(chatId: string, threadId: string | null): Promise<void>;
  /** Disconnects and releases everything; no event is delivered after it resolves. */
  stop(): Promise<void>;
}

/** A send failure the platform will never accept (chat gone, bot blocked or kicked): parked at once. */
export class PermanentSendError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentSendError';
  }
}
