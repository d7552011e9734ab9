/**
 * Deduplication on the platform's message id over real HTTP: a repeated (channel, account, chat,
 * messageId) answers `duplicate` with the first event and never runs a second turn, sequentially
 * or when many copies race; the same id in another chat, channel or account is a new message.
 */
import { randomUUID } from 'node:crypto';
import type { InboundMessage, InboundResult } from '@switchboard/shared';
import { describeEachServer, type TestServer } from '../../../../test/server-harness';

const tag = () => randomUUID().slice(0, 8);

function dm(sender: string, messageId: string, text: string, extra: Partial<InboundMessage> = {}): InboundMessage {
  return { channel: 'telegram', sender: { id: sender }, messageId, text, ...extra };
}

async function count(server: TestServer, sql: string, params: unknown[]): Promise<number> {
  const [row] = await server.admin<{ n: number }>(`select count(*)::int as n from ${sql}`, params);
  return row!.n;
}

describeEachServer('inbound deduplication', (server) => {
  const post = (message: InboundMessage): Promise<InboundResult> => server.client().inbound(message, { wait: true });

  it('answers a repeated message id from the same chat as a duplicate of the first event and runs the turn once', async () => {
    const sender = `d-${tag()}`;
    const messageId = randomUUID();
    const first = await post(dm(sender, messageId, 'hello once'));
    expect(first).toMatchObject({ status: 'done', reply: { text: 'echo: hello once' } });

    const again = await post(dm(sender, messageId, 'hello once'));
    expect(again).toEqual({ eventId: first.eventId, contactId: first.contactId, status: 'duplicate' });
    const edited = await post(dm(sender, messageId, 'a different text under the same id'));
    expect(edited).toEqual({ eventId: first.eventId, contactId: first.contactId, status: 'duplicate' });

    const sessions = await server.client().sessions.list({ contact: first.contactId! });
    expect(sessions).toHaveLength(1);
    const transcript = await server.client().sessions.messages(sessions[0]!.id);
    expect(transcript.map((m) => [m.direction, m.text])).toEqual([['inbound', 'hello once'], ['outbound', 'echo: hello once']]);
    expect(await count(server, 'inbound_events where platform_message_id = $1', [messageId])).toBe(1);
    expect(await count(server, 'outbox where contact_id = $1', [first.contactId])).toBe(1);
    expect(await count(server, 'outbox where event_id = $1', [first.eventId])).toBe(1);
  });

  it('treats the same message id in another chat, channel or account as a new message', async () => {
    const [a, b] = [`d-${tag()}`, `d-${tag()}`];
    const messageId = randomUUID();
    const original = await post(dm(a, messageId, 'one'));
    expect(original.status).toBe('done');

    const otherChat = await post(dm(b, messageId, 'two'));
    const otherChannel = await post({ ...dm(a, messageId, 'three'), channel: 'discord' });
    const otherAccount = await post(dm(a, messageId, 'four', { accountId: 'second-bot' }));
    const group = await post(dm(a, messageId, 'five', { chat: { id: `-100${tag()}`, type: 'group' }, mentioned: true }));

    for (const answer of [otherChat, otherChannel, otherAccount, group]) expect(answer.status).toBe('done');
    const eventIds = new Set([original, otherChat, otherChannel, otherAccount, group].map((answer) => answer.eventId));
    expect(eventIds.size).toBe(5);
    expect(await count(server, 'inbound_events where platform_message_id = $1', [messageId])).toBe(5);
    expect(await count(server, 'outbox where reply_to = $1', [messageId])).toBe(5);
  });

  it('accepts exactly one of 20 concurrent posts of one new message id and answers the others as duplicates', async () => {
    const sender = `d-${tag()}`;
    const messageId = randomUUID();
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(dm(sender, messageId, 'racing'))));

    const done = answers.filter((answer) => answer.status === 'done');
    const duplicates = answers.filter((answer) => answer.status === 'duplicate');
    expect([done.length, duplicates.length]).toEqual([1, 19]);
    expect(done[0]).toMatchObject({ reply: { text: 'echo: racing' } });
    expect(new Set(answers.map((answer) => answer.eventId))).toEqual(new Set([done[0]!.eventId]));
    expect(new Set(answers.map((answer) => answer.contactId))).toEqual(new Set([done[0]!.contactId]));

    expect(await count(server, 'inbound_events where platform_message_id = $1', [messageId])).toBe(1);
    expect(await count(server, 'turn_queue where event_id = $1', [done[0]!.eventId])).toBe(0);
    expect(await count(server, 'outbox where event_id = $1', [done[0]!.eventId])).toBe(1);
    expect(await count(server, 'messages where contact_id = $1', [done[0]!.contactId])).toBe(2);
    expect(await count(server, 'contact_identities where channel = $1 and external_id = $2', ['telegram', sender])).toBe(1);
  });

  it("answers a duplicate of a message posted without waiting at once with the first event, even with ?wait=true", async () => {
    const sender = `d-${tag()}`;
    const messageId = randomUUID();
    const queued = await server.client().inbound(dm(sender, messageId, 'quick'));
    expect(queued.status).toBe('queued');
    const duplicate = await post(dm(sender, messageId, 'quick'));
    expect(duplicate).toEqual({ eventId: queued.eventId, contactId: queued.contactId, status: 'duplicate' });
  });
});
