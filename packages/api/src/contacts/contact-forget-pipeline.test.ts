/**
 * Erasure after real traffic: a contact that chatted through the pipeline (DMs and a group, with
 * memories, a pairing request, a rate bucket, outbox rows and a turn another worker still holds)
 * is erased by `DELETE /v1/contacts/:id`, and neither its words nor its id survive in any table.
 */
import { randomUUID } from 'node:crypto';
import type { ContactId, InboundMessage, InboundResult } from '@switchboard/shared';
import { describeEachServerWithSupabase, type TestServer } from '../../../../test/server-harness';

/** Rows per table (schemas public and app) whose whole text form contains `needle`. */
async function tablesContaining(server: TestServer, needle: string): Promise<Record<string, number>> {
  const tables = await server.admin<{ name: string }>(
    `select schemaname || '.' || tablename as name from pg_tables where schemaname in ('public', 'app') order by 1`,
  );
  const found: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await server.admin<{ n: number }>(`select count(*)::int as n from ${name} t where t::text like $1`, [`%${needle}%`]);
    if (row!.n > 0) found[name.replace(/^public\./, '')] = row!.n;
  }
  return found;
}

const PIPELINE_TABLES: Record<string, string[]> = {
  inbound_events: ['contact_id', 'sender_contact_id'],
  turn_queue: ['contact_id'],
  outbox: ['contact_id'],
  pairing_requests: ['contact_id'],
  rate_buckets: ['contact_id'],
};

async function pipelineRowsOf(server: TestServer, contactId: ContactId): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [table, columns] of Object.entries(PIPELINE_TABLES)) {
    const where = columns.map((column) => `${column} = $1`).join(' or ');
    const [row] = await server.admin<{ n: number }>(`select count(*)::int as n from ${table} where ${where}`, [contactId]);
    counts[table] = row!.n;
  }
  return counts;
}

describeEachServerWithSupabase('contact erasure after pipeline traffic', (server) => {
  const marker = `MARK${randomUUID().slice(0, 8)}`;
  const keep = `KEEP${randomUUID().slice(0, 8)}`;
  const senderA = `${marker}-a`;
  const senderB = `b-${randomUUID().slice(0, 8)}`;
  const groupId = `-100${Date.now()}`;

  const post = async (message: Omit<InboundMessage, 'messageId' | 'channel'>, expected: InboundResult['status']) => {
    const answer = await server.client().inbound({ channel: 'telegram', messageId: randomUUID(), ...message }, { wait: true });
    expect({ text: message.text, status: answer.status }).toEqual({ text: message.text, status: expected });
    return answer;
  };
  const dm = (sender: string, text: string) => ({ sender: { id: sender, displayName: sender === senderA ? `Ana ${marker}` : 'Bea' }, text });
  const group = (sender: string, text: string, mentioned = true) => ({ ...dm(sender, text), chat: { id: groupId, type: 'group' as const }, mentioned });

  it('leaves no trace of the erased contact in any table and keeps everyone else’s rows', async () => {
    const client = server.client();
    await client.agents.update('default', { dmPolicy: 'pairing' });
    const pairingAsked = await post(dm(senderA, `hello, I am ${marker}`), 'blocked');
    const a = pairingAsked.contactId!;
    await client.contacts.setAccess(a, 'allowed'); // allowed past pairing, the request itself still pending
    const bAsked = await post(dm(senderB, `hello from ${keep}`), 'blocked');
    const b = bAsked.contactId!;
    await client.contacts.setAccess(b, 'allowed');
    await client.agents.update('default', { dmPolicy: 'open' });

    await post(dm(senderA, `remember my code word is ${marker}`), 'done');
    await post(dm(senderA, `tell nobody about ${marker}`), 'done');
    const inGroup = await post(group(senderA, `remember the group heard ${marker}`), 'done');
    const g = inGroup.contactId!;
    await post(group(senderA, `${marker} says hi to the group`), 'done');
    await post(group(senderA, `${marker} talking among ourselves`, false), 'ignored');
    await post(group(senderA, '/whoami'), 'done');
    await post(group(senderB, `remember the group also knows ${keep}`), 'done');
    await post(dm(senderB, `remember ${keep} in B's DM`), 'done');
    await client.memories.add({ content: `owner note about ${marker}`, contact: a });

    // A turn of A's that another worker has claimed and not finished yet (its lease runs for an hour).
    const [agent] = await server.admin<{ id: string }>(`select id from agents where tenant_id = $1 and name = 'default'`, [server.tenantId]);
    const [held] = await server.admin<{ id: string }>(
      `insert into inbound_events (tenant_id, agent_id, contact_id, sender_contact_id, channel, account_key, chat_id, chat_type,
         thread_key, platform_message_id, text, status)
       values ($1, $2, $3, $3, 'telegram', 'default', $4, 'direct', 'held', $5, $6, 'queued') returning id::text`,
      [server.tenantId, agent!.id, a, senderA, randomUUID(), `still running ${marker}`],
    );
    await server.admin(
      `insert into turn_queue (tenant_id, event_id, contact_id, lane, claimed_by, lease_until)
       values ($1, $2, $3, $4, gen_random_uuid(), now() + interval '1 hour')`,
      [server.tenantId, held!.id, a, `${server.tenantId}/${agent!.id}/${a}/held`],
    );

    const before = await tablesContaining(server, marker);
    expect(Object.keys(before)).toEqual(expect.arrayContaining([
      'contacts', 'contact_identities', 'inbound_events', 'outbox', 'messages', 'memories', 'memory_events',
    ]));
    expect(await pipelineRowsOf(server, a)).toEqual({
      inbound_events: expect.any(Number), turn_queue: 1, outbox: expect.any(Number), pairing_requests: 1, rate_buckets: 1,
    });
    expect(Object.values(await tablesContaining(server, a)).length).toBeGreaterThan(0);

    const result = await client.contacts.forget(a);
    expect(result.contactId).toBe(a);
    expect(result.deleted).toMatchObject({ contacts: 1, identities: 1, groupMembers: 1, pairingRequests: 1 });

    const left = {
      rowsWithMarker: await tablesContaining(server, marker),
      rowsWithContactId: await tablesContaining(server, a),
      pipelineRows: await pipelineRowsOf(server, a),
    };
    expect(left).toEqual({
      rowsWithMarker: {},
      rowsWithContactId: {},
      pipelineRows: { inbound_events: 0, turn_queue: 0, outbox: 0, pairing_requests: 0, rate_buckets: 0 },
    });
    await expect(client.contacts.get(a)).rejects.toMatchObject({ code: 'not_found' });

    // Everyone else keeps their data: B, the group (minus what A said), and B's pairing request.
    expect(await client.contacts.get(g)).toMatchObject({ kind: 'group' });
    expect((await client.pairing.list()).map((request) => request.contactId)).toContain(b);
    const kept = await tablesContaining(server, keep);
    expect(Object.keys(kept)).toEqual(expect.arrayContaining(['inbound_events', 'outbox', 'messages', 'memories', 'memory_events']));
    expect((await post(dm(senderB, 'recall'), 'done')).reply?.text).toContain(keep);
    expect((await post(group(senderB, 'recall'), 'done')).reply?.text).toBe(`the group also knows ${keep}`);

    // The sender comes back as a new contact with no past.
    const back = await post(dm(senderA, 'recall'), 'done');
    expect(back.contactId).not.toBe(a);
    const shared = (await client.memories.list()).filter((m) => m.visibility === 'shared');
    expect(back.reply?.text).toBe(shared.length === 0 ? 'no memories' : shared.map((m) => m.content).join('\n'));
  });
});
