import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import type { Update } from 'grammy/types';
import { describeEachServer } from '../../../../../test/server-harness';
import { startGateway, type RunningGateway } from '../../gateway';
import { startFakeBotApi, type FakeBotApi } from './testing/fake-bot-api';
import { until } from '../../../../../test/until';

const TOKEN = '123456789:AAFakeTokenForTheFakeBotApi_0123456789';
let nextMessageId = 1;

function dm(userId: number, text: string, name = `User ${userId}`): Omit<Update, 'update_id'> {
  return {
    message: {
      message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), text,
      chat: { id: userId, type: 'private', first_name: name },
      from: { id: userId, is_bot: false, first_name: name },
    },
  } as Omit<Update, 'update_id'>;
}

function inGroup(userId: number, text: string, extra: { topic?: number; mention?: string; chat?: number; title?: string } = {}): Omit<Update, 'update_id'> {
  const entities = extra.mention ? [{ type: 'mention' as const, offset: text.indexOf(extra.mention), length: extra.mention.length }] : undefined;
  return {
    message: {
      message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), text, entities,
      chat: { id: extra.chat ?? -1001234, type: 'supergroup', title: extra.title ?? 'Test group', is_forum: extra.topic !== undefined },
      from: { id: userId, is_bot: false, first_name: `User ${userId}` },
      ...(extra.topic !== undefined ? { message_thread_id: extra.topic, is_topic_message: true } : {}),
    },
  } as Omit<Update, 'update_id'>;
}

describeEachServer('Telegram end to end (grammY against a local fake Bot API server)', (server) => {
  let fake: FakeBotApi;
  let gateway: RunningGateway;
  const logs: string[] = [];
  const repliesTo = (chatId: number) => fake.sent.filter((m) => String(m.chat_id) === String(chatId));
  const nthReply = (chatId: number, n: number) => until(`reply ${n} in chat ${chatId}`, () => repliesTo(chatId)[n - 1]);

  beforeAll(async () => {
    fake = await startFakeBotApi();
    await server.client().channels.add({ channel: 'telegram', token: TOKEN, apiRoot: fake.apiRoot });
    gateway = await startGateway({ client: server.client(server.gatewayToken), log: (line) => logs.push(line), claimWaitMs: 1000 });
  });
  afterAll(async () => {
    await gateway.stop();
    await fake.close();
  });

  it('answers two users in their own chats, with isolated memories', async () => {
    fake.push(dm(501, 'remember A likes green tea'));
    expect((await nthReply(501, 1)).text).toBe('remembered: A likes green tea');
    fake.push(dm(502, 'recall'));
    expect((await nthReply(502, 1)).text).toBe('no memories');
    fake.push(dm(501, 'recall'));
    expect((await nthReply(501, 2)).text).toBe('A likes green tea');
    expect(fake.sent.filter((m) => m.text.includes('green tea') && String(m.chat_id) !== '501')).toEqual([]);
    expect(repliesTo(501)[0]?.reply_parameters?.message_id).toEqual(expect.any(Number));
    expect(gateway.accounts).toEqual(['telegram:123456789']);
  });

  it('shows typing while a turn runs', async () => {
    fake.push(dm(503, 'hello'));
    await nthReply(503, 1);
    expect(fake.chatActions).toContainEqual(expect.objectContaining({ chat_id: '503', action: 'typing' }));
  });

  it('answers in a group only when mentioned, and in the forum topic it was asked in', async () => {
    fake.push(inGroup(601, 'just chatting among ourselves'));
    fake.push(inGroup(601, '@switchboard_test_bot what is this', { mention: '@switchboard_test_bot' }));
    const first = await nthReply(-1001234, 1);
    expect(first.text).toBe('echo: @switchboard_test_bot what is this');
    fake.push(inGroup(602, '@switchboard_test_bot in a topic', { topic: 77, mention: '@switchboard_test_bot' }));
    const inTopic = await nthReply(-1001234, 2);
    expect(inTopic).toMatchObject({ text: 'echo: @switchboard_test_bot in a topic', message_thread_id: 77 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(repliesTo(-1001234).map((m) => m.text)).not.toContain('echo: just chatting among ourselves');
  });

  it('names a group contact by the group title, and renames it when the title changes', async () => {
    const named = (title: string) => until(`a group contact named ${JSON.stringify(title)}`, async () =>
      (await server.client().contacts.list()).find((c) => c.identities.some((i) => i.externalId === '-1005550001') && c.displayName === title));
    fake.push(inGroup(611, 'hello', { chat: -1005550001, title: 'Book club' }));
    const group = await named('Book club');
    expect(group.kind).toBe('group');
    // A title of escapes and a bidi override is stored as sent (a terminal shows it inert), its length cut to 200.
    const hostile = `\u001b]0;owned\u0007\u202e${'x'.repeat(300)}`;
    fake.push(inGroup(611, 'renamed', { chat: -1005550001, title: hostile }));
    expect((await named(hostile.slice(0, 200))).id).toBe(group.id);
  });

  it('answers a redelivered update once', async () => {
    const update = fake.push(dm(504, 'only once please'));
    await nthReply(504, 1);
    fake.redeliver(update);
    fake.push(dm(504, 'and then this'));
    await nthReply(504, 2);
    expect(repliesTo(504).map((m) => m.text)).toEqual(['echo: only once please', 'echo: and then this']);
  });

  it('sends a 5,000-character reply as two messages', async () => {
    const long = `${'word '.repeat(998)}end`;
    fake.push(dm(505, long));
    await nthReply(505, 2);
    const parts = repliesTo(505);
    expect(parts).toHaveLength(2);
    expect(parts.every((m) => m.text.length <= 4096)).toBe(true);
    expect(parts.map((m) => m.text).join(' ').replace(/\s+/g, ' ')).toBe(`echo: ${long}`.replace(/\s+/g, ' '));
  });

  it('retries a send Telegram refused for now, after a backoff', async () => {
    fake.failSends(1, 502, 'Bad Gateway');
    fake.push(dm(506, 'after a hiccup'));
    expect((await until('the retried reply', () => repliesTo(506)[0], 20_000)).text).toBe('echo: after a hiccup');
    expect(logs.join('\n')).toContain('Bad Gateway');
  });

  it('parks a reply Telegram refused for good, for the owner to see', async () => {
    fake.failSends(1, 403, 'Forbidden: bot was blocked by the user');
    fake.push(dm(507, 'to someone who blocked us'));
    const failed = await until('the parked reply', async () =>
      (await server.client().outbox.list({ status: 'failed' })).find((item) => item.text === 'echo: to someone who blocked us'));
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('blocked') });
    expect(repliesTo(507)).toEqual([]);
  });

  it('never had two getUpdates open at once', () => {
    expect(fake.maxConcurrentPolls).toBe(1);
  });
});


describeEachServer('Telegram account whose Bot API cannot be reached (a closed local port)', (server) => {
  it('lets the gateway stop at once while grammY still retries getMe for an account added meanwhile', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const gateway = await startGateway({ client: server.client(server.gatewayToken), log: () => undefined, connectWaitMs: 200 });
    await server.client().channels.add({ channel: 'telegram', token: '987654321:AAUnreachableBotApi_0123456789abcd', apiRoot: `http://127.0.0.1:${port}` });
    // As `sb serve` does when an account is added: a sync that connects it, not awaited.
    void gateway.sync().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // grammY is retrying getMe by now
    const outcome = await Promise.race([
      gateway.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still stopping after 5 s'), 5000)),
    ]);
    expect(outcome).toBe('stopped');
    expect(gateway.accounts).toEqual([]);
  });
});
