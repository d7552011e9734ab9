import { randomUUID } from 'node:crypto';
import { MAX_DELIVERY_ATTEMPTS } from '@switchboard/shared';
import { describeEachServer } from '../../../../test/server-harness';

const HOLDER = 'gw-outbox-test';

describeEachServer('outbox delivery: claims, retries, parking', (server) => {
  const gateway = () => server.client(server.gatewayToken);
  const accounts = new Set<string>();
  // The gateway token reads an account's outbox only while its holder has the account's lease.
  const leaseAccount = async (account: string) => {
    if (accounts.has(account)) return;
    await server.client().channels.add({ channel: 'whatsapp', accountId: account });
    await gateway().channels.takeLease('whatsapp', account, { holder: HOLDER, ttlMs: 600_000 });
    accounts.add(account);
  };
  const reply = async (account: string, text: string) => {
    await leaseAccount(account);
    return server.client().inbound({ channel: 'whatsapp', accountId: account, sender: { id: `out-${randomUUID()}` }, messageId: randomUUID(), text }, { wait: true });
  };
  const claim = (account: string, options: { leaseMs?: number; waitMs?: number } = {}) =>
    gateway().outbox.claim({ channel: 'whatsapp', account, holder: HOLDER, ...options });
  /** The gateway names the item's account (its tenant) and its lease holder. */
  const fail = (id: string, failure: { error: string; permanent?: boolean }, account = 'bot-fail') =>
    gateway().outbox.fail(id, { ...failure, holder: HOLDER, channel: 'whatsapp', account });

  it('leases due replies to one claimer at a time, oldest first, and never hands out an acked one again', async () => {
    await reply('bot-lease', 'first');
    await reply('bot-lease', 'second');
    const claimed = await claim('bot-lease', { leaseMs: 60_000 });
    expect(claimed.map((item) => item.text)).toEqual(['echo: first', 'echo: second']);
    expect(await claim('bot-lease')).toEqual([]);
    await gateway().outbox.ack(claimed[0]?.id ?? '', { holder: HOLDER, channel: 'whatsapp', account: 'bot-lease' });
    await server.admin("update outbox set leased_until = now() - interval '1 second' where account_key = 'bot-lease'");
    const again = await claim('bot-lease');
    expect(again.map((item) => item.text)).toEqual(['echo: second']);
  });

  it('retries a failed send after a backoff and parks it after the last attempt, for the owner to see and retry', async () => {
    await reply('bot-fail', 'doomed');
    const due = async () => {
      await server.admin("update outbox set next_attempt_at = now() where account_key = 'bot-fail'");
      return claim('bot-fail');
    };
    let [item] = await due();
    expect(item?.text).toBe('echo: doomed');
    const first = await fail(item?.id ?? '', { error: 'HTTP 502 from Telegram' });
    expect(first).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 502 from Telegram' });
    // Backed off: not due at once.
    expect(await claim('bot-fail')).toEqual([]);
    const [{ delay }] = await server.admin<{ delay: number }>(
      "select extract(epoch from next_attempt_at - now())::float as delay from outbox where account_key = 'bot-fail'",
    ) as [{ delay: number }];
    expect(delay).toBeGreaterThan(1);
    expect(delay).toBeLessThan(3);
    for (let attempt = 2; attempt <= MAX_DELIVERY_ATTEMPTS; attempt++) {
      [item] = await due();
      expect(item).toBeDefined();
      await fail(item?.id ?? '', { error: `attempt ${attempt} failed` });
    }
    expect(await due()).toEqual([]);
    const parked = await server.client().outbox.list({ status: 'failed', account: 'bot-fail' });
    expect(parked).toEqual([expect.objectContaining({ attempts: MAX_DELIVERY_ATTEMPTS, lastError: `attempt ${MAX_DELIVERY_ATTEMPTS} failed`, status: 'failed' })]);
    await expect(gateway().outbox.retry(parked[0]?.id ?? '')).rejects.toMatchObject({ code: 'forbidden' });
    expect(await server.client().outbox.retry(parked[0]?.id ?? '')).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await claim('bot-fail')).map((i) => i.text)).toEqual(['echo: doomed']);
  });

  it('parks a permanent failure at once, and refuses to fail an item that is not pending', async () => {
    await reply('bot-gone', 'to a chat that is gone');
    const [item] = await claim('bot-gone');
    expect(await fail(item?.id ?? '', { error: 'Forbidden: bot was blocked by the user', permanent: true }, 'bot-gone'))
      .toMatchObject({ status: 'failed', attempts: 1 });
    await expect(fail(item?.id ?? '', { error: 'again' }, 'bot-gone')).rejects.toMatchObject({ code: 'not_found' });
    await expect(fail(randomUUID(), { error: 'x' }, 'bot-gone')).rejects.toMatchObject({ code: 'not_found' });
    // Naming no account, or one no tenant has, is refused before any row is read.
    await expect(gateway().outbox.fail(randomUUID(), { error: 'x', holder: HOLDER })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(gateway().outbox.fail(randomUUID(), { error: 'x', holder: HOLDER, channel: 'whatsapp', account: 'no-such-account' }))
      .rejects.toMatchObject({ code: 'not_found' });
  });

  it('wakes a waiting claim as soon as a reply is queued', async () => {
    await leaseAccount('bot-wait');
    const waiting = claim('bot-wait', { waitMs: 20_000 });
    const started = Date.now();
    await reply('bot-wait', 'wake up');
    const items = await waiting;
    expect(items.map((i) => i.text)).toEqual(['echo: wake up']);
    expect(Date.now() - started).toBeLessThan(10_000);
    const empty = Date.now();
    expect(await claim('bot-wait', { waitMs: 600 })).toEqual([]);
    expect(Date.now() - empty).toBeGreaterThanOrEqual(500);
  });
});
