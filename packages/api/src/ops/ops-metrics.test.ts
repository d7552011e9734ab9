import { randomUUID } from 'node:crypto';
import { describeEachServer, type TestServer } from '../../../../test/server-harness';

const METRICS_TOKEN = `metrics-${randomUUID()}`;

/** The value of one series in Prometheus text: `name` with exactly these labels, in any order; 0 when absent. */
function valueOf(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`).sort().join(',');
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(/,(?=\w+=")/).filter(Boolean).sort().join(',');
    if (have === wanted) return Number(match[3]);
  }
  return 0;
}

async function scrape(server: TestServer, token: string | null = server.ownerToken): Promise<string> {
  const response = await server.fetch('/metrics', { token });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

describeEachServer('GET /metrics', (server) => {
  it('answers 401 without a token and with an unknown one, and 403 to the gateway token', async () => {
    for (const token of [null, `unknown-${randomUUID()}`]) {
      const response = await server.fetch('/metrics', { token });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
    const gateway = await server.fetch('/metrics', { token: server.gatewayToken });
    expect(gateway.status).toBe(403);
    expect(await gateway.json()).toMatchObject({ error: { code: 'forbidden' } });
    const almost = await server.fetch('/metrics', { token: `${METRICS_TOKEN}x` });
    expect(almost.status).toBe(401);
  });

  it('serves the owner, admin and metrics tokens, every name starting with sb_', async () => {
    expect(await scrape(server)).toContain('# TYPE sb_turns_total counter');
    expect(await scrape(server, server.adminToken)).toContain('# TYPE sb_turns_total counter');
    const text = await scrape(server, METRICS_TOKEN);
    const names = text.split('\n').filter((line) => line.startsWith('# TYPE ')).map((line) => line.split(' ')[2] ?? '');
    expect(names).toEqual(expect.arrayContaining(['sb_turns_total', 'sb_turn_duration_seconds', 'sb_turn_queue_depth', 'sb_outbox_replies', 'sb_http_requests_total']));
    expect(names.filter((name) => !name.startsWith('sb_'))).toEqual([]);
  });

  it('counts a turn, its inbound message, its queued reply and its request after a real turn', async () => {
    const before = await scrape(server);
    const sender = `ops-${randomUUID()}`;
    const response = await server.fetch('/v1/inbound?wait=true', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'telegram', sender: { id: sender }, messageId: 'm1', text: 'hello metrics' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'done', reply: { text: 'echo: hello metrics' } });
    const after = await scrape(server);

    const done = { status: 'done', provider: 'echo' };
    expect(valueOf(after, 'sb_turns_total', done)).toBe(valueOf(before, 'sb_turns_total', done) + 1);
    expect(valueOf(after, 'sb_turn_duration_seconds_count', done)).toBe(valueOf(before, 'sb_turn_duration_seconds_count', done) + 1);
    expect(valueOf(after, 'sb_turn_duration_seconds_sum', done)).toBeGreaterThan(valueOf(before, 'sb_turn_duration_seconds_sum', done));
    const queued = { channel: 'telegram', status: 'queued' };
    expect(valueOf(after, 'sb_inbound_total', queued)).toBe(valueOf(before, 'sb_inbound_total', queued) + 1);
    // No gateway runs beside this server: the reply waits in the outbox.
    expect(valueOf(after, 'sb_outbox_replies', { status: 'pending' })).toBe(valueOf(before, 'sb_outbox_replies', { status: 'pending' }) + 1);
    expect(valueOf(after, 'sb_turn_queue_depth')).toBe(0);
    const posted = { method: 'POST', route: '/v1/inbound', status: '200' };
    expect(valueOf(after, 'sb_http_requests_total', posted)).toBe(valueOf(before, 'sb_http_requests_total', posted) + 1);
    expect(after).not.toContain(sender);
    expect(after).not.toContain('hello metrics');
  });

  it('labels a request by its route pattern, never by the ids in its URL', async () => {
    const id = randomUUID();
    expect((await server.fetch(`/v1/memories/${id}`)).status).toBe(404);
    expect((await server.fetch(`/v1/no-such-route/${id}`)).status).toBe(404);
    const text = await scrape(server);
    expect(valueOf(text, 'sb_http_requests_total', { method: 'GET', route: '/v1/memories/:id', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(text, 'sb_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(id);
  });
}, { SB_METRICS_TOKEN: METRICS_TOKEN });
