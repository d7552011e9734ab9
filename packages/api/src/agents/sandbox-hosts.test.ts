import type { Agent } from '@switchboard/shared';
import { cliConfigOf } from './agent-config';
import { sandboxHosts } from './sandbox-hosts';

const agent = (provider: Agent['provider'], config: Record<string, unknown>): Agent =>
  ({ id: '00000000-0000-4000-8000-000000000000' as Agent['id'], name: 'a', provider, systemPrompt: '', config });
const hosts = (provider: Agent['provider'], config: Record<string, unknown>, env: Record<string, string> = {}) =>
  sandboxHosts(provider, cliConfigOf(agent(provider, config), provider), env, 'http://127.0.0.1:8787/mcp');

describe('sandboxHosts', () => {
  it('opens the provider\'s own API host and our MCP endpoint by default', () => {
    expect(hosts('claude', {})).toEqual(['api.anthropic.com', 'localhost:8787', '127.0.0.1:8787', '[::1]:8787']);
    expect(hosts('codex', {})).toEqual(['api.openai.com', 'localhost:8787', '127.0.0.1:8787', '[::1]:8787']);
  });

  it('opens exactly the hosts the agent names instead, and the host of each base URL it passes to the CLI', () => {
    const env = { ANTHROPIC_BASE_URL: 'https://llm.internal.example/v1', OTHER_URL: 'https://not-a-base.example', ANTHROPIC_API_KEY: 'k' };
    expect(hosts('claude', { allowHosts: [], cliEnv: ['ANTHROPIC_BASE_URL', 'OTHER_URL', 'ANTHROPIC_API_KEY'] }, env))
      .toEqual(['llm.internal.example:443', 'localhost:8787', '127.0.0.1:8787', '[::1]:8787']);
  });

  it('opens a local base URL by its loopback literals too (the proxy refuses loopback reached by name)', () => {
    expect(hosts('claude', { allowHosts: ['api.anthropic.com'], cliEnv: ['ANTHROPIC_BASE_URL'] }, { ANTHROPIC_BASE_URL: 'http://localhost:4000' }))
      .toEqual(['api.anthropic.com', 'localhost:4000', '127.0.0.1:4000', '[::1]:4000', 'localhost:8787', '127.0.0.1:8787', '[::1]:8787']);
  });
});
