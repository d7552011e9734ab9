import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InboundMessage } from '@switchboard/shared';
import type { WAMessage } from '@whiskeysockets/baileys' with { 'resolution-mode': 'import' };
import type { ChannelAdapter } from '../channel-adapter';
import { createWhatsAppAdapter, linkWhatsApp } from './whatsapp-connect';
import { createFakeSocketFactory, ME, type FakeSocketFactory } from './testing/fake-whatsapp-socket';
import { until } from '../../../../../test/until';

const ANA = '5511987654321@s.whatsapp.net';
const BEN = '447700900123@s.whatsapp.net';
const GROUP = '120363041234567890@g.us';

function fixture(name: string): WAMessage {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', `${name}.json`), 'utf8')) as WAMessage;
}

describe('createWhatsAppAdapter (fake socket)', () => {
  let factory: FakeSocketFactory;
  let adapter: ChannelAdapter;
  let received: InboundMessage[];
  let credsSaved: number;
  let flushed: number;
  const logs: string[] = [];

  beforeEach(async () => {
    factory = createFakeSocketFactory();
    received = [];
    credsSaved = 0;
    flushed = 0;
    adapter = createWhatsAppAdapter('default', {
      createSocket: factory.create,
      me: { id: ME.id },
      saveCreds: async () => void credsSaved++,
      flush: async () => void flushed++,
      log: (line) => logs.push(line),
      reconnect: { startingDelay: 1, maxDelay: 1, random: () => 1 },
    });
    const starting = adapter.start(async (message) => void received.push(message));
    factory.latest().open();
    await starting;
  });
  afterEach(() => adapter.stop());

  it('posts direct, group and LID-addressed messages mapped, in order, and not our own', async () => {
    factory.latest().receive([fixture('dm-text'), fixture('from-me'), fixture('group-text'), fixture('dm-lid')]);
    await adapter.stop();
    expect(received.map((m) => [m.chat?.type, m.chat?.id, m.sender?.id, m.text])).toEqual([
      ['direct', ANA, ANA, 'Oi! Can you summarise my notes?'],
      ['group', GROUP, BEN, 'morning all'],
      ['direct', ANA, ANA, 'and the ones from Monday?'],
    ]);
    expect(received[0]).toMatchObject({ channel: 'whatsapp', messageId: '3EB0C4A1F2D5E6B7A8C9', mentioned: false });
  });

  it('knows our own LID from the socket, so a group mention of it is a mention', async () => {
    factory.latest().receive([fixture('group-mention')]);
    await until('the mention', () => received[0]);
    expect(received[0]?.mentioned).toBe(true);
  });

  it('ignores appended (history) messages', async () => {
    factory.latest().receive([fixture('dm-text')], 'append');
    await adapter.stop();
    expect(received).toEqual([]);
  });

  it('saves the credentials on creds.update and waits for the writes on stop', async () => {
    factory.latest().emit('creds.update', { registrationId: 7 });
    await adapter.stop();
    expect(credsSaved).toBe(1);
    expect(flushed).toBe(1);
  });

  it('sends and types through the socket live at the time, after a reconnect the new one', async () => {
    factory.latest().close(428);
    await expect(adapter.send(reply(ANA, 'lost'))).rejects.toThrow('WhatsApp account default is not connected');
    const second = await until('a new socket', () => factory.sockets[1]);
    await adapter.send(reply(ANA, 'hello'));
    await adapter.typing(ANA, null);
    expect(factory.sockets[0]?.sent).toEqual([]);
    expect(second.sent).toEqual([{ jid: ANA, text: 'hello' }]);
    expect(second.presences).toEqual([{ type: 'composing', jid: ANA }]);
    factory.latest().receive([fixture('dm-text')]);
    await until('the message from the new socket', () => received[0]);
  });

  it('delivers nothing after stop and leaves no live socket', async () => {
    const sock = factory.latest();
    await adapter.stop();
    sock.receive([fixture('dm-text')]);
    expect(received).toEqual([]);
    expect(sock.listenerCount()).toBe(0);
    expect(factory.live()).toEqual([]);
  });
});

describe('linkWhatsApp (fake socket)', () => {
  function link(factory: FakeSocketFactory) {
    const qrs: string[] = [];
    const calls = { saved: 0, flushed: 0, cleared: 0 };
    const linking = linkWhatsApp({
      createSocket: factory.create,
      saveCreds: async () => void calls.saved++,
      auth: { flush: async () => void calls.flushed++, clear: async () => void calls.cleared++ },
      log: () => {},
      onQr: (qr) => qrs.push(qr),
    });
    return { linking, qrs, calls };
  }

  it('shows each QR code, restarts once after pairing (515), and resolves with our JID once open', async () => {
    const factory = createFakeSocketFactory();
    const { linking, qrs, calls } = link(factory);
    factory.latest().emit('connection.update', { qr: '2@first' });
    factory.latest().emit('connection.update', { qr: '2@second' });
    factory.latest().emit('creds.update', { me: { id: ME.id } });
    factory.latest().close(515);
    await until('the restarted socket', () => factory.sockets[1]);
    factory.latest().open();
    await expect(linking).resolves.toEqual({ me: '15550001111@s.whatsapp.net' });
    expect(qrs).toEqual(['2@first', '2@second']);
    expect(calls).toEqual({ saved: 1, flushed: 2, cleared: 0 });
    expect(factory.live()).toEqual([]);
    expect(factory.sockets.map((sock) => sock.listenerCount())).toEqual([0, 0]);
  });

  it('rejects when another session replaced this one (440)', async () => {
    const factory = createFakeSocketFactory();
    const { linking } = link(factory);
    factory.latest().close(440);
    await expect(linking).rejects.toThrow('WhatsApp login failed: another WhatsApp Web session replaced this one');
  });

  it('rejects on a logout (401) and removes the dead session, so the next login shows a QR code', async () => {
    const factory = createFakeSocketFactory();
    const { linking, calls } = link(factory);
    factory.latest().close(401);
    await expect(linking).rejects.toThrow('logged out; the stored session was removed');
    expect(calls.cleared).toBe(1);
  });

  it('restarts only once', async () => {
    const factory = createFakeSocketFactory();
    const { linking } = link(factory);
    factory.latest().close(515);
    await until('the restarted socket', () => factory.sockets[1]);
    factory.latest().close(515);
    await expect(linking).rejects.toThrow('WhatsApp closed the connection (515)');
    expect(factory.sockets).toHaveLength(2);
  });
});

function reply(chatId: string, text: string) {
  return {
    id: '00000000-0000-4000-8000-000000000001', eventId: '00000000-0000-4000-8000-000000000002', contactId: null,
    channel: 'whatsapp' as const, accountId: 'default', chatId, threadId: null, replyTo: null, text,
    status: 'pending' as const, attempts: 0, lastError: null, createdAt: new Date(),
  };
}
