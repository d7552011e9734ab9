/**
 * `sb doctor`: can an agent's provider run on this server? A CLI provider's binary must start and
 * answer `--version`; an HTTP provider needs its key variable set (a local OpenAI-compatible server
 * may do without). No model is called.
 */
import { z } from 'zod';
import { isAppError, type Agent, type AgentCheck } from '@switchboard/shared';
import { cliConfigOf } from './agent-config';
import { runCliProcess } from './cli-process';

const VERSION_TIMEOUT_MS = 10_000;
const DEFAULT_KEY_ENV = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY' } as const;

export type CheckAgent = (agent: Agent) => Promise<AgentCheck>;

export function createAgentCheck(env: Record<string, string | undefined>, workdir: string): CheckAgent {
  return async (agent) => {
    const result = (ok: boolean, detail: string): AgentCheck => ({ agent: agent.name, provider: agent.provider, ok, detail });
    switch (agent.provider) {
      case 'echo':
        return result(true, 'built in');
      case 'claude':
      case 'codex':
      case 'opencode': {
        const { bin } = cliConfigOf(agent, agent.provider);
        try {
          const run = await runCliProcess({
            bin, args: ['--version'], cwd: workdir, env, timeoutMs: VERSION_TIMEOUT_MS, signal: new AbortController().signal,
          });
          const version = run.stdout.trim().split('\n')[0] ?? '';
          return run.code === 0 ? result(true, `${bin} ${version}`.trim()) : result(false, `${bin} --version exited with code ${run.code}`);
        } catch (error) {
          return result(false, isAppError(error) ? error.message : String(error));
        }
      }
      case 'openai':
      case 'anthropic': {
        const keyEnv = z.string().catch(DEFAULT_KEY_ENV[agent.provider]).parse(agent.config.apiKeyEnv ?? DEFAULT_KEY_ENV[agent.provider]);
        if (env[keyEnv]) return result(true, `API key in $${keyEnv}`);
        if (agent.provider === 'openai' && typeof agent.config.baseUrl === 'string') {
          return result(true, `no key in $${keyEnv} (fine for a local server at ${agent.config.baseUrl})`);
        }
        return result(false, `$${keyEnv} is not set`);
      }
    }
  };
}
