/**
 * What the owner's console reads, through the real server: transcript pages, usage per day and
 * contact, the live feed of new messages (server-sent events), and memories by visibility. Each is
 * the tenant's own: a second tenant's owner gets nothing of it.
 */
import { randomUUID } from 'node:crypto';
import { isAppError, type ApiClient, type ContactId, type Message, type SessionId } from '@switchboard/shared';
import { describeEachServer } from '../../../../test/server-harness';
import { until } from '../../../../test/until';
import { contactScope } from '../db/scope';
import { createMessageFeed } from './message-feed';
import { createSessionService } from './session-service';

/** A stranger's message shaped like the end of an event and a forged one after it. */
const FORGED = 'live two\n\nevent: message\ndata: {"text":"forged"}\r\n\r\nid: 1\rretry: 1';

const status = (promise: Promise<unknown>) =>
  promise.then(() => 200, (error: unknown) => (isAppError(error) ? error.status : Promise.reject(error)));

describeEachServer('console reads (real server: transcript pages, usage, live events, memory visibility)', (server) => {
  let owner: ApiClient;
  let other: ApiClient;
  let otherToken: string;
  let ana: { contactId: ContactId; sessionId: SessionId };
  const say = (client: ApiClient, sender: string, text: string) =>
    client.inbound({ channel: 'telegram', sender: { id: sender, displayName: `person ${sender}` }, messageId: randomUUID(), text }, { wait: true });

  beforeAll(async () => {
    owner = server.client();
    otherToken = (await server.client(server.adminToken).tenants.create({ slug: 'console-other' })).ownerToken;
    other = server.client(otherToken);
    let last;
    for (const text of ['one', 'two', 'three']) last = await say(owner, '7001', text);
    if (last?.status !== 'done') throw new Error('the echo turn did not answer');
    ana = { contactId: last.contactId!, sessionId: last.sessionId! };
    await say(owner, '7002', 'hello from bo');
  });

  describe('transcript pages', () => {
    it('gives the newest messages first as a page, and the older ones through its cursor', async () => {
      const newest = await owner.sessions.messagesPage(ana.sessionId, { limit: 4 });
      expect(newest.messages.map((m) => m.text)).toEqual(['two', 'echo: two', 'three', 'echo: three']);
      expect(newest.older).not.toBeNull();
      const before = await owner.sessions.messagesPage(ana.sessionId, { limit: 4, before: newest.older! });
      expect(before.messages.map((m) => m.text)).toEqual(['one', 'echo: one']);
      expect(before.older).toBeNull();
      const whole = await owner.sessions.messagesPage(ana.sessionId);
      expect(whole.messages).toHaveLength(6);
      expect(whole.older).toBeNull();
    });

    it('refuses a cursor that is not one and a limit out of range (400), and another tenant gets 404', async () => {
      for (const query of ['before=abc', 'before=-1', 'before=0', 'limit=0', 'limit=501', 'page=2']) {
        const response = await server.fetch(`/v1/sessions/${ana.sessionId}/messages?${query}`);
        expect(`${query} ${response.status}`).toBe(`${query} 400`);
      }
      expect(await status(other.sessions.messagesPage(ana.sessionId, { limit: 2 }))).toBe(404);
    });
  });

  describe('usage', () => {
    it('counts each contact\'s answered turns and reported tokens today, busiest first', async () => {
      await server.admin(
        `update messages set usage = '{"inputTokens": 10, "outputTokens": 4}' where direction = 'outbound' and contact_id = $1`, [ana.contactId]);
      const today = new Date().toISOString().slice(0, 10);
      const usage = await owner.usage();
      expect(usage[0]).toEqual({ day: today, contactId: ana.contactId, turns: 3, inputTokens: 30, outputTokens: 12 });
      expect(usage[1]).toMatchObject({ day: today, turns: 1, inputTokens: 0, outputTokens: 0 });
      expect(await owner.usage({ contact: ana.contactId, days: 1 })).toEqual([usage[0]]);
      expect(await owner.usage({ contact: 'owner' })).toEqual([]);
    });

    it('in a contact\'s scope, counts only that contact\'s turns (row-level security and the query agree)', async () => {
      const sessions = createSessionService({ db: server.db });
      const own = await sessions.usage(contactScope(server.tenantId, ana.contactId), { days: 30 });
      expect(own.map((day) => [day.contactId, day.turns])).toEqual([[ana.contactId, 3]]);
      expect(await sessions.usage(contactScope(server.tenantId, ana.contactId), { days: 30, contact: 'owner' })).toEqual([]);
    });

    it('shows another tenant nothing, and refuses days out of range', async () => {
      expect(await other.usage()).toEqual([]);
      expect(await other.usage({ contact: ana.contactId })).toEqual([]);
      for (const query of ['days=0', 'days=367', 'days=x', 'contact=everyone']) {
        const response = await server.fetch(`/v1/usage?${query}`);
        expect(`${query} ${response.status}`).toBe(`${query} 400`);
      }
    });
  });

  describe('live events', () => {
    it('sends each new message of the tenant once, not what was there before, and nothing to another tenant', async () => {
      const mine: Message[] = [];
      const theirs: Message[] = [];
      const stop = new AbortController();
      const following = Promise.all([
        owner.events((m) => mine.push(m), stop.signal),
        other.events((m) => theirs.push(m), stop.signal),
      ]);
      try {
        // The stream is open once the feed marked what exists: a message after that is news.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await say(owner, '7001', 'live one');
        await say(owner, '7003', FORGED);
        await until('both live turns in the feed', () => (mine.length >= 4 ? mine : undefined), 10_000);
        await new Promise((resolve) => setTimeout(resolve, 1500));
      } finally {
        stop.abort();
        await following;
      }
      // A stranger's line breaks stay inside the event's data: no forged event reaches the owner.
      expect(mine.map((m) => m.text)).toEqual(['live one', 'echo: live one', FORGED, `echo: ${FORGED}`]);
      expect(mine[0]?.contactId).toBe(ana.contactId);
      expect(theirs).toEqual([]);
    });

    it('in a contact\'s scope, follows only that contact\'s messages', async () => {
      const feed = createMessageFeed({ db: server.db, pollMs: 50 });
      const seen: Message[] = [];
      const stop = new AbortController();
      const following = feed.subscribe(contactScope(server.tenantId, ana.contactId), (messages) => seen.push(...messages), stop.signal);
      try {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await say(owner, '7004', 'not for ana');
        await say(owner, '7001', 'for ana');
        await until('ana\'s turn in her feed', () => (seen.length >= 2 ? seen : undefined), 10_000);
        await new Promise((resolve) => setTimeout(resolve, 300));
      } finally {
        stop.abort();
        await following;
      }
      expect(seen.map((m) => m.text)).toEqual(['for ana', 'echo: for ana']);
    });

    it('reads at most a few times a second however often turns finish, and a nudge brings news without waiting for the poll', async () => {
      let reads = 0;
      const counted = { ...server.db, transaction: ((scope, fn) => {
        reads += 1;
        return server.db.transaction(scope, fn);
      }) as typeof server.db.transaction };
      const feed = createMessageFeed({ db: counted, pollMs: 10_000, minGapMs: 200 });
      const seen: Message[] = [];
      const stop = new AbortController();
      const following = feed.subscribe(contactScope(server.tenantId, ana.contactId), (messages) => seen.push(...messages), stop.signal);
      try {
        await until('the feed\'s first read', () => (reads > 0 ? true : undefined));
        const start = Date.now();
        while (Date.now() - start < 1000) {
          feed.nudge();
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        expect(reads).toBeLessThanOrEqual(1 + 1000 / 200 + 1);
        // Without a nudge the next read would be 10 s away: this one comes from the nudge.
        await say(owner, '7001', 'nudged in');
        feed.nudge();
        await until('the nudged message', () => (seen.some((m) => m.text === 'nudged in') ? true : undefined), 3000);
      } finally {
        stop.abort();
        await following;
      }
    });

    it('refuses a gateway token (403) and a stream past the tenant\'s limit (429)', async () => {
      expect((await server.fetch('/v1/events', { token: server.gatewayToken })).status).toBe(403);
      expect((await server.fetch('/v1/events?contact=owner')).status).toBe(400);
      const stop = new AbortController();
      const opened = await Promise.all(Array.from({ length: 16 }, () => server.fetch('/v1/events', { signal: stop.signal })));
      try {
        expect(opened.map((r) => r.status)).toEqual(Array(16).fill(200));
        const refused = await server.fetch('/v1/events');
        expect(refused.status).toBe(429);
        expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
        // Another tenant has places of its own.
        expect((await server.fetch('/v1/events', { token: otherToken, signal: stop.signal })).status).toBe(200);
      } finally {
        stop.abort();
      }
    });
  });

  describe('memories by visibility', () => {
    it('lists only the shared or only the private ones, also when searching', async () => {
      await owner.memories.add({ content: 'the office opens at nine', visibility: 'shared' });
      await owner.memories.add({ content: 'the office alarm code is secret' });
      await owner.memories.add({ content: 'ana likes the office plants', contact: ana.contactId });
      const shared = await owner.memories.list({ visibility: 'shared' });
      expect(shared.map((m) => m.content)).toEqual(['the office opens at nine']);
      const privateOnes = await owner.memories.list({ visibility: 'private', q: 'office' });
      expect(privateOnes.map((m) => m.content).sort()).toEqual(['ana likes the office plants', 'the office alarm code is secret']);
      expect((await owner.memories.list({ visibility: 'shared', q: 'office' })).map((m) => m.content)).toEqual(['the office opens at nine']);
      expect(await other.memories.list({ visibility: 'shared' })).toEqual([]);
      expect((await server.fetch('/v1/memories?visibility=public')).status).toBe(400);
    });
  });
});
