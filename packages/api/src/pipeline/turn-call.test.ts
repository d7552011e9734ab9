/**
 * A turn's database cost and limits, on the real database: claiming is one worker call, opening and
 * finishing one scoped call each, and no transaction. The calls act only in the caller's scope, and
 * finishing only under a claim that still holds the turn (otherwise it changes nothing). Opening
 * keeps one open session per chat, also for workers whose leases ran out; finishing stores the
 * provider's session id only on that session, while it is open and holds the id the turn opened with.
 */
import { randomUUID } from 'node:crypto';
import type { ContactId, SessionId } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { until } from '../../../../test/until';
import type { Db, QueryResult } from '../db/db';
import { contactScope, type Scope } from '../db/scope';
import type { AgentProvider } from '../agents/agent-provider';
import { createEchoProvider } from '../agents/echo-provider';
import { createTurnGrants } from '../agents/turn-grants';
import { claimOpenTurns, finishTurn, openTurn, type OpenTurnOptions, type TurnResult } from './turn-call-repo';
import { claimTurns, type ClaimedTurn } from './turn-queue-repo';
import { createTurnRunner, LeaseLostError } from './turn-runner';
import { createTurnWorker } from './turn-worker';
import { createSilentLog } from '../ops/ops-log';

/** Counts what a turn asks of the database: calls by kind, and transactions of every kind. */
function countingDb(db: Db) {
  const counts = { call: 0, workerCall: 0, batchCall: 0, claimed: 0, transactions: 0 };
  const counted: Db = {
    engine: db.engine,
    call<R>(scope: Scope, sql: string, params: readonly unknown[]) {
      counts.call += 1;
      return db.call<R>(scope, sql, params);
    },
    async workerCall<R>(sql: string, params: readonly unknown[]): Promise<QueryResult<R>> {
      counts.workerCall += 1;
      const result = await db.workerCall<R>(sql, params);
      if (result.rows.length > 0) counts.claimed += 1;
      return result;
    },
    batchCall<R>(sql: string, params: readonly unknown[]) {
      counts.batchCall += 1;
      return db.batchCall<R>(sql, params);
    },
    transaction: (scope, fn) => ((counts.transactions += 1), db.transaction(scope, fn)),
    unscopedTransaction: (fn) => ((counts.transactions += 1), db.unscopedTransaction(fn)),
    workerTransaction: (fn) => ((counts.transactions += 1), db.workerTransaction(fn)),
    adminTransaction: (fn) => ((counts.transactions += 1), db.adminTransaction(fn)),
    listen: (channel, onNotify) => db.listen(channel, onNotify),
    vacuum: (tables) => db.vacuum(tables),
    closeAdmin: () => db.closeAdmin(),
    close: () => db.close(),
  };
  return { db: counted, counts };
}

const OPEN: OpenTurnOptions = { commandPattern: null, defaults: { memory: 'tools', reset: 'fresh' }, historyMessages: 20, recalledMemories: 5, recallQueryChars: 500 };

describeEachEngine('a turn in one call per step', (env) => {
  const runner = (db: Db, provider: AgentProvider = createEchoProvider()) =>
    createTurnRunner({ db, memories: env.services.memories, providers: { echo: provider }, grants: createTurnGrants() });

  async function queued(text = 'hello', sender = `call-${randomUUID().slice(0, 8)}`): Promise<{ eventId: string; contactId: ContactId }> {
    const accepted = await env.services.inbound.accept(
      { kind: 'owner', tenantId: env.tenantId },
      { channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text },
    );
    expect(accepted.status).toBe('queued');
    return { eventId: accepted.eventId, contactId: accepted.contactId! };
  }

  async function claim(eventId: string, leaseMs = 60_000): Promise<ClaimedTurn> {
    const claimed = await claimTurns(env.db, randomUUID(), 100, leaseMs);
    const turn = claimed.find((candidate) => candidate.eventId === eventId);
    if (!turn) throw new Error(`turn ${eventId} was not claimed`);
    return turn;
  }

  /** Everything a turn of this event could have written, read as the schema owner. */
  async function traces(eventId: string) {
    const [row] = await env.admin<Record<string, unknown>>(
      `select e.status, e.session_id, e.reply_text, q.claimed_by::text as claimed_by,
         (select count(*)::int from outbox o where o.event_id = e.id) as outbox,
         (select count(*)::int from messages m where m.contact_id = e.contact_id) as messages,
         (select count(*)::int from sessions s where s.contact_id = e.contact_id) as sessions,
         (select string_agg(coalesce(s.provider_session_id, '-'), ',') from sessions s where s.contact_id = e.contact_id) as provider_ids
       from inbound_events e left join turn_queue q on q.event_id = e.id where e.id = $1`,
      [eventId],
    );
    return row;
  }

  beforeAll(async () => {
    await env.services.agents.update(env.owner, 'default', { dmPolicy: 'open' });
  });

  afterEach(async () => {
    await env.admin('delete from turn_queue');
  });

  it('claims and opens with one worker call, finishes with one call, and opens no transaction', async () => {
    const turn = await queued();
    const { db, counts } = countingDb(env.db);
    const outcomes: unknown[] = [];
    const worker = createTurnWorker({ db, runner: runner(db), concurrency: 1, leaseMs: 60_000, pollMs: 50, onOutcome: (o) => outcomes.push(o), log: createSilentLog() });
    await worker.start(false);
    try {
      await until('the turn to finish', () => (outcomes.length > 0 ? true : undefined));
    } finally {
      await worker.stop();
    }
    expect(outcomes).toEqual([expect.objectContaining({ eventId: turn.eventId, status: 'done', replyText: 'echo: hello' })]);
    expect(counts).toMatchObject({ call: 1, claimed: 1, transactions: 0 });
    expect(await traces(turn.eventId)).toMatchObject({ status: 'done', claimed_by: null, outbox: 1, messages: 2, sessions: 1 });
  });

  it("says whether the turn's own chat has another message queued behind it, and no other chat's", async () => {
    const sender = `call-${randomUUID().slice(0, 8)}`;
    const first = await queued('first', sender);
    const second = await queued('second', sender);
    await queued('another chat waits too');
    const ran = [];
    for (const turn of [first, second]) ran.push(await runner(env.db).run(await claim(turn.eventId), new AbortController().signal));
    expect(ran.map((finished) => [finished?.outcome.replyText, finished?.nextInLane])).toEqual([['echo: first', true], ['echo: second', false]]);
  });

  it('claims and opens the turns of several contacts in one worker call, each opened in its own scope only', async () => {
    const people = [];
    for (const name of ['A', 'B']) {
      const sender = `call-${randomUUID().slice(0, 8)}`;
      const first = await queued(`first of ${name}`, sender);
      await runner(env.db).run(await claim(first.eventId), new AbortController().signal);
      await env.services.memories.remember(contactScope(env.tenantId, first.contactId), { content: `${name} likes zebras` });
      people.push({ name, sender, contactId: first.contactId });
    }
    const next = new Map<string, string>();
    for (const person of people) next.set(person.name, (await queued('zebras?', person.sender)).eventId);
    const claimed = await claimOpenTurns(env.db, randomUUID(), 100, 60_000, 5, OPEN);
    expect(claimed.map((turn) => turn.eventId).sort()).toEqual([...next.values()].sort());
    for (const person of people) {
      const turn = claimed.find((candidate) => candidate.eventId === next.get(person.name));
      const opened = turn?.opened;
      if (opened?.kind !== 'agent') throw new Error(`${person.name}'s turn opened as ${opened?.kind}`);
      expect(opened.session.contactId).toBe(person.contactId);
      expect(opened.history.map((m) => m.text)).toEqual([`first of ${person.name}`, `echo: first of ${person.name}`]);
      expect(opened.recalled.map((m) => m.content)).toEqual([`${person.name} likes zebras`]);
      expect(await traces(turn?.eventId ?? '')).toMatchObject({ status: 'queued', claimed_by: turn?.claim });
    }
  });

  it('claims without opening a turn past its attempts, and a turn whose open fails (opened alone later)', async () => {
    const fresh = await queued('never opened');
    const [exhausted] = await claimOpenTurns(env.db, randomUUID(), 100, 1, 0, OPEN);
    expect(exhausted).toMatchObject({ eventId: fresh.eventId, attempts: 1 });
    expect(exhausted?.opened).toBeUndefined();
    expect(await traces(fresh.eventId)).toMatchObject({ status: 'queued', sessions: 0 });

    await new Promise((resolve) => setTimeout(resolve, 5));
    const [failing] = await claimOpenTurns(env.db, randomUUID(), 100, 60_000, 5, { ...OPEN, commandPattern: '(' });
    expect(failing).toMatchObject({ eventId: fresh.eventId, attempts: 2 });
    expect(failing?.opened).toBeUndefined();
    expect(await traces(fresh.eventId)).toMatchObject({ status: 'queued', claimed_by: failing?.claim, sessions: 0 });
  });

  it("neither reads nor changes another contact's turn: its event id and claim are nothing in this scope", async () => {
    const a = await queued('a secret of A');
    const b = await queued('hello from B');
    const turnA = await claim(a.eventId);
    const opened = await openTurn(env.db, contactScope(env.tenantId, a.contactId), turnA, OPEN);
    if (opened.kind !== 'agent') throw new Error(`A's turn opened as ${opened.kind}`);
    const before = await traces(a.eventId);

    const asB = contactScope(env.tenantId, b.contactId);
    expect(await openTurn(env.db, asB, turnA, OPEN)).toEqual({ kind: 'skip' });
    const result: TurnResult = {
      status: 'done', session: opened.session, replyText: 'hijacked', error: null, usage: null, quotedContactIds: [],
      providerSessionId: 'hijacked', outboxText: 'hijacked',
    };
    expect(await finishTurn(env.db, asB, turnA, result)).toEqual({ result: 'lost' });

    expect(await traces(a.eventId)).toEqual(before);
    expect(before).toMatchObject({ status: 'queued', claimed_by: turnA.claim, outbox: 0, messages: 0, sessions: 1, provider_ids: '-' });
    expect(await traces(b.eventId)).toMatchObject({ status: 'queued', outbox: 0, messages: 0, sessions: 0 });
  });

  it('finishes nothing at all under a lost claim: no transcript, no outbox row, no provider session id', async () => {
    const turn = await queued('hello while my lease runs out');
    const thief = randomUUID();
    const stealing: AgentProvider = {
      name: 'echo',
      async run() {
        // Another worker took the turn over while this one ran it.
        await env.admin('update turn_queue set claimed_by = $2 where event_id = $1', [turn.eventId, thief]);
        return { text: 'too late', providerSessionId: 'provider-late' };
      },
    };
    await expect(runner(env.db, stealing).run(await claim(turn.eventId), new AbortController().signal)).rejects.toThrow(LeaseLostError);
    expect(await traces(turn.eventId)).toMatchObject({
      status: 'queued', session_id: null, reply_text: null, claimed_by: thief, outbox: 0, messages: 0, provider_ids: '-',
    });
  });

  it("resumes the contact's session with its transcript, and recalls its memories unless the agent's memory is off", async () => {
    const sender = `call-${randomUUID().slice(0, 8)}`;
    const first = await queued('first', sender);
    await runner(env.db).run(await claim(first.eventId), new AbortController().signal);
    const scope = contactScope(env.tenantId, first.contactId);
    await env.services.memories.remember(scope, { content: 'likes zebras' });
    const second = await queued('zebras?', sender);
    const turn = await claim(second.eventId);

    const opened = await openTurn(env.db, scope, turn, OPEN);
    if (opened.kind !== 'agent') throw new Error(`the turn opened as ${opened.kind}`);
    expect(opened.session.id).toBe((await traces(first.eventId))?.session_id);
    expect(opened.history.map((m) => [m.direction, m.text])).toEqual([['inbound', 'first'], ['outbound', 'echo: first']]);
    expect(opened.recalled.map((m) => m.content)).toEqual(['likes zebras']);
    await env.services.agents.update(env.owner, 'default', { memory: 'off' });
    try {
      expect(await openTurn(env.db, scope, turn, OPEN)).toMatchObject({ kind: 'agent', session: { id: opened.session.id }, recalled: [] });
    } finally {
      await env.services.agents.update(env.owner, 'default', { memory: 'tools' });
    }
  });

  it('opens one session when several workers whose leases ran out open the same turn at once', async () => {
    const turn = await queued('opened by many');
    const claims: ClaimedTurn[] = [];
    for (let i = 0; i < 12; i += 1) {
      claims.push(await claim(turn.eventId, 1));
      await new Promise((resolve) => setTimeout(resolve, 5)); // the 1 ms lease runs out: the next worker takes over
    }
    const scope = contactScope(env.tenantId, turn.contactId);
    const opened = await Promise.all(claims.map((claimed) => openTurn(env.db, scope, claimed, OPEN)));
    expect(opened.map((o) => o.kind)).toEqual(claims.map(() => 'agent'));
    expect(new Set(opened.map((o) => (o.kind === 'agent' ? o.session.id : o.kind))).size).toBe(1);
    expect(await traces(turn.eventId)).toMatchObject({ status: 'queued', sessions: 1, messages: 0 });
  });

  it("stores the provider's session id only on the session its turn opened while that is still open, and resumes with it", async () => {
    const sender = `call-${randomUUID().slice(0, 8)}`;
    const seen: Array<string | null> = [];
    let next = '';
    let duringRun: (() => Promise<unknown>) | undefined;
    const provider: AgentProvider = {
      name: 'echo',
      async run(turn) {
        seen.push(turn.session.providerSessionId);
        await duringRun?.();
        return { text: `ok ${turn.text}`, providerSessionId: next };
      },
    };
    const turn = async (text: string, providerSessionId: string, during?: () => Promise<unknown>) => {
      const { eventId, contactId } = await queued(text, sender);
      [next, duringRun] = [providerSessionId, during];
      const finished = await runner(env.db, provider).run(await claim(eventId), new AbortController().signal);
      return { sessionId: finished?.outcome.sessionId, scope: contactScope(env.tenantId, contactId) };
    };
    const agentId = (await env.services.agents.getByName(env.owner, 'default')).id;

    const old = await turn('first', 'provider-old');
    // The contact resets while its second turn runs: that turn's provider id must not revive the closed session.
    const stale = await turn('second', 'provider-stale', () => env.services.sessions.reset(old.scope, { agentId, threadKey: '' }));
    const fresh = await turn('third', 'provider-new');
    const resumed = await turn('fourth', 'provider-new');

    expect(stale.sessionId).toBe(old.sessionId);
    expect(fresh.sessionId).not.toBe(old.sessionId);
    expect(resumed.sessionId).toBe(fresh.sessionId);
    expect(seen).toEqual([null, 'provider-old', null, 'provider-new']);
    const stored = await env.admin('select id, status, provider_session_id from sessions where id = any($1) order by created_at', [[old.sessionId, fresh.sessionId]]);
    expect(stored).toEqual([
      { id: old.sessionId, status: 'closed', provider_session_id: 'provider-old' },
      { id: fresh.sessionId, status: 'open', provider_session_id: 'provider-new' },
    ]);
  });

  it('keeps the provider session id a session gained after the turn opened it (compare-and-set)', async () => {
    const turn = await queued('racing for the provider id');
    const claimed = await claim(turn.eventId);
    const scope = contactScope(env.tenantId, turn.contactId);
    const opened = await openTurn(env.db, scope, claimed, OPEN);
    if (opened.kind !== 'agent') throw new Error(`the turn opened as ${opened.kind}`);
    expect(opened.session.providerSessionId).toBeNull();
    // Another writer stored an id since: this turn, which read none, loses.
    await env.admin(`update sessions set provider_session_id = 'provider-other' where id = $1`, [opened.session.id]);
    const result: TurnResult = {
      status: 'done', session: opened.session, replyText: 'ok', error: null, usage: null, quotedContactIds: [],
      providerSessionId: 'provider-mine', outboxText: 'ok',
    };
    expect(await finishTurn(env.db, scope, claimed, result)).toEqual({ result: 'finished', nextInLane: false });
    expect(await traces(turn.eventId)).toMatchObject({ status: 'done', messages: 2, provider_ids: 'provider-other' });
  });

  it("writes no transcript line and no provider session id into another contact's session that its own turn names", async () => {
    const a = await queued('A has a session');
    await runner(env.db).run(await claim(a.eventId), new AbortController().signal);
    const aTraces = await traces(a.eventId);
    const b = await queued('B names the session of A');
    const turnB = await claim(b.eventId);
    const asB = contactScope(env.tenantId, b.contactId);
    const opened = await openTurn(env.db, asB, turnB, OPEN);
    if (opened.kind !== 'agent') throw new Error(`B's turn opened as ${opened.kind}`);

    const aSession = { ...opened.session, id: aTraces!.session_id as SessionId, contactId: a.contactId };
    const result: TurnResult = {
      status: 'done', session: aSession, replyText: 'intruder', error: null, usage: null, quotedContactIds: [],
      providerSessionId: 'hijacked', outboxText: 'intruder',
    };
    expect(await finishTurn(env.db, asB, turnB, result)).toEqual({ result: 'finished', nextInLane: false });
    expect(await traces(a.eventId)).toEqual(aTraces);
    expect(aTraces).toMatchObject({ status: 'done', messages: 2, sessions: 1, provider_ids: '-' });
    expect(await env.admin(`select 1 from messages where text = 'intruder' or session_id = $1 and contact_id <> $2`, [aSession.id, a.contactId]))
      .toEqual([]);
  });

  it('answers a chat command without a session, and runs a text that only looks like one as an agent turn', async () => {
    const command = await queued('/whoami');
    const lookalike = await queued('/resetting the router did not help');
    const claimed = await claimTurns(env.db, randomUUID(), 100, 60_000);
    const outcomes = [];
    for (const turn of [command, lookalike]) {
      outcomes.push(await runner(env.db).run(claimed.find((c) => c.eventId === turn.eventId)!, new AbortController().signal));
    }
    expect(outcomes.map((o) => o?.outcome.replyText)).toEqual([expect.stringContaining(`contact ${command.contactId}`), 'echo: /resetting the router did not help']);
    expect(await traces(command.eventId)).toMatchObject({ status: 'done', session_id: null, outbox: 1, messages: 0, sessions: 0 });
    expect(await traces(lookalike.eventId)).toMatchObject({ status: 'done', outbox: 1, messages: 2, sessions: 1 });
  });
});
