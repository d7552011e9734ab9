/**
 * The gateway token's rules that need no rows (a wait, an undelivered reply: 403), and the errors
 * the accept's call turns into when the receiving account is missing (404) or answers for another
 * agent (403). The account lookup itself runs in the database (inbound-accept-call.test).
 */
import { AppError, type InboundMessage } from '@switchboard/shared';
import { accountRefusalError, checkGatewayPost } from './inbound-gateway';

function message(extra: Partial<InboundMessage> = {}): InboundMessage {
  return { channel: 'whatsapp', accountId: 'main', sender: { id: 'ana' }, messageId: 'm-1', text: 'hi', ...extra };
}

function refusal(call: () => unknown): { code: string; message: string } | undefined {
  try {
    call();
    return undefined;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { code: error.code, message: error.message };
  }
}

describe('checkGatewayPost', () => {
  it('lets a delivered message through that does not wait', () => {
    expect(refusal(() => checkGatewayPost(message(), { wait: false }))).toBeUndefined();
  });

  it('refuses a wait and an undelivered reply with 403', () => {
    expect(refusal(() => checkGatewayPost(message(), { wait: true }))).toMatchObject({ code: 'forbidden' });
    expect(refusal(() => checkGatewayPost(message({ deliver: false }), { wait: false }))).toMatchObject({ code: 'forbidden' });
  });
});

describe('accountRefusalError', () => {
  it('names an unknown account in a 404', () => {
    expect(accountRefusalError(message({ accountId: 'other' }), { refused: 'no_account' }))
      .toMatchObject({ code: 'not_found', message: 'Channel account whatsapp:other not found' });
    expect(accountRefusalError(message({ channel: 'cli', accountId: undefined }), { refused: 'no_account' }))
      .toMatchObject({ code: 'not_found', message: 'Channel account cli:default not found' });
  });

  it('names the account’s agent and the one asked for in a 403', () => {
    expect(accountRefusalError(message({ agent: 'open' }), { refused: 'other_agent', agent: 'support' }))
      .toMatchObject({ code: 'forbidden', message: 'Channel account whatsapp:main answers for agent support, not open' });
  });
});
