import { randomUUID } from 'node:crypto';
import { MAX_DELIVERY_ATTEMPTS } from '@switchboard/shared';
import { describeEachServer } from '../../../../test/server-harness';

describeEachServer('outbox delivery: claims, retries, parking', (server) => {
  const gateway = () => server.client(server.gatewayToken);
  const reply = async (account: string, text: string) =>
    server.client().inbound({ channel: 'telegram', accountId: account, sender: { id: `out-${randomUUID()}` }, messageId: randomUUID(), text }, { wait: true });

  it('leases due replies to one claimer at a time, oldest first, and never hands out an acked one again', async () => {
    await reply('bot-lease', 'first');
    await reply('bot-lease', 'second');
    const claimed = await gateway().outbox.claim({ channel: 'telegram', account: 'bot-lease', leaseMs: 60_000 });
    expect(claimed.map((item) => item.text)).toEqual(['echo: first', 'echo: second']);
    expect(await gateway().outbox.claim({ channel: 'telegram', account: 'bot-lease' })).toEqual([]);
    await gateway().outbox.ack(claimed[0]?.id ?? '');
    await server.admin("update outbox set leased_until = now() - interval '1 second' where account_key = 'bot-lease'");
    const again = await gateway().outbox.claim({ channel: 'telegram', account: 'bot-lease' });
    expect(again.map((item) => item.text)).toEqual(['echo: second']);
  });

  it('retries a failed send after a backoff and parks it after the last attempt, for the owner to see and retry', async () => {
    await reply('bot-fail', 'doomed');
    const due = async () => {
      await server.admin("update outbox set next_attempt_at = now() where account_key = 'bot-fail'");
      return gateway().outbox.claim({ channel: 'telegram', account: 'bot-fail' });
    };
    let [item] = await due();
    expect(item?.text).toBe('echo: doomed');
    const first = await gateway().outbox.fail(item?.id ?? '', { error: 'HTTP 502 from Telegram' });
    expect(first).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 502 from Telegram' });
    // Backed off: not due at once.
    expect(await gateway().outbox.claim({ channel: 'telegram', account: 'bot-fail' })).toEqual([]);
    const [{ delay }] = await server.admin<{ delay: number }>(
      "select extract(epoch from next_attempt_at - now())::float as delay from outbox where account_key = 'bot-fail'",
    ) as [{ delay: number }];
    expect(delay).toBeGreaterThan(1);
    expect(delay).toBeLessThan(3);
    for (let attempt = 2; attempt <= MAX_DELIVERY_ATTEMPTS; attempt++) {
      [item] = await due();
      expect(item).toBeDefined();
      await gateway().outbox.fail(item?.id ?? '', { error: `attempt ${attempt} failed` });
    }
    expect(await due()).toEqual([]);
    const parked = await server.client().outbox.list({ status: 'failed', account: 'bot-fail' });
    expect(parked).toEqual([expect.objectContaining({ attempts: MAX_DELIVERY_ATTEMPTS, lastError: `attempt ${MAX_DELIVERY_ATTEMPTS} failed`, status: 'failed' })]);
    await expect(gateway().outbox.retry(parked[0]?.id ?? '')).rejects.toMatchObject({ code: 'forbidden' });
    expect(await server.client().outbox.retry(parked[0]?.id ?? '')).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await gateway().outbox.claim({ channel: 'telegram', account: 'bot-fail' })).map((i) => i.text)).toEqual(['echo: doomed']);
  });

  it('parks a permanent failure at once, and refuses to fail an item that is not pending', async () => {
    await reply('bot-gone', 'to a chat that is gone');
    const [item] = await gateway().outbox.claim({ channel: 'telegram', account: 'bot-gone' });
    expect(await gateway().outbox.fail(item?.id ?? '', { error: 'Forbidden: bot was blocked by the user', permanent: true }))
      .toMatchObject({ status: 'failed', attempts: 1 });
    await expect(gateway().outbox.fail(item?.id ?? '', { error: 'again' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(gateway().outbox.fail(randomUUID(), { error: 'x' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('wakes a waiting claim as soon as a reply is queued', async () => {
    const waiting = gateway().outbox.claim({ channel: 'telegram', account: 'bot-wait', waitMs: 20_000 });
    const started = Date.now();
    await reply('bot-wait', 'wake up');
    const items = await waiting;
    expect(items.map((i) => i.text)).toEqual(['echo: wake up']);
    expect(Date.now() - started).toBeLessThan(10_000);
    const empty = Date.now();
    expect(await gateway().outbox.claim({ channel: 'telegram', account: 'bot-wait', waitMs: 600 })).toEqual([]);
    expect(Date.now() - empty).toBeGreaterThanOrEqual(500);
  });
});
