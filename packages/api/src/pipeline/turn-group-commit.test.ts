/**
 * Group commit of finished turns, on both engines. A batch function call stores each turn in its
 * own scope and answers each on its own: a turn whose claim was lost changes nothing, a call that
 * fails undoes only itself. Turns that end together share round trips, and each is stored whole,
 * also when one agent's reply holds bytes PostgreSQL refuses (NUL, a lone surrogate).
 */
import { randomUUID } from 'node:crypto';
import type { ContactId } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { until } from '../../../../test/until';
import { callScopeParams, type Db } from '../db/db';
import { contactScope } from '../db/scope';
import type { AgentProvider } from '../agents/agent-provider';
import { createEchoProvider } from '../agents/echo-provider';
import { createTurnGrants } from '../agents/turn-grants';
import { claimTurns } from './turn-queue-repo';
import { createTurnRunner, type TurnOutcome } from './turn-runner';
import { createTurnWorker } from './turn-worker';
import { createSilentLog } from '../ops/ops-log';

describeEachEngine('group commit of finished turns', (env) => {
  async function queued(count: number, text = (sender: string) => `hi ${sender}`): Promise<{ eventId: string; contactId: ContactId }[]> {
    const owner = { kind: 'owner' as const, tenantId: env.tenantId };
    return Promise.all(Array.from({ length: count }, async (_, i) => {
      const sender = `gc-${randomUUID().slice(0, 8)}`;
      const accepted = await env.services.inbound.accept(owner, { channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text: i === 0 ? text(sender) : `hi ${sender}` });
      return { eventId: accepted.eventId, contactId: accepted.contactId as ContactId };
    }));
  }

  beforeAll(async () => {
    await env.services.agents.update(env.owner, 'default', { dmPolicy: 'open', rateLimit: { burst: 1000, perMinute: 1000 }, newContactRate: { burst: 1000, perMinute: 1000 } });
  });

  afterEach(async () => {
    await env.admin('delete from turn_queue');
  });

  it('answers each call of a batch on its own: a lost claim changes nothing, a failing call undoes only itself', async () => {
    const [a, b, c] = await queued(3);
    const claimed = await claimTurns(env.db, randomUUID(), 10, 60_000);
    const claimOf = (eventId: string) => claimed.find((turn) => turn.eventId === eventId)?.claim;
    const finish = (turn: { eventId: string; contactId: ContactId }, claim: string | undefined, tenant?: string) => [
      ...(tenant === undefined ? callScopeParams(contactScope(env.tenantId, turn.contactId)) : [tenant, turn.contactId, false]),
      turn.eventId, claim, 'done', null, `reply to ${turn.eventId}`, null, null, [], null, null, `reply to ${turn.eventId}`,
    ];
    const calls = [finish(a!, claimOf(a!.eventId)), finish(b!, randomUUID()), finish(c!, claimOf(c!.eventId), 'not-a-uuid')];
    const { rows } = await env.db.batchCall<{ entry: unknown }>('select entry from app.finish_turns($1::jsonb) entry', [JSON.stringify(calls)]);
    expect(rows.map((row) => row.entry)).toEqual([
      { ok: { result: 'finished', lane_next: false } },
      { ok: { result: 'lost' } },
      { error: expect.stringContaining('uuid'), code: '22P02' },
    ]);
    const events = await env.admin<{ id: string; status: string; outbox: number }>(
      `select e.id, e.status, (select count(*)::int from outbox o where o.event_id = e.id) as outbox from inbound_events e where e.id = any($1)`,
      [[a!.eventId, b!.eventId, c!.eventId]],
    );
    const byId = new Map(events.map((row) => [row.id, { status: row.status, outbox: row.outbox }]));
    expect([a, b, c].map((turn) => byId.get(turn!.eventId))).toEqual([
      { status: 'done', outbox: 1 }, { status: 'queued', outbox: 0 }, { status: 'queued', outbox: 0 },
    ]);
  });

  async function runAll(turns: unknown[], db: Db, provider: AgentProvider = createEchoProvider()): Promise<TurnOutcome[]> {
    const runner = createTurnRunner({ db, memories: env.services.memories, providers: { echo: provider }, grants: createTurnGrants() });
    const outcomes: TurnOutcome[] = [];
    const worker = createTurnWorker({ db, runner, concurrency: 24, leaseMs: 60_000, pollMs: 50, onOutcome: (o) => outcomes.push(o), log: createSilentLog() });
    await worker.start(false);
    try {
      await until('every turn to finish', () => (outcomes.length === turns.length ? true : undefined), 20_000);
    } finally {
      await worker.stop();
    }
    return outcomes;
  }

  it('stores a reply holding NUL and a lone surrogate with U+FFFD, and finishes the other turns of its batch', async () => {
    const turns = await queued(12, () => 'poison');
    const poisoned: AgentProvider = {
      name: 'echo',
      run: async (turn) => ({ text: turn.text === 'poison' ? 'bad\u0000reply\uD800' : `ok ${turn.text}`, providerSessionId: null }),
    };
    const outcomes = await runAll(turns, env.db, poisoned);
    expect(outcomes.every((outcome) => outcome.status === 'done')).toBe(true);
    const [row] = await env.admin<{ reply_text: string; outbox: string; line: string }>(
      `select e.reply_text, (select o.text from outbox o where o.event_id = e.id) as outbox,
         (select m.text from messages m where m.contact_id = e.contact_id and m.direction = 'outbound') as line
       from inbound_events e where e.id = $1`,
      [turns[0]!.eventId],
    );
    expect(row).toEqual({ reply_text: 'bad\uFFFDreply\uFFFD', outbox: 'bad\uFFFDreply\uFFFD', line: 'bad\uFFFDreply\uFFFD' });
  }, 60_000);

  it('stores turns that end together in fewer statements than turns, each whole and in its own scope', async () => {
    const turns = await queued(24);
    const used = { finishes: 0, batches: 0 };
    const db: Db = {
      ...env.db,
      call: (scope, sql, params) => ((used.finishes += Number(sql.includes('finish_turn'))), env.db.call(scope, sql, params)),
      batchCall: (sql, params) => ((used.batches += 1), env.db.batchCall(sql, params)),
    };
    await runAll(turns, db);
    expect(used.batches).toBeGreaterThan(0);
    expect(used.finishes + used.batches).toBeLessThan(turns.length);
    const stored = await env.admin<{ contact_id: ContactId; status: string; messages: number; outbox: number }>(
      `select e.contact_id, e.status,
         (select count(*)::int from messages m where m.contact_id = e.contact_id) as messages,
         (select count(*)::int from outbox o where o.event_id = e.id and o.contact_id = e.contact_id) as outbox
       from inbound_events e where e.id = any($1)`,
      [turns.map((turn) => turn.eventId)],
    );
    expect(stored).toHaveLength(turns.length);
    expect(stored.every((row) => row.status === 'done' && row.messages === 2 && row.outbox === 1)).toBe(true);
  }, 60_000);
});
