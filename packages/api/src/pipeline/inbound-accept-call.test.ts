/**
 * The accept as one database call, on both engines: every kind of message costs exactly one `call`
 * and no transaction (a Db that counts them); what the call stores (the lane, a refused message's
 * preview); that it acts only in the owner's scope of its own tenant; and that 20 concurrent copies
 * of a new sender's message leave one event, one contact and one rate token taken.
 */
import { randomUUID } from 'node:crypto';
import type { InboundMessage, TenantId } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import type { Db } from '../db/db';
import { contactScope, ownerScope, type Scope } from '../db/scope';
import { acceptMessage, type AcceptInput } from './inbound-accept-call';
import { createInboundService, type InboundService } from './inbound-service';

const tag = () => randomUUID().slice(0, 8);

function dm(sender: string, extra: Partial<InboundMessage> = {}): InboundMessage {
  return { channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text: 'hello', ...extra };
}

function inGroup(group: string, sender: string, extra: Partial<InboundMessage> = {}): InboundMessage {
  return dm(sender, { chat: { id: group, type: 'group' }, mentioned: true, ...extra });
}

function inputOf(sender: string | null, extra: Partial<AcceptInput> = {}): AcceptInput {
  return {
    channel: 'telegram', accountKey: 'default', chatId: sender ?? 'owner', chatType: 'direct', threadKey: '',
    platformMessageId: randomUUID(), deliver: true, fromGateway: false, agentName: 'default',
    sender: sender === null ? null : { id: sender, displayName: null }, chatTitle: null, text: 'hello', mentioned: false, addressed: false, ...extra,
  };
}

describeEachEngine('accepting a message in one call', (env) => {
  const used = { call: 0, transaction: 0 };
  let inbound: InboundService;
  const owner = () => ({ kind: 'owner' as const, tenantId: env.tenantId });

  beforeAll(() => {
    const counting: Db = {
      ...env.db,
      call: (scope, sql, params) => ((used.call += 1), env.db.call(scope, sql, params)),
      transaction: (scope, fn) => ((used.transaction += 1), env.db.transaction(scope, fn)),
    };
    inbound = createInboundService({ db: counting, wake: () => undefined });
  });

  async function countOne(message: InboundMessage) {
    Object.assign(used, { call: 0, transaction: 0 });
    const accepted = await inbound.accept(owner(), message);
    return { accepted, used: { ...used } };
  }

  const ONE = { call: 1, transaction: 0 };

  it('takes one call and no transaction for a new sender, a group message and a duplicate', async () => {
    const first = dm(`n-${tag()}`);
    expect(await countOne(first)).toEqual({ accepted: expect.objectContaining({ status: 'queued' }), used: ONE });
    expect(await countOne(inGroup(`-100${tag()}`, `m-${tag()}`))).toEqual({ accepted: expect.objectContaining({ status: 'queued' }), used: ONE });
    expect(await countOne(first)).toEqual({ accepted: expect.objectContaining({ status: 'duplicate' }), used: ONE });
  });

  it('takes one call for a message that gets a pairing code and for a new contact over the limit', async () => {
    const [pairing, strict] = [`pairing-${tag()}`, `strict-${tag()}`];
    await env.services.agents.create(env.owner, { name: pairing, dmPolicy: 'pairing' });
    await env.services.agents.create(env.owner, { name: strict, newContactRate: { burst: 1, perMinute: 0.0001 } });
    const paired = await countOne(dm(`p-${tag()}`, { agent: pairing }));
    expect(paired).toEqual({ accepted: expect.objectContaining({ status: 'blocked', reason: 'pairing_pending', reply: expect.anything() }), used: ONE });

    await env.admin('delete from new_contact_buckets');
    const refused = await countOne(inGroup(`-100${tag()}`, `r-${tag()}`, { agent: strict }));
    expect(refused).toEqual({ accepted: expect.objectContaining({ status: 'blocked', reason: 'new_contact_rate', contactId: null }), used: ONE });
  });

  it('queues a turn in the lane of its tenant, agent, contact (or the owner) and thread', async () => {
    const [agent] = await env.admin<{ id: string }>(`select id from agents where tenant_id = $1 and name = 'default'`, [env.tenantId]);
    const lane = async (eventId: string) =>
      (await env.admin<{ lane: string }>('select lane from turn_queue where event_id = $1', [eventId]))[0]?.lane;
    const contact = await inbound.accept(owner(), dm(`l-${tag()}`, { thread: { id: '42' } }));
    expect(await lane(contact.eventId)).toBe(`${env.tenantId}/${agent!.id}/${contact.contactId}/42`);
    const own = await inbound.accept(owner(), { channel: 'cli', messageId: randomUUID(), text: 'mine' });
    expect(await lane(own.eventId)).toBe(`${env.tenantId}/${agent!.id}/owner/`);
  });

  it('keeps the first 200 characters (not UTF-16 units) of a refused message and all of one that runs', async () => {
    const long = `${'a'.repeat(199)}🌊🌊 and more`;
    const stored = async (eventId: string) =>
      (await env.admin<{ text: string }>('select text from inbound_events where id = $1', [eventId]))[0]?.text;
    const ran = await inbound.accept(owner(), dm(`t-${tag()}`, { text: long }));
    expect(await stored(ran.eventId)).toBe(long);
    const ignored = await inbound.accept(owner(), inGroup(`-100${tag()}`, `t-${tag()}`, { text: long, mentioned: false }));
    expect(ignored).toMatchObject({ status: 'ignored' });
    expect(await stored(ignored.eventId)).toBe(`${'a'.repeat(199)}🌊`);
  });

  async function everything(): Promise<unknown[]> {
    const tables = ['contacts', 'contact_identities', 'group_members', 'inbound_events', 'turn_queue', 'outbox', 'pairing_requests'];
    const counts = await Promise.all(tables.map(async (table) => (await env.admin(`select count(*)::int as n from ${table}`))[0]));
    const buckets = await env.admin('select contact_id, tokens, updated_at from rate_buckets order by contact_id');
    return [...counts, buckets, await env.admin('select * from new_contact_buckets')];
  }

  it("stores nothing and changes nothing when called in a contact's scope", async () => {
    const known = `k-${tag()}`;
    const { contactId } = await inbound.accept(owner(), dm(known));
    const asContact: Scope = contactScope(env.tenantId, contactId!);
    const before = await everything();
    for (const input of [inputOf(known), inputOf(`new-${tag()}`), inputOf(null, { channel: 'cli' })]) {
      await expect(acceptMessage(env.db, asContact, input)).rejects.toThrow(/row-level security|permission denied/);
    }
    expect(await everything()).toEqual(before);
  });

  it('sees no agent and no account of another tenant, and stores nothing', async () => {
    const account = await env.services.channels.add(env.owner, { channel: 'whatsapp', accountId: `acc-${tag()}` });
    const viaGateway = inputOf(`o-${tag()}`, { channel: 'whatsapp', accountKey: account.accountId, fromGateway: true, agentName: null });
    const elsewhere = ownerScope(randomUUID() as TenantId);
    const before = await everything();
    expect(await acceptMessage(env.db, elsewhere, inputOf(`o-${tag()}`))).toEqual({ refused: 'no_agent' });
    expect(await acceptMessage(env.db, elsewhere, viaGateway)).toEqual({ refused: 'no_account' });
    expect(await everything()).toEqual(before);
    // The same message in the account's own tenant is accepted.
    expect(await acceptMessage(env.db, env.owner, viaGateway)).toMatchObject({ status: 'queued' });
  });

  it('keeps one event, one contact and one rate token of 20 concurrent copies of a new sender’s message', async () => {
    const sender = `c-${tag()}`;
    const message = dm(sender, { text: 'racing' });
    const answers = await Promise.all(Array.from({ length: 20 }, () => env.services.inbound.accept(owner(), message)));
    expect(answers.filter((answer) => answer.status === 'queued')).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 'duplicate')).toHaveLength(19);
    expect(new Set(answers.map((answer) => answer.eventId)).size).toBe(1);
    const contactId = answers[0]!.contactId;
    expect(new Set(answers.map((answer) => answer.contactId))).toEqual(new Set([contactId]));
    const count = async (sql: string, params: unknown[]) => (await env.admin<{ n: number }>(`select count(*)::int as n from ${sql}`, params))[0]!.n;
    expect(await count('inbound_events where platform_message_id = $1', [message.messageId])).toBe(1);
    expect(await count('contact_identities where channel = $1 and external_id = $2', ['telegram', sender])).toBe(1);
    expect(await count('turn_queue where contact_id = $1', [contactId])).toBe(1);
    // The bucket starts full (30) at the first message: exactly one token was taken from it.
    expect(await env.admin('select tokens from rate_buckets where contact_id = $1', [contactId])).toEqual([{ tokens: 29 }]);
  });
});
