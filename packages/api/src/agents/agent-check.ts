/**
 * `sb doctor`: can an agent's provider run on this server? A CLI provider's binary must start and
 * answer `--version`, inside the sandbox its contacts' turns get (so a broken sandbox shows here);
 * an agent whose sandbox is off runs, with a warning. An HTTP provider needs its key variable set
 * (a local OpenAI-compatible server may do without). No model is called.
 */
import { z } from 'zod';
import { isAppError, type Agent, type AgentCheck } from '@switchboard/shared';
import { cliConfigOf } from './agent-config';
import type { Env } from './agent-env';
import { runCliProcess } from './cli-process';
import type { CliSandbox } from './cli-sandbox';

const VERSION_TIMEOUT_MS = 10_000;
const DEFAULT_KEY_ENV = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY' } as const;

export type CheckAgent = (agent: Agent) => Promise<AgentCheck>;

export function createAgentCheck(env: Env, workdir: string, sandbox: CliSandbox): CheckAgent {
  /** `<bin> --version`, in the sandbox unless the agent opted out; the first line of its answer. */
  async function cliVersion(agent: Agent): Promise<{ ok: boolean; detail: string }> {
    const { bin, sandbox: mode } = cliConfigOf(agent, agent.provider);
    const plain = { bin, args: ['--version'], env: { PATH: env.PATH ?? '/usr/bin:/bin', HOME: '/tmp' } };
    const command = mode === 'off'
      ? plain
      : await sandbox.wrap({ ...plain, agent: agent.name, cwd: '/tmp', writable: [], readable: [], hosts: [] });
    const run = await runCliProcess({ ...command, name: bin, cwd: workdir, timeoutMs: VERSION_TIMEOUT_MS, signal: new AbortController().signal });
    const version = run.stdout.trim().split('\n')[0] ?? '';
    if (run.code !== 0) return { ok: false, detail: `${bin} --version exited with code ${run.code}` };
    return { ok: true, detail: `${`${bin} ${version}`.trim()}${mode === 'off' ? '' : ' (sandboxed)'}` };
  }

  return async (agent) => {
    const result = (ok: boolean, detail: string, warning?: string): AgentCheck =>
      ({ agent: agent.name, provider: agent.provider, ok, detail, ...(warning ? { warning } : {}) });
    switch (agent.provider) {
      case 'echo':
        return result(true, 'built in');
      case 'claude':
      case 'codex':
      case 'opencode': {
        const off = cliConfigOf(agent, agent.provider).sandbox === 'off';
        const warning = off ? `sandbox off: contacts' turns run without the OS sandbox (sb agents set ${agent.name} --sandbox on)` : undefined;
        try {
          const { ok, detail } = await cliVersion(agent);
          return result(ok, detail, warning);
        } catch (error) {
          return result(false, isAppError(error) ? error.message : String(error), warning);
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
