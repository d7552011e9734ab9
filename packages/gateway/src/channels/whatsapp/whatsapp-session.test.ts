import { createWhatsAppSession, type WhatsAppSession } from './whatsapp-session';
import { createFakeSocketFactory, type FakeSocketFactory, type FakeWhatsAppSocket } from './testing/fake-whatsapp-socket';

const DESTROYED = (n: number) => [
  `removeAllListeners #${n} connection.update`,
  `removeAllListeners #${n} creds.update`,
  `removeAllListeners #${n} messages.upsert`,
  `end #${n}`,
];

describe('createWhatsAppSession (fake socket)', () => {
  let factory: FakeSocketFactory;
  let logs: string[];
  let session: WhatsAppSession<FakeWhatsAppSocket>;
  let started: Promise<void>;

  beforeEach(() => {
    jest.useFakeTimers();
    factory = createFakeSocketFactory();
    logs = [];
    session = createWhatsAppSession({
      createSocket: factory.create,
      label: 'whatsapp account default',
      log: (line) => logs.push(line),
      reconnect: { startingDelay: 1000, maxDelay: 8000, random: () => 1 },
    });
    started = session.start();
  });
  afterEach(() => {
    session.stop();
    jest.useRealTimers();
  });

  it('resolves start once the first socket opens, and hands that socket out', async () => {
    factory.latest().open();
    await started;
    expect(session.current()).toBe(factory.sockets[0]);
  });

  it.each([
    [440, 'another WhatsApp Web session replaced this one; stop the other one and restart'],
    [401, 'logged out: run `sb channels login whatsapp`'],
  ])('stays offline after a close with %i: the socket destroyed, the reason logged, no new socket', async (code, reason) => {
    factory.latest().open();
    factory.latest().close(code);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(factory.sockets).toHaveLength(1);
    expect(factory.journal).toEqual(['create #1', ...DESTROYED(1)]);
    expect(factory.sockets[0]?.listenerCount()).toBe(0);
    expect(logs).toEqual([`gateway: whatsapp account default closed (${code}: closed with ${code}) and stays offline: ${reason}`]);
    expect(session.current()).toBeUndefined();
  });

  it('resolves start when the first socket is closed for good', async () => {
    factory.latest().close(440);
    await expect(started).resolves.toBeUndefined();
  });

  it.each([428, 500])('destroys the old socket before making a new one after the backoff delay on %i', async (code) => {
    factory.latest().close(code);
    await jest.advanceTimersByTimeAsync(999);
    expect(factory.sockets).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(factory.journal).toEqual(['create #1', ...DESTROYED(1), 'create #2']);
    expect(factory.sockets[0]?.listenerCount()).toBe(0);
    expect(session.current()).toBe(factory.sockets[1]);
    expect(logs).toEqual([`gateway: whatsapp account default closed (${code}: closed with ${code}); reconnecting in 1000 ms`]);
  });

  it('reconnects at once after 515 (restart required)', () => {
    factory.latest().close(515);
    expect(factory.journal).toEqual(['create #1', ...DESTROYED(1), 'create #2']);
    expect(logs).toEqual([]);
  });

  it('keeps exactly one live socket over several reconnects, doubling the delay until one opens', async () => {
    for (const code of [428, 500, 408, 515, 428]) {
      factory.latest().close(code);
      await jest.advanceTimersByTimeAsync(8000);
    }
    expect(factory.sockets).toHaveLength(6);
    expect(factory.live()).toEqual([factory.sockets[5]]);
    expect(factory.sockets.slice(0, 5).map((sock) => sock.listenerCount())).toEqual([0, 0, 0, 0, 0]);
    expect(logs.map((line) => /in (\d+) ms/.exec(line)?.[1])).toEqual(['1000', '2000', '4000', '8000']);
    factory.latest().open();
    factory.latest().close(428);
    expect(logs.at(-1)).toMatch(/reconnecting in 1000 ms$/);
  });

  it('makes no socket when stopped during a pending reconnect', async () => {
    factory.latest().close(500);
    session.stop();
    await jest.advanceTimersByTimeAsync(120_000);
    expect(factory.sockets).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
    expect(session.current()).toBeUndefined();
  });

  it('destroys the live socket on stop and resolves a pending start', async () => {
    session.stop();
    await expect(started).resolves.toBeUndefined();
    expect(factory.journal).toEqual(['create #1', ...DESTROYED(1)]);
    expect(factory.live()).toEqual([]);
  });
});
