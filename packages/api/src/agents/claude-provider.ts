/**
 * The Claude Code CLI provider: one provider session per contact (and per agent and thread), in a
 * per-contact working directory. We choose the session id: the first turn runs
 * `claude -p <msg> --session-id <uuid> --output-format json` (`stream-json --verbose` when someone
 * watches the turn live), later turns `-r <uuid>`; an agent that
 * forks on reset starts its new session with `-r <old> --fork-session --session-id <uuid>`. The id
 * the run reports is returned and stored by the caller with a compare-and-set. A stale id ("No
 * conversation found") starts one fresh session, never a loop. Never `-c`/`--continue`.
 *
 * Memory tools come from our MCP endpoint through a per-turn `--mcp-config` file (mode 0600,
 * removed after the turn) holding the turn token. Restricted turns (every contact's) run with no
 * built-in tools, no MCP servers but ours (`--strict-mcp-config`) and only our tools allowed.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '@switchboard/shared';
import type { AgentProvider, McpAccess, ProviderReply, RunOptions, Turn } from './agent-provider';
import { cliConfigOf, type CliConfig } from './agent-config';
import { isRestricted, ownerArgsOf, parseJsonLine, prepareWorkspace, runCliProcess, stderrTail, turnEnv } from './cli-process';
import { MEMORY_TOOLS } from './memory-tools';
import { MCP_SERVER_NAME } from '../mcp/mcp-names';

export interface ClaudeProviderOptions {
  /** Working directories live under `<root>/<agent>/<contact id or owner>`. */
  workspaceRoot: string;
  /** Per-turn files (the MCP config with the turn token) live here while the turn runs. */
  runDir: string;
  /** The environment the CLI gets (PATH, HOME, its own credentials). */
  env: Record<string, string | undefined>;
  log: (line: string) => void;
}

const ClaudeResult = z.object({
  result: z.string(),
  session_id: z.string().min(1),
  is_error: z.boolean().optional(),
  usage: z.object({
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    cache_creation_input_tokens: z.number().int().optional(),
    cache_read_input_tokens: z.number().int().optional(),
  }).optional(),
});

const STALE = /No conversation found with session ID/i;

const ALLOWED_TOOLS = MEMORY_TOOLS.map((tool) => `mcp__${MCP_SERVER_NAME}__${tool.name}`).join(',');

export function createClaudeProvider(options: ClaudeProviderOptions): AgentProvider {
  async function invoke(turn: Turn, config: CliConfig, session: string[], signal: AbortSignal, onText: RunOptions['onText']) {
    const cwd = prepareWorkspace(options.workspaceRoot, turn);
    const mcpFile = turn.mcp ? writeMcpConfig(options.runDir, turn.mcp) : undefined;
    const restricted = isRestricted(turn, config);
    const args = [
      '-p', turn.text, ...session, ...(onText ? ['--output-format', 'stream-json', '--verbose'] : ['--output-format', 'json']),
      ...(turn.agent.systemPrompt ? ['--append-system-prompt', turn.agent.systemPrompt] : []),
      ...(config.model ? ['--model', config.model] : []),
      ...(mcpFile ? ['--mcp-config', mcpFile] : []),
      // `--tools ""` removes the built-in tools; `--allowedTools` alone would only add to the defaults.
      ...(restricted ? ['--tools', '', '--strict-mcp-config', ...(mcpFile ? ['--allowedTools', ALLOWED_TOOLS] : [])] : []),
      ...ownerArgsOf(turn, config),
    ];
    try {
      return await runCliProcess({
        bin: config.bin, args, cwd, env: turnEnv(options.env, turn, config), timeoutMs: config.timeoutMs, signal,
        onStdoutLine: onText && assistantText(onText),
      });
    } finally {
      if (mcpFile) rmSync(mcpFile, { force: true });
    }
  }

  async function start(turn: Turn, config: CliConfig, run: RunOptions, forkFrom: string | null): Promise<ProviderReply> {
    const fork = forkFrom ? ['-r', forkFrom, '--fork-session'] : [];
    const result = await invoke(turn, config, [...fork, '--session-id', randomUUID()], run.signal, run.onText);
    if (forkFrom && result.code !== 0 && STALE.test(result.stderr)) {
      options.log(`switchboard: claude session ${forkFrom} to fork is gone; starting session ${turn.session.id} empty`);
      return start(turn, config, run, null);
    }
    return parseReply(result.code, result.stdout, result.stderr);
  }

  return {
    name: 'claude',
    async run(turn, run) {
      const config = cliConfigOf(turn.agent, 'claude');
      const known = turn.session.providerSessionId;
      if (known === null) return start(turn, config, run, turn.forkFrom);
      const result = await invoke(turn, config, ['-r', known], run.signal, run.onText);
      if (result.code !== 0 && STALE.test(result.stderr)) {
        options.log(`switchboard: claude session ${known} of session ${turn.session.id} is gone; starting a fresh one`);
        return start(turn, config, run, null);
      }
      return parseReply(result.code, result.stdout, result.stderr);
    },
  };
}

const AssistantLine = z.object({
  type: z.literal('assistant'),
  message: z.object({ content: z.array(z.object({ type: z.string(), text: z.string().optional() })) }),
});

/** `stream-json` lines: the text of the assistant messages so far, reported as each one arrives. */
function assistantText(onText: (textSoFar: string) => void): (line: string) => void {
  let text = '';
  return (line) => {
    const message = AssistantLine.safeParse(parseJsonLine(line));
    if (!message.success) return;
    const added = message.data.message.content.map((block) => (block.type === 'text' ? block.text ?? '' : '')).join('');
    if (!added) return;
    text += added;
    onText(text);
  };
}

/** `{"mcpServers": {"switchboard": {"type": "http", url, headers}}}`, readable by this user only. */
function writeMcpConfig(runDir: string, mcp: McpAccess): string {
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const file = join(runDir, `mcp-${randomUUID()}.json`);
  const server = { type: 'http', url: mcp.url, headers: { Authorization: `Bearer ${mcp.token}` } };
  writeFileSync(file, JSON.stringify({ mcpServers: { [MCP_SERVER_NAME]: server } }), { mode: 0o600 });
  return file;
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
  const usage = parsed.usage && {
    inputTokens: parsed.usage.input_tokens + (parsed.usage.cache_creation_input_tokens ?? 0) + (parsed.usage.cache_read_input_tokens ?? 0),
    outputTokens: parsed.usage.output_tokens,
  };
  return { text: parsed.result, providerSessionId: parsed.session_id, ...(usage ? { usage } : {}) };
}
