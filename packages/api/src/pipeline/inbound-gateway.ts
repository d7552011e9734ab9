/**
 * What the gateway token may post: a message received by a channel account that exists, for that
 * account's agent, answered through the channel. It may not wait for the turn (`?wait=true`) nor
 * keep the reply from the channel (`"deliver": false`), so a leaked gateway token reads no replies
 * and cannot pick another agent's looser policy. The first two are checked before the accept; the
 * account is looked up by the accept's own call, which then stores nothing.
 */
import { AppError, notFound, type InboundMessage } from '@switchboard/shared';

/** Throws 403 when the gateway asks to wait for the turn or to keep the reply from its channel. */
export function checkGatewayPost(message: InboundMessage, options: { wait: boolean }): void {
  if (options.wait) throw new AppError('forbidden', 'The gateway token may not wait for a turn (?wait=true)');
  if (message.deliver === false) throw new AppError('forbidden', 'The gateway token may not keep a reply from its channel ("deliver": false)');
}

/** The accept found no such account (404), or the message names another agent than the account's (403). */
export type AccountRefusal = { refused: 'no_account' } | { refused: 'other_agent'; agent: string };

export function accountRefusalError(message: InboundMessage, refusal: AccountRefusal): AppError {
  const account = `${message.channel}:${message.accountId ?? 'default'}`;
  if (refusal.refused === 'no_account') return notFound('Channel account', account);
  return new AppError('forbidden', `Channel account ${account} answers for agent ${refusal.agent}, not ${message.agent ?? refusal.agent}`);
}
