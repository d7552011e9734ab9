/**
 * What the gateway token may post: a message received by a channel account that exists, for that
 * account's agent, answered through the channel. It may not wait for the turn (`?wait=true`) nor
 * keep the reply from the channel (`"deliver": false`), so a leaked gateway token reads no replies
 * and cannot pick another agent's looser policy. Checked before anything is stored.
 */
import { AppError, notFound, type InboundMessage } from '@switchboard/shared';
import type { Scope } from '../db/scope';

/** The account's agent, or undefined when there is no such account. */
export type FindAccountAgent = (scope: Scope, channel: string, accountId: string) => Promise<string | undefined>;

/** The agent a gateway message is for (its account's); throws 403 or 404 when the gateway may not post it. */
export async function gatewayAgentOf(
  findAccountAgent: FindAccountAgent, scope: Scope, message: InboundMessage, options: { wait: boolean },
): Promise<string> {
  if (options.wait) throw new AppError('forbidden', 'The gateway token may not wait for a turn (?wait=true)');
  if (message.deliver === false) throw new AppError('forbidden', 'The gateway token may not keep a reply from its channel ("deliver": false)');
  const account = `${message.channel}:${message.accountId ?? 'default'}`;
  const agent = await findAccountAgent(scope, message.channel, message.accountId ?? 'default');
  if (agent === undefined) throw notFound('Channel account', account);
  if (message.agent !== undefined && message.agent !== agent) {
    throw new AppError('forbidden', `Channel account ${account} answers for agent ${agent}, not ${message.agent}`);
  }
  return agent;
}
