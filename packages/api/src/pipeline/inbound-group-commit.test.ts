/**
 * Group commit of accepts, on both engines. A batch function call gives each message its own
 * answer: one refused by policy or by an identity of the other kind, or one whose arguments make
 * it fail, fails only itself, and the others are stored. Through the service, concurrent messages
 * share round trips (fewer statements than messages), each caller still gets its own event, and
 * hostile text (SQL, JSON, escapes) is stored exactly as sent.
 */
import { randomUUID } from 'node:crypto';
import type { InboundMessage } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { callScopeParams, type Db } from '../db/db';
import { createInboundService } from './inbound-service';
import { POLICY_DEFAULTS } from './inbound-accept-call';

const tag = () => randomUUID().slice(0, 8);

function dm(sender: string, extra: Partial<InboundMessage> = {}): InboundMessage {
  return { channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text: `hello from ${sender}`, ...extra };
}

/** `app.accept_message`'s arguments for a direct message (after the scope). */
function args(sender: string, messageId = randomUUID(), chatType = 'direct', chatTitle: string | null = null): unknown[] {
  return [false, 'default', 'telegram', 'default', sender, chatType, '', messageId, true, sender, null, 'hi', false, false, POLICY_DEFAULTS, chatTitle];
}

describeEachEngine('group commit of accepts', (env) => {
  it('answers each call of a batch on its own: one that fails or is refused leaves the others stored', async () => {
    const scope = callScopeParams(env.owner);
    const group = `-100${tag()}`;
    await env.services.inbound.accept({ kind: 'owner', tenantId: env.tenantId }, dm(`m-${tag()}`, { chat: { id: group, type: 'group' }, mentioned: true }));
    const [good, clash, broken, alsoGood] = [`a-${tag()}`, group, `b-${tag()}`, `c-${tag()}`];
    const calls = [
      [...scope, ...args(good)],
      [...scope, ...args(clash)], // a known group's id speaking as a person: refused, nothing stored
      ['not-a-uuid', null, true, ...args(broken)], // fails inside its own subtransaction
      [...scope, ...args(alsoGood)],
    ];
    const { rows } = await env.db.batchCall<{ entry: Record<string, unknown> }>('select entry from app.accept_messages($1::jsonb) entry', [JSON.stringify(calls)]);
    const entries = rows.map((row) => row.entry);
    expect(entries).toHaveLength(4);
    expect(entries[0]).toEqual({ ok: expect.objectContaining({ status: 'queued' }) });
    expect(entries[1]).toEqual({ ok: expect.objectContaining({ refused: 'kind_conflict' }) });
    expect(entries[2]).toEqual({ error: expect.stringContaining('uuid'), code: '22P02' });
    expect(entries[3]).toEqual({ ok: expect.objectContaining({ status: 'queued' }) });
    const stored = await env.admin<{ chat_id: string }>(
      `select chat_id from inbound_events where chat_id = any($1) and text = 'hi' order by chat_id`, [[good, clash, broken, alsoGood]],
    );
    expect(stored.map((row) => row.chat_id)).toEqual([good, alsoGood].sort());
  });

  it('names each group of a batch by the title its call carries, hostile text stored as sent', async () => {
    const scope = callScopeParams(env.owner);
    const titles = ['Book club', '\u001b]0;owned\u0007Evil \u202egroup', `'); drop table contacts; --`];
    const groups = titles.map(() => `-100${tag()}`);
    const groupArgs = (group: string, title: string) => {
      const call = args(`m-${tag()}`, randomUUID(), 'group', title);
      call[4] = group; // the chat is the group, the sender (call[9]) a member
      return [...scope, ...call];
    };
    const { rows } = await env.db.batchCall<{ entry: Record<string, unknown> }>(
      'select entry from app.accept_messages($1::jsonb) entry', [JSON.stringify(groups.map((group, i) => groupArgs(group, titles[i] ?? '')))],
    );
    expect(rows.map((row) => row.entry)).toEqual(titles.map(() => ({ ok: expect.objectContaining({ status: 'ignored', reason: 'not_mentioned' }) })));
    const named = await env.admin<{ external_id: string; display_name: string; kind: string }>(
      `select i.external_id, c.display_name, c.kind from contact_identities i join contacts c on c.id = i.contact_id
       where i.external_id = any($1)`, [groups],
    );
    expect(new Map(named.map((row) => [row.external_id, [row.kind, row.display_name]]))).toEqual(new Map(groups.map((group, i) => [group, ['group', titles[i]]])));
  });

  it('shares round trips between concurrent messages and gives each caller its own event, a blocked one included', async () => {
    const used = { statements: 0 };
    const counting: Db = {
      ...env.db,
      call: (scope, sql, params) => ((used.statements += 1), env.db.call(scope, sql, params)),
      batchCall: (sql, params) => ((used.statements += 1), env.db.batchCall(sql, params)),
    };
    const inbound = createInboundService({ db: counting, wake: () => undefined });
    const blocked = `x-${tag()}`;
    const resolved = await env.services.contacts.resolve(env.owner, { channel: 'telegram', externalId: blocked, kind: 'person' });
    await env.services.contacts.setAccess(env.owner, resolved.contactId, 'blocked');
    const senders = [...Array.from({ length: 29 }, (_, i) => `s${i}-${tag()}`), blocked];
    const owner = { kind: 'owner' as const, tenantId: env.tenantId };
    // What a hostile sender writes travels inside the batch's JSON: it must come out as it went in.
    const hostile = (i: number) => [`'); drop table contacts; --`, '"},{"x":1}]', '\\u0000 \\ \u001b[31m', `$1 $2 ${'é'.repeat(50)}`][i % 4] ?? '';
    const answers = await Promise.all(senders.map((sender, i) => inbound.accept(owner, dm(sender, { text: hostile(i) }))));
    expect(answers.map((a) => a.status)).toEqual([...Array(29).fill('queued'), 'blocked']);
    expect(new Set(answers.map((a) => a.eventId)).size).toBe(30);
    expect(used.statements).toBeLessThan(30);
    const stored = await env.admin<{ id: string; chat_id: string }>(`select id, chat_id from inbound_events where chat_id = any($1)`, [senders]);
    expect(new Map(stored.map((row) => [row.chat_id, row.id]))).toEqual(new Map(senders.map((sender, i) => [sender, answers[i]?.eventId])));
    const texts = await env.admin<{ chat_id: string; text: string }>(`select chat_id, text from inbound_events where chat_id = any($1)`, [senders]);
    expect(new Map(texts.map((row) => [row.chat_id, row.text]))).toEqual(new Map(senders.map((sender, i) => [sender, hostile(i)])));
  });
});
