/**
 * The client's time limit, against a local server that never answers: a call fails with `timeout`
 * after `timeoutMs`, gives up with `unavailable` as soon as the caller's signal aborts, and leaves
 * no timer behind once it has its answer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiClient } from './api-client';

describe('api client time limit', () => {
  let server: Server;
  let baseUrl = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/healthz') res.setHeader('content-type', 'application/json').end('{"ok":true}');
      // Everything else hangs, like a server that stopped answering.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails with `timeout` after timeoutMs when the server does not answer', async () => {
    const client = createApiClient({ baseUrl, token: 't', timeoutMs: 300 });
    const started = Date.now();
    await expect(client.outbox.list()).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('gives up with `unavailable` as soon as the caller’s signal aborts', async () => {
    const client = createApiClient({ baseUrl, token: 't', timeoutMs: 60_000 });
    const caller = new AbortController();
    const started = Date.now();
    setTimeout(() => caller.abort(), 100);
    await expect(client.outbox.claim({ channel: 'telegram', account: 'a', waitMs: 20_000 }, caller.signal)).rejects.toMatchObject({ code: 'unavailable' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('leaves no timer running after an answered call', async () => {
    const client = createApiClient({ baseUrl, token: 't', timeoutMs: 60_000 });
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    expect(await client.health()).toEqual({ ok: true });
    // The HTTP client's own shared timer may linger a moment; the call's 60 s limit must not.
    const deadline = Date.now() + 1500;
    while (timers() > before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
