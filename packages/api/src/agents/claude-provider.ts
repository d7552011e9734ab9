/**
 * The Claude Code CLI provider: one provider session per contact (and per agent and thread), in a
 * per-contact working directory. We choose the session id: the first turn runs
 * `claude -p <msg> --session-id <uuid> --output-format json`, later turns `-r <uuid>`; the id the
 * run reports is returned and stored by the caller with a compare-and-set. A stale id ("No
 * conversation found") starts one fresh session, never a loop. Never `-c`/`--continue`. Contact
 * turns run without tools; the owner's turns with the owner's own Claude Code configuration.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '@switchboard/shared';
import type { AgentProvider, ProviderReply, Turn } from './agent-provider';
import { prepareWorkspace, runCliProcess, stderrTail } from './cli-process';

export interface ClaudeProviderOptions {
  /** Working directories live under `<root>/<agent>/<contact id or owner>`. */
  workspaceRoot: string;
  /** The environment the CLI gets (PATH, HOME, its own credentials). */
  env: Record<string, string | undefined>;
  log: (line: string) => void;
}

const ClaudeConfig = z.object({
  bin: z.string().min(1).default('claude'),
  timeoutMs: z.number().int().min(1000).max(3_600_000).default(600_000),
});

const ClaudeResult = z.object({ result: z.string(), session_id: z.string().min(1), is_error: z.boolean().optional() });

const STALE = /No conversation found with session ID/i;

/**
 * A contact's turn runs with no built-in tools (no Bash, no file access) and no MCP servers from
 * the owner's own configuration; `--allowedTools` alone would only add to the defaults.
 */
const CONTACT_PROFILE = ['--tools', '', '--strict-mcp-config'];

export function createClaudeProvider(options: ClaudeProviderOptions): AgentProvider {
  async function invoke(turn: Turn, args: string[], signal: AbortSignal) {
    const config = ClaudeConfig.parse(turn.agent.config);
    const cwd = prepareWorkspace(options.workspaceRoot, turn);
    const system = turn.agent.systemPrompt ? ['--append-system-prompt', turn.agent.systemPrompt] : [];
    const profile = turn.session.contactId === null ? [] : CONTACT_PROFILE;
    return runCliProcess({
      bin: config.bin, args: [...args, '--output-format', 'json', ...system, ...profile], cwd, env: options.env, timeoutMs: config.timeoutMs, signal,
    });
  }

  async function start(turn: Turn, signal: AbortSignal): Promise<ProviderReply> {
    const result = await invoke(turn, ['-p', turn.text, '--session-id', randomUUID()], signal);
    return parseReply(result.code, result.stdout, result.stderr);
  }

  return {
    name: 'claude',
    async run(turn, { signal }) {
      const known = turn.session.providerSessionId;
      if (known === null) return start(turn, signal);
      const result = await invoke(turn, ['-p', turn.text, '-r', known], signal);
      if (result.code !== 0 && STALE.test(result.stderr)) {
        options.log(`switchboard: claude session ${known} of session ${turn.session.id} is gone; starting a fresh one`);
        return start(turn, signal);
      }
      return parseReply(result.code, result.stdout, result.stderr);
    },
  };
}

function parseReply(code: number | null, stdout: string, stderr: string): ProviderReply {
  if (code !== 0) throw new AppError('upstream_failed', `claude exited with code ${code}${stderrTail(stderr)}`);
  const lastLine = stdout.trim().split('\n').pop() ?? '';
  let parsed: z.infer<typeof ClaudeResult>;
  try {
    parsed = ClaudeResult.parse(JSON.parse(lastLine));
  } catch (error) {
    throw new AppError('upstream_failed', 'claude printed no JSON result', { cause: error });
  }
  if (parsed.is_error) throw new AppError('upstream_failed', `claude reported an error: ${parsed.result}`);
  return { text: parsed.result, providerSessionId: parsed.session_id };
}
