import type { OutboxItem } from '@switchboard/shared';
import { PermanentSendError } from '../channel-adapter';
import { sendWhatsAppReply, sendWhatsAppTyping } from './whatsapp-sender';
import { boomError, createFakeWhatsAppSocket } from './testing/fake-whatsapp-socket';

const ANA = '5511987654321@s.whatsapp.net';
const GROUP = '120363041234567890@g.us';

function reply(chatId: string, text: string): OutboxItem {
  return {
    id: '00000000-0000-4000-8000-000000000001', eventId: '00000000-0000-4000-8000-000000000002', contactId: null,
    channel: 'whatsapp', accountId: 'default', chatId, threadId: null, replyTo: '3EB0C4A1F2D5E6B7A8C9', text,
    status: 'pending', attempts: 0, lastError: null, createdAt: new Date(),
  };
}

describe('sendWhatsAppReply (fake socket)', () => {
  it('splits a 5,000-character reply into two messages to the chat JID', async () => {
    const sock = createFakeWhatsAppSocket(1, []);
    const text = `${'a'.repeat(3000)} ${'b'.repeat(1999)}`;
    await sendWhatsAppReply(sock, reply(ANA, text));
    expect(sock.sent.map((message) => message.jid)).toEqual([ANA, ANA]);
    expect(sock.sent.map((message) => message.text)).toEqual(['a'.repeat(3000), 'b'.repeat(1999)]);
  });

  it('sends to a group by its JID', async () => {
    const sock = createFakeWhatsAppSocket(1, []);
    await sendWhatsAppReply(sock, reply(GROUP, 'hello all'));
    expect(sock.sent).toEqual([{ jid: GROUP, text: 'hello all' }]);
  });

  it.each([
    ['a forbidden Boom (403)', boomError(403, 'forbidden')],
    ['an error stanza with code 401 (not-authorized)', boomError(500, 'not-authorized', 401)],
    ['an error stanza with code 404 (the group is gone)', boomError(500, 'item-not-found', 404)],
  ])('makes %s permanent', async (_name, error) => {
    const sock = createFakeWhatsAppSocket(1, []);
    sock.failSends(error);
    const sending = sendWhatsAppReply(sock, reply(GROUP, 'hello'));
    await expect(sending).rejects.toBeInstanceOf(PermanentSendError);
    await expect(sending).rejects.toThrow(`WhatsApp refused: ${error.message}`);
  });

  it('leaves a closed connection (428) retryable', async () => {
    const sock = createFakeWhatsAppSocket(1, []);
    const closed = boomError(428, 'Connection Closed');
    sock.failSends(closed);
    await expect(sendWhatsAppReply(sock, reply(ANA, 'hello'))).rejects.toBe(closed);
  });

  it('refuses for good a chat id that is not a person or a group, sending nothing', async () => {
    const sock = createFakeWhatsAppSocket(1, []);
    await expect(sendWhatsAppReply(sock, reply('status@broadcast', 'hello'))).rejects.toBeInstanceOf(PermanentSendError);
    expect(sock.sent).toEqual([]);
  });
});

describe('sendWhatsAppTyping (fake socket)', () => {
  it('sends a composing presence to the chat', async () => {
    const sock = createFakeWhatsAppSocket(1, []);
    await sendWhatsAppTyping(sock, ANA);
    expect(sock.presences).toEqual([{ type: 'composing', jid: ANA }]);
  });
});
