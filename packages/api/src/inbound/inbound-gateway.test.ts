import { AppError, type InboundMessage, type TenantId } from '@switchboard/shared';
import { ownerScope } from '../db/scope';
import { gatewayAgentOf, type FindAccountAgent } from './inbound-gateway';

const scope = ownerScope('00000000-0000-4000-8000-000000000001' as TenantId);
const accounts: Record<string, string> = { 'whatsapp:main': 'support' };
const findAccountAgent: FindAccountAgent = async (_scope, channel, accountId) => accounts[`${channel}:${accountId}`];

function message(extra: Partial<InboundMessage> = {}): InboundMessage {
  return { channel: 'whatsapp', accountId: 'main', sender: { id: 'ana' }, messageId: 'm-1', text: 'hi', ...extra };
}

async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await call.then(() => undefined, (failure: unknown) => failure);
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return { code: error.code, message: error.message };
}

describe('gatewayAgentOf', () => {
  it('gives the account’s agent, whether the message names it or not', async () => {
    await expect(gatewayAgentOf(findAccountAgent, scope, message(), { wait: false })).resolves.toBe('support');
    await expect(gatewayAgentOf(findAccountAgent, scope, message({ agent: 'support' }), { wait: false })).resolves.toBe('support');
  });

  it('refuses an unknown account with 404, naming it', async () => {
    expect(await refusal(gatewayAgentOf(findAccountAgent, scope, message({ accountId: 'other' }), { wait: false })))
      .toEqual({ code: 'not_found', message: 'Channel account whatsapp:other not found' });
    expect(await refusal(gatewayAgentOf(findAccountAgent, scope, message({ channel: 'cli', accountId: undefined }), { wait: false })))
      .toMatchObject({ code: 'not_found' });
  });

  it('refuses a wait, an undelivered reply and another agent with 403', async () => {
    for (const [input, wait] of [[message(), true], [message({ deliver: false }), false], [message({ agent: 'open' }), false]] as const) {
      expect(await refusal(gatewayAgentOf(findAccountAgent, scope, input, { wait }))).toMatchObject({ code: 'forbidden' });
    }
  });
});
