/**
 * What a claim leases, on both engines: never more rows than its limit (exactly the rows it
 * returns), and only the head of each chat: a chat's next reply waits while an older one is leased
 * (also to a process that died, until its lease ends) or backing off after a failed send, while
 * other chats and threads go on; a parked (failed) reply no longer holds its chat back.
 */
import { randomUUID } from 'node:crypto';
import type { OutboxItem } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { insertOutboxItem } from './outbox-repo';

describeEachEngine('outbox claim', (env) => {
  const queue = (account: string, replies: { chat: string; text: string; thread?: string }[]) =>
    env.db.transaction(env.owner, async (tx) => {
      for (const reply of replies) {
        await insertOutboxItem(tx, {
          eventId: randomUUID(), contactId: null, channel: 'telegram', accountKey: account, chatId: reply.chat,
          threadKey: reply.thread ?? '', replyTo: null, text: reply.text,
        });
      }
    });
  const claim = async (account: string, limit = 20) =>
    env.services.outbox.claim(env.owner, { channel: 'telegram', account, limit, leaseMs: 60_000 });
  const texts = (items: OutboxItem[]) => items.map((item) => item.text);
  const leasedCount = async (account: string) => {
    const [row] = await env.admin<{ n: number }>(
      'select count(*)::int as n from outbox where account_key = $1 and leased_until > now()', [account],
    );
    return row?.n;
  };
  const expireLeases = (account: string) =>
    env.admin("update outbox set leased_until = now() - interval '1 second' where account_key = $1", [account]);

  it('leases exactly `limit` rows of a 100-row backlog, the oldest, and the next claim the next ones', async () => {
    await queue('backlog', Array.from({ length: 100 }, (_, i) => ({ chat: `chat-${i}`, text: `reply ${i}` })));
    const first = await claim('backlog', 20);
    expect(texts(first)).toEqual(Array.from({ length: 20 }, (_, i) => `reply ${i}`));
    expect(await leasedCount('backlog')).toBe(20);
    expect(texts(await claim('backlog', 20))).toEqual(Array.from({ length: 20 }, (_, i) => `reply ${i + 20}`));
    expect(await leasedCount('backlog')).toBe(40);
  });

  it('leases exactly what concurrent claims return, each at most its limit', async () => {
    await queue('contended', Array.from({ length: 100 }, (_, i) => ({ chat: `chat-${i}`, text: `reply ${i}` })));
    const claims = await Promise.all(Array.from({ length: 6 }, () => claim('contended', 20)));
    expect(claims.every((items) => items.length <= 20)).toBe(true);
    const returned = claims.flat().map((item) => item.id);
    expect(new Set(returned).size).toBe(returned.length);
    expect(returned.length).toBe(100);
    expect(await leasedCount('contended')).toBe(100);
  });

  it('keeps a chat’s next reply back while its older one is leased, and hands it out once that one is acked', async () => {
    await queue('fifo', [
      { chat: 'a', text: 'a1' }, { chat: 'a', text: 'a2' }, { chat: 'b', text: 'b1' }, { chat: 'a', text: 'a3' }, { chat: 'b', text: 'b2' },
    ]);
    const first = await claim('fifo');
    expect(texts(first)).toEqual(['a1', 'b1']);
    expect(await claim('fifo')).toEqual([]);
    await env.services.outbox.ack(env.owner, first[1]!.id); // chat b goes on while a1 is still out
    expect(texts(await claim('fifo'))).toEqual(['b2']);
    await env.services.outbox.ack(env.owner, first[0]!.id);
    expect(texts(await claim('fifo'))).toEqual(['a2']);
  });

  it('holds a chat back behind a reply leased by a process that died until the lease ends, then hands out that reply first', async () => {
    await queue('crashed', [{ chat: 'a', text: 'a1' }, { chat: 'a', text: 'a2' }, { chat: 'a', text: 'a3', thread: 'topic' }]);
    expect(texts(await claim('crashed'))).toEqual(['a1', 'a3']); // another thread of the chat is its own line
    expect(await claim('crashed')).toEqual([]); // the claimer died with a1 leased
    await expireLeases('crashed');
    expect(texts(await claim('crashed'))).toEqual(['a1', 'a3']);
  });

  it('holds a chat back while its older reply backs off after a failed send; a parked reply lets the chat go on', async () => {
    await queue('parked', [{ chat: 'a', text: 'a1' }, { chat: 'a', text: 'a2' }, { chat: 'a', text: 'a3' }]);
    const [a1] = await claim('parked');
    await env.services.outbox.fail(env.owner, a1!.id, { error: 'HTTP 502 from Telegram' });
    await env.admin("update outbox set next_attempt_at = now() + interval '1 hour' where account_key = 'parked'");
    expect(await claim('parked')).toEqual([]); // a1 will be tried again: a2 waits for it
    await env.admin("update outbox set next_attempt_at = now() where account_key = 'parked'");
    const [again] = await claim('parked');
    expect(again?.text).toBe('a1');
    await env.services.outbox.fail(env.owner, again!.id, { error: 'Forbidden: bot was blocked by the user', permanent: true });
    const [a2] = await claim('parked');
    expect(a2?.text).toBe('a2');
    // The owner puts the parked one back in line: it goes before the replies still pending after it.
    await env.services.outbox.retry(env.owner, a1!.id);
    await env.services.outbox.ack(env.owner, a2!.id);
    expect(texts(await claim('parked'))).toEqual(['a1']);
  });
});
