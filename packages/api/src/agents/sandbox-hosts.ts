/**
 * The network allowlist of a sandboxed turn: the hosts the agent names (`allowHosts`, default the
 * provider's public API host), the host of every base-URL variable the agent passes to its CLI
 * (`cliEnv`, e.g. ANTHROPIC_BASE_URL; a local one as its IP literals too, since the proxy refuses
 * loopback names), and our MCP endpoint. Nothing else is reachable, local or not.
 */
import type { Provider } from '@switchboard/shared';
import type { CliConfig } from './agent-config';
import type { Env } from './agent-env';

const PROVIDER_HOSTS: Partial<Record<Provider, string[]>> = {
  claude: ['api.anthropic.com'],
  codex: ['api.openai.com'],
  opencode: ['api.anthropic.com', 'api.openai.com'],
};

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export function sandboxHosts(provider: Provider, config: CliConfig, env: Env, mcpUrl: string | undefined): string[] {
  const named = config.allowHosts ?? PROVIDER_HOSTS[provider] ?? [];
  const baseUrls = config.cliEnv.filter((name) => /BASE_URL$/i.test(name)).flatMap((name) => hostsOf(env[name]));
  return [...new Set([...named, ...baseUrls, ...hostsOf(mcpUrl)])];
}

/** `host:port` of an http(s) URL (the scheme's port when none is given); loopback as every spelling. */
function hostsOf(url: string | undefined): string[] {
  if (!url || !URL.canParse(url)) return [];
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return [];
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  const host = parsed.hostname.toLowerCase();
  return LOOPBACK_NAMES.includes(host) ? LOOPBACK_NAMES.map((name) => `${name}:${port}`) : [`${host}:${port}`];
}
