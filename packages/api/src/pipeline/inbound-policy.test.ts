/**
 * Who gets an answer over real HTTP: the DM policies, the blocklist, pairing and the per-contact
 * rate limits (the decision branch by branch: inbound-decision.test). Every test sets the policy it
 * needs on the default agent and the suite restores the defaults after each test.
 */
import { randomUUID } from 'node:crypto';
import type { AgentPatch, InboundMessage, InboundResult } from '@switchboard/shared';
import { describeEachServer, type TestServer } from '../../../../test/server-harness';

const tag = () => randomUUID().slice(0, 8);
const DEFAULT_POLICY = { dmPolicy: 'open', groupReplies: 'mention', rateLimit: { burst: 30, perMinute: 30 } } as const;

function dm(sender: string, text = 'hello', messageId = randomUUID()): InboundMessage {
  return { channel: 'telegram', sender: { id: sender }, messageId, text };
}

function inGroup(groupId: string, sender: string, text = 'hello bot'): InboundMessage {
  return { channel: 'telegram', chat: { id: groupId, type: 'group' }, sender: { id: sender }, messageId: randomUUID(), text, mentioned: true };
}

async function count(server: TestServer, sql: string, params: unknown[]): Promise<number> {
  const [row] = await server.admin<{ n: number }>(`select count(*)::int as n from ${sql}`, params);
  return row!.n;
}

describeEachServer('inbound policies over real HTTP', (server) => {
  const client = () => server.client();
  const post = (message: InboundMessage): Promise<InboundResult> => client().inbound(message, { wait: true });
  const setPolicy = (patch: AgentPatch) => client().agents.update('default', patch);

  afterEach(async () => {
    await setPolicy(DEFAULT_POLICY);
  });

  it('blocks an unknown sender under the allowlist policy until the owner allows the contact', async () => {
    await setPolicy({ dmPolicy: 'allowlist' });
    const [sender, stranger] = [`s-${tag()}`, `s-${tag()}`];
    const blocked = await post(dm(sender, 'let me in'));
    expect(blocked).toEqual({ eventId: expect.any(String), contactId: expect.any(String), status: 'blocked', reason: 'not_allowed' });
    expect(await count(server, 'outbox where event_id = $1', [blocked.eventId])).toBe(0);
    expect(await count(server, `inbound_events where id = $1 and status = 'blocked' and reason = 'not_allowed'`, [blocked.eventId])).toBe(1);

    expect(await client().contacts.setAccess(blocked.contactId!, 'allowed')).toMatchObject({ access: 'allowed' });
    expect(await post(dm(sender, 'let me in now'))).toMatchObject({ status: 'done', reply: { text: 'echo: let me in now' } });
    expect(await post(dm(stranger))).toMatchObject({ status: 'blocked', reason: 'not_allowed' });
  });

  it('gives a new sender one pairing code under the pairing policy and answers them once the owner approves it', async () => {
    await setPolicy({ dmPolicy: 'pairing' });
    const sender = `s-${tag()}`;
    const first = await post(dm(sender, 'hi'));
    expect(first).toMatchObject({ status: 'blocked', reason: 'pairing_pending' });
    const code = /pairing code is ([A-Z0-9]+)\./.exec(first.status === 'blocked' ? first.reply?.text ?? '' : '')?.[1];
    expect(code).toMatch(/^[A-Z0-9]{6,12}$/);
    const pending = (await client().pairing.list()).filter((request) => request.contactId === first.contactId);
    expect(pending.map((request) => request.code)).toEqual([code]);

    const second = await post(dm(sender, 'hello?'));
    expect(second).toMatchObject({ status: 'blocked', reason: 'pairing_pending', contactId: first.contactId });
    expect(second.status === 'blocked' ? second.reply?.text : undefined).toContain(code);
    expect((await client().pairing.list()).filter((request) => request.contactId === first.contactId)).toHaveLength(1);
    // The code goes out through the outbox once, with the first message.
    const sent = (await client().outbox.list()).filter((item) => item.contactId === first.contactId);
    expect(sent.map((item) => [item.eventId, item.chatId])).toEqual([[first.eventId, sender]]);
    expect(sent[0]!.text).toContain(code);

    expect(await client().pairing.approve(code!.toLowerCase())).toEqual({ contactId: first.contactId });
    expect(await client().contacts.get(first.contactId!)).toMatchObject({ access: 'allowed' });
    expect((await client().pairing.list()).map((request) => request.code)).not.toContain(code);
    expect(await post(dm(sender, 'paired now'))).toMatchObject({ status: 'done', reply: { text: 'echo: paired now' } });
    await expect(client().pairing.approve(code!)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('answers an unknown pairing code with 404', async () => {
    const response = await server.fetch('/v1/pairing/approve', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'ZZZZ9999' }),
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('answers anyone under the open policy', async () => {
    await setPolicy({ dmPolicy: 'open' });
    for (const sender of [`s-${tag()}`, `s-${tag()}`]) {
      expect(await post(dm(sender, 'anyone home?'))).toMatchObject({ status: 'done', reply: { text: 'echo: anyone home?' } });
    }
  });

  it('blocks a blocked contact under every policy, in a DM and as a speaker in a group', async () => {
    const sender = `s-${tag()}`;
    const groupId = `-100${tag()}`;
    const first = await post(dm(sender, 'before the block'));
    expect(first.status).toBe('done');
    await client().contacts.setAccess(first.contactId!, 'blocked');

    for (const dmPolicy of ['open', 'allowlist', 'pairing'] as const) {
      await setPolicy({ dmPolicy });
      expect({ dmPolicy, answer: await post(dm(sender)) }).toMatchObject({ dmPolicy, answer: { status: 'blocked', reason: 'blocked' } });
      const inTheGroup = await post(inGroup(groupId, sender));
      expect({ dmPolicy, answer: inTheGroup }).toMatchObject({ dmPolicy, answer: { status: 'blocked', reason: 'blocked' } });
      expect(inTheGroup.contactId).not.toBe(first.contactId);
    }
    expect((await client().pairing.list()).filter((request) => request.contactId === first.contactId)).toEqual([]);
    expect(await count(server, `outbox where contact_id = $1`, [first.contactId])).toBe(1);

    // Others in the same group are still answered; unblocking restores the sender.
    await setPolicy({ dmPolicy: 'open' });
    expect(await post(inGroup(groupId, `s-${tag()}`))).toMatchObject({ status: 'done' });
    await client().contacts.setAccess(first.contactId!, 'default');
    expect(await post(dm(sender, 'back again'))).toMatchObject({ status: 'done', reply: { text: 'echo: back again' } });
  });

  it('blocks every member’s messages in a blocked group', async () => {
    const groupId = `-100${tag()}`;
    const first = await post(inGroup(groupId, `s-${tag()}`));
    expect(first.status).toBe('done');
    await client().contacts.setAccess(first.contactId!, 'blocked');
    expect(await post(inGroup(groupId, `s-${tag()}`))).toMatchObject({ status: 'blocked', reason: 'blocked', contactId: first.contactId });
  });

  it('rate-limits one sender past the burst while another sender is still answered', async () => {
    await setPolicy({ rateLimit: { burst: 3, perMinute: 0.0001 } });
    const [noisy, quiet] = [`s-${tag()}`, `s-${tag()}`];
    for (let i = 1; i <= 3; i++) expect(await post(dm(noisy, `message ${i}`))).toMatchObject({ status: 'done' });
    const limited = await post(dm(noisy, 'message 4'));
    expect(limited).toMatchObject({ status: 'blocked', reason: 'rate_limited' });
    expect(await count(server, 'outbox where event_id = $1', [limited.eventId])).toBe(0);
    expect(await count(server, `inbound_events where id = $1 and status = 'blocked' and reason = 'rate_limited'`, [limited.eventId])).toBe(1);
    expect(await post(dm(quiet, 'my turn'))).toMatchObject({ status: 'done', reply: { text: 'echo: my turn' } });
    expect(await post(dm(noisy, 'message 5'))).toMatchObject({ status: 'blocked', reason: 'rate_limited' });
  });

  it('takes no rate token for a repeated message id, a policy-blocked message or the owner’s own chat', async () => {
    await setPolicy({ rateLimit: { burst: 3, perMinute: 0.0001 }, dmPolicy: 'allowlist' });
    const sender = `s-${tag()}`;
    const refused = await post(dm(sender));
    for (let i = 0; i < 4; i++) expect(await post(dm(sender))).toMatchObject({ status: 'blocked', reason: 'not_allowed' });
    await client().contacts.setAccess(refused.contactId!, 'allowed');

    const messageId = randomUUID();
    const accepted = await post(dm(sender, 'counted once', messageId));
    expect(accepted.status).toBe('done');
    for (let i = 0; i < 4; i++) {
      expect(await post(dm(sender, 'counted once', messageId))).toEqual({ eventId: accepted.eventId, contactId: accepted.contactId, status: 'duplicate' });
    }
    expect(await post(dm(sender, 'second'))).toMatchObject({ status: 'done' });
    expect(await post(dm(sender, 'third'))).toMatchObject({ status: 'done' });
    const fourthId = randomUUID();
    const fourth = await post(dm(sender, 'fourth', fourthId));
    expect(fourth).toMatchObject({ status: 'blocked', reason: 'rate_limited' });
    // A rate-limited message is stored too: posting it again is a duplicate of that refusal.
    expect(await post(dm(sender, 'fourth', fourthId))).toEqual({ eventId: fourth.eventId, contactId: fourth.contactId, status: 'duplicate' });

    for (let i = 0; i < 5; i++) {
      expect(await post({ channel: 'cli', messageId: randomUUID(), text: `owner ${i}` })).toMatchObject({ status: 'done', contactId: null });
    }
  });

  it('counts a group’s messages against the group and against each speaker’s own bucket, which their DMs share', async () => {
    await setPolicy({ rateLimit: { burst: 2, perMinute: 0.0001 } });
    const [groupId, member] = [`-100${tag()}`, `s-${tag()}`];
    expect(await post(inGroup(groupId, member))).toMatchObject({ status: 'done' });
    expect(await post(inGroup(groupId, `s-${tag()}`))).toMatchObject({ status: 'done' });
    expect(await post(inGroup(groupId, `s-${tag()}`))).toMatchObject({ status: 'blocked', reason: 'rate_limited' });
    expect(await post(dm(member))).toMatchObject({ status: 'done' });
    expect(await post(dm(member))).toMatchObject({ status: 'blocked', reason: 'rate_limited' });
  });
});
