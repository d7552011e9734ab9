/**
 * Floods, attacked over real HTTP on both engines: a refused message (blocked, ignored) keeps only a
 * 200-character preview of its text; in groups each speaker's own bucket is drawn on as well as the
 * group's; new contacts per tenant are limited (`newContactRate`): over it a message is `blocked`,
 * `new_contact_rate`, and no contact or identity is created, also for a burst of parallel first messages.
 */
import { randomUUID } from 'node:crypto';
import type { InboundMessage, InboundResult } from '@switchboard/shared';
import { describeEachServer, type TestServer } from '../server-harness';

const tag = () => randomUUID().slice(0, 8);
const LONG = `${'flood '.repeat(2000)}🌊 end`;

function dm(sender: string, text = 'hello'): InboundMessage {
  return { channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text };
}

function inGroup(group: string, sender: string, text = 'hello bot', mentioned = true): InboundMessage {
  return { channel: 'telegram', chat: { id: group, type: 'group' }, sender: { id: sender }, messageId: randomUUID(), text, mentioned };
}

async function count(server: TestServer, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await server.admin<{ n: number }>(`select count(*)::int as n from ${sql}`, params);
  return row!.n;
}

async function storedText(server: TestServer, eventId: string): Promise<string> {
  const [row] = await server.admin<{ text: string }>('select text from inbound_events where id = $1', [eventId]);
  return row!.text;
}

const DEFAULTS = { dmPolicy: 'open', groupReplies: 'mention', rateLimit: { burst: 30, perMinute: 30 }, newContactRate: { burst: 60, perMinute: 60 } } as const;

describeEachServer('refused messages keep only a preview', (server) => {
  const ask = (message: InboundMessage): Promise<InboundResult> => server.client().inbound(message, { wait: true });
  afterEach(() => server.client().agents.update('default', DEFAULTS));

  it('stores 200 characters of a blocked, an ignored and a rate-limited message, and all of one that runs', async () => {
    const answered = await ask(dm(`ok-${tag()}`, LONG));
    expect(answered.status).toBe('done');
    expect(await storedText(server, answered.eventId)).toBe(LONG);

    const ignored = await ask(inGroup(`-100${tag()}`, `i-${tag()}`, LONG, false));
    expect(ignored).toMatchObject({ status: 'ignored', reason: 'not_mentioned' });

    await server.client().agents.update('default', { rateLimit: { burst: 1, perMinute: 0.0001 } });
    const noisy = `r-${tag()}`;
    expect(await ask(dm(noisy, 'one'))).toMatchObject({ status: 'done' });
    const limited = await ask(dm(noisy, LONG));
    expect(limited).toMatchObject({ status: 'blocked', reason: 'rate_limited' });

    await server.client().agents.update('default', { dmPolicy: 'allowlist' });
    const blocked = await ask(dm(`b-${tag()}`, LONG));
    expect(blocked).toMatchObject({ status: 'blocked', reason: 'not_allowed' });

    for (const refused of [ignored, limited, blocked]) {
      const text = await storedText(server, refused.eventId);
      expect(text).toBe(Array.from(LONG).slice(0, 200).join(''));
      expect(Array.from(text)).toHaveLength(200);
    }
  });

  it('keeps a preview also when the database is written to directly (a check constraint)', async () => {
    const refused = await ask(inGroup(`-100${tag()}`, `c-${tag()}`, 'short', false));
    const copy = `insert into inbound_events (tenant_id, agent_id, contact_id, sender_contact_id, channel, account_key, chat_id, chat_type,
        platform_message_id, text, status, reason)
      select tenant_id, agent_id, contact_id, sender_contact_id, channel, account_key, chat_id, chat_type, $2, $3, status, reason
      from inbound_events where id = $1`;
    await expect(server.admin(copy, [refused.eventId, randomUUID(), LONG])).rejects.toThrow(/inbound_events_refused_preview/);
    await server.admin(copy, [refused.eventId, randomUUID(), LONG.slice(0, 200)]);
  });
});

describeEachServer('group buckets per speaker and per group', (server) => {
  const ask = (message: InboundMessage): Promise<InboundResult> => server.client().inbound(message, { wait: true });
  afterEach(() => server.client().agents.update('default', DEFAULTS));

  it('limits a speaker across groups and DMs by their own bucket, without draining the groups', async () => {
    await server.client().agents.update('default', { rateLimit: { burst: 3, perMinute: 0.0001 } });
    const [a, b, c] = [`-100${tag()}`, `-100${tag()}`, `-100${tag()}`];
    const spammer = `s-${tag()}`;
    expect(await ask(inGroup(a, spammer, '1'))).toMatchObject({ status: 'done' });
    expect(await ask(inGroup(b, spammer, '2'))).toMatchObject({ status: 'done' });
    expect(await ask(inGroup(c, spammer, '3'))).toMatchObject({ status: 'done' });
    // A fourth group, or a DM: the speaker's own bucket is empty.
    expect(await ask(inGroup(`-100${tag()}`, spammer, '4'))).toMatchObject({ status: 'blocked', reason: 'rate_limited' });
    expect(await ask(dm(spammer, '5'))).toMatchObject({ status: 'blocked', reason: 'rate_limited' });
    for (let i = 0; i < 5; i++) expect(await ask(inGroup(a, spammer, `more ${i}`))).toMatchObject({ status: 'blocked', reason: 'rate_limited' });
    // Group a lost one token to the spammer, not six: two others still get answers there.
    expect(await ask(inGroup(a, `o-${tag()}`, 'mine'))).toMatchObject({ status: 'done' });
    expect(await ask(inGroup(a, `o-${tag()}`, 'mine too'))).toMatchObject({ status: 'done' });
    expect(await ask(inGroup(a, `o-${tag()}`, 'and mine?'))).toMatchObject({ status: 'blocked', reason: 'rate_limited' });
  });

  it('gives the speaker their token back when only the group’s bucket is empty', async () => {
    await server.client().agents.update('default', { rateLimit: { burst: 2, perMinute: 0.0001 } });
    const group = `-100${tag()}`;
    const [first, second, talker] = [`f-${tag()}`, `g-${tag()}`, `t-${tag()}`];
    expect(await ask(inGroup(group, first))).toMatchObject({ status: 'done' });
    expect(await ask(inGroup(group, second))).toMatchObject({ status: 'done' });
    for (let i = 0; i < 3; i++) expect(await ask(inGroup(group, talker, `full ${i}`))).toMatchObject({ status: 'blocked', reason: 'rate_limited' });
    // None of those refusals cost the talker: both tokens are still there for their DMs.
    expect(await ask(dm(talker, 'one'))).toMatchObject({ status: 'done' });
    expect(await ask(dm(talker, 'two'))).toMatchObject({ status: 'done' });
    expect(await ask(dm(talker, 'three'))).toMatchObject({ status: 'blocked', reason: 'rate_limited' });
  });
});

describeEachServer('new contacts per tenant', (server) => {
  const ask = (message: InboundMessage): Promise<InboundResult> => server.client().inbound(message, { wait: true });
  afterEach(() => server.client().agents.update('default', DEFAULTS));

  const contactsOf = async (externalIds: string[]) =>
    count(server, 'contact_identities where channel = $1 and external_id = any($2)', ['telegram', externalIds]);

  it('creates at most the limit from a burst of parallel first messages; the rest are blocked with no contact or identity', async () => {
    await server.client().agents.update('default', { newContactRate: { burst: 5, perMinute: 0.0001 } });
    const known = `k-${tag()}`;
    // The bucket starts full at the first new contact: this one takes a token too.
    expect(await ask(dm(known, 'before'))).toMatchObject({ status: 'done' });
    const contactsBefore = await count(server, 'contacts');
    const senders = Array.from({ length: 24 }, () => `n-${tag()}`);
    const answers = await Promise.all(senders.map((sender) => server.client().inbound(dm(sender, LONG))));
    const created = answers.filter((answer) => answer.status === 'queued');
    const refused = answers.filter((answer) => answer.status === 'blocked');
    expect(created).toHaveLength(4);
    expect(refused).toHaveLength(20);
    expect(refused.every((answer) => answer.status === 'blocked' && answer.reason === 'new_contact_rate' && answer.contactId === null)).toBe(true);
    expect(await count(server, 'contacts')).toBe(contactsBefore + 4);
    expect(await contactsOf(senders)).toBe(4);
    const refusedIds = refused.map((answer) => answer.eventId);
    expect(await count(server, `inbound_events where id = any($1) and contact_id is null and sender_contact_id is null
      and status = 'blocked' and reason = 'new_contact_rate' and length(text) = 200`, [refusedIds])).toBe(20);
    expect(await count(server, 'turn_queue where event_id = any($1)', [refusedIds])).toBe(0);

    // Known contacts are not new: they are still answered, and a repeat of a refused message is a duplicate.
    expect(await ask(dm(known, 'after'))).toMatchObject({ status: 'done' });
    const stranger = dm(`z-${tag()}`);
    const first = await ask(stranger);
    expect(first).toMatchObject({ status: 'blocked', reason: 'new_contact_rate', contactId: null });
    expect(await ask(stranger)).toEqual({ eventId: first.eventId, contactId: null, status: 'duplicate' });
  });

  it('refuses a group message that would create two contacts with one token left, creating neither', async () => {
    await server.client().agents.update('default', { newContactRate: { burst: 1, perMinute: 0.0001 } });
    await server.admin('delete from new_contact_buckets');
    const [group, speaker] = [`-100${tag()}`, `s-${tag()}`];
    expect(await ask(inGroup(group, speaker))).toMatchObject({ status: 'blocked', reason: 'new_contact_rate', contactId: null });
    expect(await contactsOf([group, speaker])).toBe(0);
    expect(await count(server, 'new_contact_buckets')).toBe(0);
    // One new contact fits: the person alone.
    expect(await ask(dm(speaker))).toMatchObject({ status: 'done' });
    expect(await contactsOf([group, speaker])).toBe(1);
  });

  it('erases the refusals a person got before becoming a contact when that contact is forgotten', async () => {
    await server.client().agents.update('default', { newContactRate: { burst: 1, perMinute: 0.0001 } });
    await server.admin('delete from new_contact_buckets');
    expect(await ask(dm(`a-${tag()}`))).toMatchObject({ status: 'done' });
    const stranger = `s-${tag()}`;
    expect(await ask(dm(stranger, 'let me in'))).toMatchObject({ status: 'blocked', reason: 'new_contact_rate' });
    await server.admin('delete from new_contact_buckets');
    const admitted = await ask(dm(stranger, 'now?'));
    expect(admitted).toMatchObject({ status: 'done' });
    expect(await count(server, 'inbound_events where chat_id = $1', [stranger])).toBe(2);
    await server.client().contacts.forget(admitted.contactId!);
    expect(await count(server, 'inbound_events where chat_id = $1', [stranger])).toBe(0);
  });

  it('limits the new contacts the gateway token resolves too (429, nothing created); the owner’s resolves are not limited', async () => {
    await server.client().agents.update('default', { newContactRate: { burst: 2, perMinute: 0.0001 } });
    await server.admin('delete from new_contact_buckets');
    const ids = Array.from({ length: 5 }, () => `r-${tag()}`);
    const gateway = server.client(server.gatewayToken);
    // The gateway resolves in the tenant of the receiving account: a bot of this tenant.
    const bot = '777000111';
    if (!(await server.client().channels.list()).some((account) => account.accountId === bot)) {
      await server.client().channels.add({ channel: 'telegram', token: `${bot}:floods-bot-token` });
    }
    const results = await Promise.all(ids.map((externalId) => gateway.contacts.resolve({ channel: 'telegram', accountId: bot, externalId }).then(
      () => 'created', (error: unknown) => (error as { code?: string }).code,
    )));
    expect([...results].sort()).toEqual(['created', 'created', 'rate_limited', 'rate_limited', 'rate_limited']);
    expect(await contactsOf(ids)).toBe(2);
    // A known identity resolves whatever the limit; the owner creates contacts at will.
    const known = ids[results.indexOf('created')]!;
    expect(await gateway.contacts.resolve({ channel: 'telegram', accountId: bot, externalId: known })).toMatchObject({ kind: 'person' });
    const owners = `owner-${tag()}`;
    expect(await server.client().contacts.resolve({ channel: 'telegram', externalId: owners })).toMatchObject({ kind: 'person' });
    expect(await contactsOf([...ids, owners])).toBe(3);
  });

  it('is set per agent: the tenant’s one bucket, sized and refilled by the agent a message is for', async () => {
    const roomy = `roomy-${tag()}`;
    await server.client().agents.create({ name: roomy, newContactRate: { burst: 1000, perMinute: 600_000 } });
    await server.client().agents.update('default', { newContactRate: { burst: 1, perMinute: 0.0001 } });
    await server.admin('delete from new_contact_buckets');
    expect(await ask(dm(`a-${tag()}`))).toMatchObject({ status: 'done' });
    expect(await ask(dm(`b-${tag()}`))).toMatchObject({ status: 'blocked', reason: 'new_contact_rate' });
    expect(await ask({ ...dm(`c-${tag()}`), agent: roomy })).toMatchObject({ status: 'done' });
  });
});
