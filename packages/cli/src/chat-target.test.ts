import { AppError, ContactId, type Contact } from '@switchboard/shared';
import { parseFlags } from './cli-flags';
import { buildInboundMessage, ChatFlags, resolveChatTarget } from './chat-target';
import { fakeContact } from './cli-fake-server';

const MESSAGE_ID = '5b0c5a2e-8f7e-4a43-9a55-2f0d3c1f6e11';

async function messageFor(options: Record<string, unknown>, findContact?: (idText: string) => Promise<Contact>) {
  const flags = parseFlags(ChatFlags, options);
  const target = await resolveChatTarget(flags, findContact ?? (() => Promise.reject(new Error('no contact look-up expected'))));
  return buildInboundMessage(target, flags, 'hello', MESSAGE_ID);
}

describe('chat flags to an InboundMessage', () => {
  it('makes --sender alone a direct chat whose id is the sender', async () => {
    await expect(messageFor({ sender: 'telegram:123', name: 'Ana' })).resolves.toEqual({
      channel: 'telegram', deliver: false, chat: { id: '123', type: 'direct' }, sender: { id: '123', displayName: 'Ana' }, messageId: MESSAGE_ID, text: 'hello',
    });
  });

  it('addresses the message from --account instead, which lets the reply be delivered', async () => {
    await expect(messageFor({ sender: 'telegram:123', account: '777' })).resolves.toEqual({
      channel: 'telegram', accountId: '777', chat: { id: '123', type: 'direct' }, sender: { id: '123' }, messageId: MESSAGE_ID, text: 'hello',
    });
  });

  it('makes --group with --sender a group message that mentions the bot by default', async () => {
    const message = await messageFor({ group: 'telegram:-100', sender: 'telegram:123' });
    expect(message).toMatchObject({ channel: 'telegram', chat: { id: '-100', type: 'group' }, sender: { id: '123' }, mentioned: true });
  });

  it('sends an unaddressed group message with --no-mention', async () => {
    const message = await messageFor({ group: 'telegram:-100', sender: 'telegram:123', mention: false });
    expect(message.mentioned).toBe(false);
  });

  it('makes no flags the owner\'s own chat on channel cli without sender or chat', async () => {
    const message = await messageFor({ agent: 'helper', thread: '7' });
    expect(message).toEqual({ channel: 'cli', agent: 'helper', thread: { id: '7' }, messageId: MESSAGE_ID, text: 'hello' });
  });

  it('rejects a --sender without a channel prefix', () => {
    expect(() => parseFlags(ChatFlags, { sender: 'telegram' })).toThrow('--sender: expected <channel>:<id>, e.g. telegram:123 (got "telegram")');
  });

  it('rejects a --sender on an unknown channel', () => {
    expect(() => parseFlags(ChatFlags, { sender: 'fax:1' })).toThrow('--sender: unknown channel "fax" (one of telegram, whatsapp, discord, cli, web)');
  });

  it('rejects an id with spaces as a bad flag, as an invalid_input AppError', () => {
    let thrown: unknown;
    try {
      parseFlags(ChatFlags, { group: 'discord:a b' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).code).toBe('invalid_input');
    expect((thrown as AppError).message).toMatch(/^--group: bad id "a b"/);
  });

  it('requires --sender for a group and one channel for both', async () => {
    await expect(messageFor({ group: 'telegram:-100' })).rejects.toThrow('--group needs --sender');
    await expect(messageFor({ group: 'telegram:-100', sender: 'discord:1' })).rejects.toThrow('--group is on telegram but --sender on discord');
  });

  it('speaks as a person contact\'s first identity', async () => {
    const contact = fakeContact({ identities: [{ channel: 'discord', externalId: '42' }, { channel: 'telegram', externalId: '7' }] });
    const message = await messageFor({ contact: contact.id }, async () => contact);
    expect(message).toMatchObject({ channel: 'discord', chat: { id: '42', type: 'direct' }, sender: { id: '42' } });
  });

  it('needs --sender to speak in a group contact, then posts in that group', async () => {
    const group = fakeContact({ kind: 'group', identities: [{ channel: 'telegram', externalId: '-100' }] });
    await expect(messageFor({ contact: group.id }, async () => group)).rejects.toThrow(`contact ${group.id} is a group: add --sender`);
    const message = await messageFor({ contact: group.id, sender: 'telegram:5' }, async () => group);
    expect(message).toMatchObject({ chat: { id: '-100', type: 'group' }, sender: { id: '5' }, mentioned: true });
  });

  it('rejects --name without a sender', async () => {
    await expect(messageFor({ name: 'Ana' })).rejects.toThrow('--name needs a sender');
  });
});
