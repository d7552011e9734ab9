/**
 * Policy without side doors, attacked over real HTTP on both engines: a group under the allowlist
 * or pairing policy is answered only once the group itself is allowed (a personally allowed member
 * is no way in); an identity never resolves to a contact of the other kind (409, nothing stored);
 * the gateway token posts only for existing accounts, never waits or withholds delivery, reads only
 * the outbox of accounts its holder leases, and reads no transcripts or memories; a pairing code
 * reaches the chat once, through the outbox, with the real gateway and a fake channel.
 */
import { randomUUID } from 'node:crypto';
import type { GatewayAccount, InboundMessage, InboundResult } from '@switchboard/shared';
import { startGateway, type ChannelAdapter } from '@switchboard/gateway';
import { describeEachServer, type TestServer } from '../server-harness';
import { until } from '../until';

const tag = () => randomUUID().slice(0, 8);

function dm(sender: string, text = 'hello', extra: Partial<InboundMessage> = {}): InboundMessage {
  return { channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text, ...extra };
}

function inGroup(group: string, sender: string, text = 'hello bot', mentioned = true): InboundMessage {
  return { channel: 'telegram', chat: { id: group, type: 'group' }, sender: { id: sender }, messageId: randomUUID(), text, mentioned };
}

async function count(server: TestServer, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await server.admin<{ n: number }>(`select count(*)::int as n from ${sql}`, params);
  return row!.n;
}

/** Every row count an accepted or refused message could change. */
async function stored(server: TestServer): Promise<Record<string, number>> {
  const tables = ['contacts', 'contact_identities', 'group_members', 'inbound_events', 'turn_queue', 'outbox', 'pairing_requests', 'rate_buckets'];
  return Object.fromEntries(await Promise.all(tables.map(async (table) => [table, await count(server, table)] as const)));
}

async function post(server: TestServer, path: string, body: unknown, token: string): Promise<{ status: number; body: { error?: { code: string } } & Record<string, unknown> }> {
  const response = await server.fetch(path, { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { error?: { code: string } } };
}

describeEachServer('groups under the allowlist and pairing policies', (server) => {
  const client = () => server.client();
  const ask = (message: InboundMessage): Promise<InboundResult> => client().inbound(message, { wait: true });

  afterEach(async () => {
    await client().agents.update('default', { dmPolicy: 'open', groupReplies: 'mention' });
  });

  it('answers a group under the allowlist only once the owner allows the group; an allowed member is no way in', async () => {
    await client().agents.update('default', { dmPolicy: 'allowlist' });
    const [group, member] = [`-100${tag()}`, `m-${tag()}`];
    // The member is allowed personally (a DM would be answered), the group is not.
    const own = await ask(dm(member, 'me first'));
    await client().contacts.setAccess(own.contactId!, 'allowed');
    expect(await ask(dm(member, 'me again'))).toMatchObject({ status: 'done' });

    const refused = await ask(inGroup(group, member, 'answer the group'));
    expect(refused).toMatchObject({ status: 'blocked', reason: 'not_allowed' });
    expect(await count(server, 'outbox where event_id = $1', [refused.eventId])).toBe(0);
    expect(await count(server, 'turn_queue where event_id = $1', [refused.eventId])).toBe(0);

    await client().contacts.setAccess(refused.contactId!, 'allowed');
    expect(await ask(inGroup(group, `x-${tag()}`, 'now?'))).toMatchObject({ status: 'done', reply: { text: 'echo: now?' } });
    // A blocked speaker stays blocked in an allowed group.
    const troll = `t-${tag()}`;
    const trollDm = await ask(dm(troll));
    await client().contacts.setAccess(trollDm.contactId!, 'blocked');
    expect(await ask(inGroup(group, troll, 'let me'))).toMatchObject({ status: 'blocked', reason: 'blocked' });
  });

  it('sends a group one pairing code into the group when addressed, none for chatter, and answers it once approved', async () => {
    await client().agents.update('default', { dmPolicy: 'pairing' });
    const group = `-100${tag()}`;
    const chatter = await ask(inGroup(group, `c-${tag()}`, 'just talking', false));
    expect(chatter).toMatchObject({ status: 'ignored', reason: 'not_mentioned' });
    expect(await count(server, 'pairing_requests where contact_id = $1', [chatter.contactId])).toBe(0);

    const first = await ask(inGroup(group, `a-${tag()}`, 'bot, hello'));
    expect(first).toMatchObject({ status: 'blocked', reason: 'pairing_pending', contactId: chatter.contactId });
    const code = /pairing code is ([A-Z0-9]+)\./.exec(first.status === 'blocked' ? first.reply?.text ?? '' : '')?.[1];
    expect(code).toMatch(/^[A-Z0-9]{6,12}$/);
    expect(await ask(inGroup(group, `b-${tag()}`, 'bot, again?'))).toMatchObject({ status: 'blocked', reason: 'pairing_pending' });
    const sent = (await client().outbox.list({ limit: 1000 })).filter((item) => item.contactId === first.contactId);
    expect(sent.map((item) => [item.eventId, item.chatId])).toEqual([[first.eventId, group]]);
    expect(sent[0]!.text).toContain(code);

    expect(await client().pairing.approve(code!)).toEqual({ contactId: first.contactId });
    expect(await ask(inGroup(group, `d-${tag()}`, 'paired?'))).toMatchObject({ status: 'done', reply: { text: 'echo: paired?' } });
  });
});

describeEachServer('an identity keeps its kind', (server) => {
  it('refuses with 409 a direct message from a group id and a group message from a person id, storing nothing', async () => {
    const [group, person] = [`-100${tag()}`, `p-${tag()}`];
    const token = server.ownerToken;
    expect((await post(server, '/v1/inbound?wait=true', inGroup(group, person), token)).status).toBe(200);
    const before = await stored(server);
    const asPerson = await post(server, '/v1/inbound', dm(group, 'I am the group now'), token);
    expect({ status: asPerson.status, code: asPerson.body.error?.code }).toEqual({ status: 409, code: 'conflict' });
    const asGroup = await post(server, '/v1/inbound', inGroup(person, `q-${tag()}`, 'the person is a group now'), token);
    expect({ status: asGroup.status, code: asGroup.body.error?.code }).toEqual({ status: 409, code: 'conflict' });
    expect(await stored(server)).toEqual(before);
  });

  it('refuses with 409 to resolve a group id as a person or a person id as a group, for the owner and the gateway', async () => {
    const [group, person] = [`-100${tag()}`, `p-${tag()}`];
    expect((await post(server, '/v1/contacts/resolve', { channel: 'telegram', externalId: group, kind: 'group', displayName: 'The group' }, server.ownerToken)).status).toBe(201);
    expect((await post(server, '/v1/contacts/resolve', { channel: 'telegram', externalId: person }, server.ownerToken)).status).toBe(201);
    // The gateway resolves in the tenant of a receiving account: a bot of this tenant.
    const bot = `5${tag().replace(/\D/g, '').slice(0, 8).padEnd(8, '0')}`;
    await server.client().channels.add({ channel: 'telegram', token: `${bot}:side-doors-bot-token` });
    const before = await stored(server);
    const names = await server.admin('select id, display_name, kind from contacts order by id');
    for (const token of [server.ownerToken, server.gatewayToken]) {
      for (const body of [
        { channel: 'telegram', externalId: group, kind: 'person', displayName: 'renamed' },
        { channel: 'telegram', externalId: person, kind: 'group', displayName: 'renamed' },
      ]) {
        const answer = await post(server, '/v1/contacts/resolve', token === server.gatewayToken ? { ...body, accountId: bot } : body, token);
        expect({ body, status: answer.status, code: answer.body.error?.code }).toEqual({ body, status: 409, code: 'conflict' });
      }
    }
    expect(await stored(server)).toEqual(before);
    expect(await server.admin('select id, display_name, kind from contacts order by id')).toEqual(names);
  });
});

describeEachServer('what the gateway token may do', (server) => {
  const gateway = () => server.client(server.gatewayToken);
  const ACCOUNT = 'side-doors';

  beforeAll(async () => {
    await server.client().channels.add({ channel: 'whatsapp', accountId: ACCOUNT });
    await server.client().agents.create({ name: 'loose' });
  });

  const forAccount = (extra: Partial<InboundMessage> = {}): InboundMessage =>
    ({ ...dm(`g-${tag()}@s.whatsapp.net`), channel: 'whatsapp', accountId: ACCOUNT, ...extra });

  it('posts for an existing account, and answers 4xx storing nothing for an unknown account, a wait, an undelivered reply or another agent', async () => {
    const accepted = await gateway().inbound(forAccount());
    expect(accepted).toMatchObject({ status: 'queued' });
    await until('its reply queued', async () => (await count(server, 'outbox where event_id = $1', [accepted.eventId])) === 1 || undefined);
    const before = await stored(server);
    const refusals: [string, string, InboundMessage, number, string][] = [
      ['an unknown account', '/v1/inbound', forAccount({ accountId: 'nobody' }), 404, 'not_found'],
      ['an account of another channel', '/v1/inbound', forAccount({ channel: 'telegram' }), 404, 'not_found'],
      ['channel cli', '/v1/inbound', forAccount({ channel: 'cli', accountId: 'default' }), 404, 'not_found'],
      ['?wait=true', '/v1/inbound?wait=true', forAccount(), 403, 'forbidden'],
      ['?wait=true&stream=true', '/v1/inbound?wait=true&stream=true', forAccount(), 403, 'forbidden'],
      ['"deliver": false', '/v1/inbound', forAccount({ deliver: false }), 403, 'forbidden'],
      ['another agent than the account’s', '/v1/inbound', forAccount({ agent: 'loose' }), 403, 'forbidden'],
    ];
    for (const [name, path, body, status, code] of refusals) {
      const answer = await post(server, path, body, server.gatewayToken);
      expect({ name, status: answer.status, code: answer.body.error?.code }).toEqual({ name, status, code });
    }
    expect(await stored(server)).toEqual(before);
    // The owner token still speaks for any channel, `cli` included, and may wait.
    expect(await server.client().inbound({ channel: 'cli', sender: { id: `o-${tag()}` }, messageId: randomUUID(), text: 'hi' }, { wait: true }))
      .toMatchObject({ status: 'done', reply: { text: 'echo: hi' } });
  });

  it('reads and changes only outbox rows of an account whose lease its holder has', async () => {
    const other = `${ACCOUNT}-other`;
    await server.client().channels.add({ channel: 'whatsapp', accountId: other });
    const owner = server.client();
    const queued = await owner.inbound(forAccount({ text: 'mine' }), { wait: true });
    const theirs = await owner.inbound(forAccount({ accountId: other, text: 'theirs' }), { wait: true });
    expect([queued.status, theirs.status]).toEqual(['done', 'done']);
    await gateway().channels.takeLease('whatsapp', ACCOUNT, { holder: 'gw-me', ttlMs: 60_000 });
    await gateway().channels.takeLease('whatsapp', other, { holder: 'gw-them', ttlMs: 60_000 });

    const refused: [string, string, unknown][] = [
      ['GET', '/v1/outbox', undefined],
      ['GET', '/v1/outbox?status=sent', undefined],
      ['GET', `/v1/outbox?channel=whatsapp&account=${ACCOUNT}`, undefined],
      ['GET', `/v1/outbox?channel=whatsapp&account=${other}&holder=gw-me`, undefined],
      ['GET', `/v1/outbox?channel=whatsapp&holder=gw-me`, undefined],
      ['POST', '/v1/outbox/claim', { channel: 'whatsapp', account: other, holder: 'gw-me' }],
      ['POST', '/v1/outbox/claim', { channel: 'whatsapp', account: ACCOUNT }],
      ['POST', '/v1/outbox/claim', { channel: 'whatsapp', account: ACCOUNT, holder: 'gw-them' }],
    ];
    for (const [method, path, body] of refused) {
      const response = await server.fetch(path, {
        method, token: server.gatewayToken, headers: { 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}),
      });
      expect({ method, path, body, status: response.status }).toEqual({ method, path, body, status: 403 });
    }

    const mine = await gateway().outbox.list({ channel: 'whatsapp', account: ACCOUNT, holder: 'gw-me' });
    expect(mine.map((item) => item.text)).toContain('echo: mine');
    expect(mine.every((item) => item.accountId === ACCOUNT)).toBe(true);
    const theirItem = (await owner.outbox.list({ account: other }))[0]!;
    expect(theirItem.text).toBe('echo: theirs');
    const theirAccount = { channel: 'whatsapp' as const, account: other };
    const myAccount = { channel: 'whatsapp' as const, account: ACCOUNT };
    for (const attempt of [
      () => gateway().outbox.ack(theirItem.id, { holder: 'gw-me', ...theirAccount }),
      () => gateway().outbox.ack(theirItem.id, { holder: 'gw-me', ...myAccount }),
      () => gateway().outbox.ack(theirItem.id, theirAccount),
      () => gateway().outbox.fail(theirItem.id, { error: 'x', permanent: true, holder: 'gw-me', ...theirAccount }),
      () => gateway().outbox.fail(theirItem.id, { error: 'x', permanent: true, holder: 'gw-me', ...myAccount }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'not_found' });
    }
    // Without naming the account (its tenant) nothing is even looked up.
    await expect(gateway().outbox.ack(theirItem.id, { holder: 'gw-them' })).rejects.toMatchObject({ code: 'forbidden' });
    expect(await owner.outbox.list({ account: other })).toEqual([theirItem]);
    // The holder whose lease ran out reads nothing more.
    await server.admin(`update channel_leases set expires_at = now() - interval '1 second' where account_key = $1`, [ACCOUNT]);
    await expect(gateway().outbox.claim({ channel: 'whatsapp', account: ACCOUNT, holder: 'gw-me' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(gateway().outbox.ack(mine[0]!.id, { holder: 'gw-me', ...myAccount })).rejects.toMatchObject({ code: 'not_found' });
    expect((await owner.outbox.list({ account: ACCOUNT })).map((item) => item.id)).toContain(mine[0]!.id);
  });

  it('reads no transcript, memory, contact, session, agent or pairing request: every GET route but its own is owner-only', async () => {
    const answer = await server.client().inbound(forAccount({ text: 'remember my secret' }), { wait: true });
    const [session] = await server.client().sessions.list({ contact: answer.contactId! });
    const [memory] = await server.client().memories.list({ contact: answer.contactId! });
    expect(session && memory).toBeTruthy();
    const ownerOnly = [
      '/v1/contacts', `/v1/contacts/${answer.contactId}`, '/v1/sessions', `/v1/sessions?contact=${answer.contactId}`,
      `/v1/sessions/${session!.id}/messages`, '/v1/memories', '/v1/memories?q=secret', `/v1/memories/${memory!.id}`,
      `/v1/memories/${memory!.id}/history`, '/v1/agents', '/v1/agents/default', '/v1/agents/default/check', '/v1/pairing', '/v1/channels',
    ];
    for (const path of ownerOnly) {
      const response = await server.fetch(path, { token: server.gatewayToken });
      const body = await response.text();
      expect({ path, status: response.status }).toEqual({ path, status: 403 });
      expect(body).not.toContain('my secret');
      expect((await server.fetch(path)).status).toBe(200);
    }
  });
});

/** An adapter with no platform behind it: records every reply the gateway sends. */
function fakeChannel(account: GatewayAccount) {
  let deliver: ((message: InboundMessage) => Promise<void>) | undefined;
  const sent: { chatId: string; text: string }[] = [];
  const adapter: ChannelAdapter = {
    channel: account.channel,
    accountId: account.accountId,
    async start(onMessage) {
      deliver = onMessage;
    },
    async send(item) {
      sent.push({ chatId: item.chatId, text: item.text });
    },
    async typing() {},
    async stop() {},
  };
  return { adapter, sent, receive: (message: InboundMessage) => deliver!(message) };
}

describeEachServer('a pairing code through the gateway (fake channel)', (server) => {
  beforeAll(() => server.client().channels.add({ channel: 'whatsapp', accountId: 'pairing-once' }));

  // With the owner token the 202 carries the code as `reply`: the gateway must still not send it itself.
  it.each([['gateway'], ['owner']])('reaches the chat once, through the outbox, however often the sender writes (a gateway with the %s token)', async (kind) => {
    await server.client().agents.update('default', { dmPolicy: 'pairing' });
    let fake: ReturnType<typeof fakeChannel> | undefined;
    const gateway = await startGateway({
      client: server.client(kind === 'gateway' ? server.gatewayToken : server.ownerToken), log: () => undefined, claimWaitMs: 200, refreshMs: 60_000,
      connect: { whatsapp: async (account) => (fake = fakeChannel(account)).adapter },
    });
    try {
      const sender = `${tag()}@s.whatsapp.net`;
      const message = (text: string): InboundMessage =>
        ({ channel: 'whatsapp', chat: { id: sender, type: 'direct' }, sender: { id: sender }, messageId: randomUUID(), text });
      await fake!.receive(message('hi'));
      await until('the pairing code sent', () => fake!.sent[0]);
      await fake!.receive(message('hello?'));
      await fake!.receive(message('anyone?'));
      await until('three refusals stored', async () => (await count(server, `inbound_events where chat_id = $1 and reason = 'pairing_pending'`, [sender])) === 3 || undefined);
      await until('the code acked', async () => (await count(server, `outbox where chat_id = $1 and status = 'sent'`, [sender])) === 1 || undefined);
      await new Promise((resolve) => setTimeout(resolve, 600)); // a few claim rounds: nothing more may come
      expect(fake!.sent).toEqual([{ chatId: sender, text: expect.stringMatching(/pairing code is [A-Z0-9]+\./) }]);
      expect(await count(server, 'outbox where chat_id = $1', [sender])).toBe(1);
    } finally {
      await gateway.stop();
      await server.client().agents.update('default', { dmPolicy: 'open' });
    }
  });

  it('answers the gateway token’s 202 without the code: the outbox carries it', async () => {
    await server.client().agents.update('default', { dmPolicy: 'pairing' });
    try {
      const sender = `${tag()}@s.whatsapp.net`;
      const answer = await server.client(server.gatewayToken).inbound({ ...dm(sender), channel: 'whatsapp', accountId: 'pairing-once' });
      expect(answer).toEqual({ eventId: expect.any(String), contactId: expect.any(String), status: 'blocked', reason: 'pairing_pending' });
      expect((await server.client().outbox.list({ account: 'pairing-once' })).filter((item) => item.chatId === sender)).toHaveLength(1);
    } finally {
      await server.client().agents.update('default', { dmPolicy: 'open' });
    }
  });
});
