/**
 * The HTTP providers' time limit, against a fake model server that accepts requests and never
 * answers: a round fails with a TimeoutError after the agent's `timeoutMs`, and stops at once when
 * the turn's signal aborts. (That the time limit's timer is cleared is timeout-signal.test.ts's:
 * counting the process's timers here would also count the HTTP client's own shared timer.)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentProvider, Turn } from './agent-provider';
import { createAnthropicProvider } from './anthropic-provider';
import { createOpenaiProvider } from './openai-provider';

const providers: [string, AgentProvider][] = [
  ['openai', createOpenaiProvider({ env: {} })],
  ['anthropic', createAnthropicProvider({ env: {} })],
];

describe.each(providers)('%s provider time limit (fake model server that never answers)', (name, provider) => {
  let server: Server;
  let baseUrl = '';
  beforeAll(async () => {
    server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const turn = () => ({
    agent: { id: 'agent-1', name: 'default', provider: name, systemPrompt: '', config: { baseUrl, timeoutMs: 1000 } },
    session: { id: 'session-1' }, text: 'hello', history: [], memories: [], tools: null, mcp: null, forkFrom: null,
  }) as unknown as Turn;

  it('fails a round with a TimeoutError after the agent’s timeoutMs', async () => {
    const started = Date.now();
    await expect(provider.run(turn(), { signal: new AbortController().signal })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('stops a round at once when the turn is aborted', async () => {
    const turnSignal = new AbortController();
    const started = Date.now();
    setTimeout(() => turnSignal.abort(new Error('turn cancelled')), 100);
    await expect(provider.run(turn(), { signal: turnSignal.signal })).rejects.toThrow('turn cancelled');
    expect(Date.now() - started).toBeLessThan(900);
  });
});
