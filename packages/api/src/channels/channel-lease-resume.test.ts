import { randomUUID } from 'node:crypto';
import { describeEachServer } from '../../../../test/server-harness';

describeEachServer('channel leases across a restart (resume)', (server) => {
  const gateway = () => server.client(server.gatewayToken);
  const lease = (account: string, holder: string, options: { ttlMs?: number; resume?: boolean } = {}) =>
    gateway().channels.takeLease('whatsapp', account, { holder, ttlMs: options.ttlMs ?? 600_000, ...(options.resume ? { resume: true } : {}) });
  const claim = (account: string, holder: string) =>
    gateway().outbox.claim({ channel: 'whatsapp', account, holder, leaseMs: 600_000, waitMs: 0 });
  /** Two replies of the account, claimed by `holder` (as a process that is then killed would have). */
  const claimTwo = async (account: string, holder: string, ttlMs = 600_000) => {
    await server.client().channels.add({ channel: 'whatsapp', accountId: account });
    expect((await lease(account, holder, { ttlMs })).granted).toBe(true);
    for (const text of ['first', 'second']) {
      await server.client().inbound({ channel: 'whatsapp', accountId: account, sender: { id: `resume-${randomUUID()}` }, messageId: randomUUID(), text }, { wait: true });
    }
    expect((await claim(account, holder)).map((item) => item.text)).toEqual(['echo: first', 'echo: second']);
  };
  const leased = async (account: string) =>
    (await server.admin<{ n: number }>('select count(*)::int as n from outbox where account_key = $1 and leased_until > now()', [account]))[0]?.n;

  it('gives a restarted holder its lease at once and its predecessor\'s claimed replies back, and another holder neither', async () => {
    await claimTwo('resume-own', 'gw-home-a');
    await claimTwo('resume-untouched', 'gw-home-a');

    // Another installation's gateway, even one that says it just started, waits the lease out.
    expect(await lease('resume-own', 'gw-home-b', { resume: true })).toMatchObject({ granted: false });
    expect(await leased('resume-own')).toBe(2);
    // A renewal by the running holder leaves its claims alone.
    expect((await lease('resume-own', 'gw-home-a')).granted).toBe(true);
    expect(await claim('resume-own', 'gw-home-a')).toEqual([]);

    // The same holder, restarted: the lease at once, and the claimed replies due again, in order.
    expect((await lease('resume-own', 'gw-home-a', { resume: true })).granted).toBe(true);
    expect(await leased('resume-own')).toBe(0);
    expect((await claim('resume-own', 'gw-home-a')).map((item) => item.text)).toEqual(['echo: first', 'echo: second']);
    // Only the resumed account's replies: another account's claims wait for its own resume.
    expect(await leased('resume-untouched')).toBe(2);
  });

  it('leaves the claims of another holder whose lease ran out to run out too', async () => {
    await claimTwo('resume-expired', 'gw-gone');
    // The holder's last renewal gave it 100 ms more; then it died.
    expect((await lease('resume-expired', 'gw-gone', { ttlMs: 100 })).granted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await lease('resume-expired', 'gw-next', { resume: true })).granted).toBe(true);
    expect(await leased('resume-expired')).toBe(2);
    expect(await claim('resume-expired', 'gw-next')).toEqual([]);
  });
});
