/**
 * The Codex CLI provider: `codex exec --json [exec flags] <msg>` starts a thread whose id is the
 * `thread_id` of the first `thread.started` event; later turns run
 * `codex exec --json [exec flags] resume <id> <msg>`. Exec-level flags (`--sandbox`, `-C`,
 * `--color`, `--skip-git-repo-check`) always come before `resume`, so a resumed turn keeps its
 * sandbox. The answer is the last completed `agent_message`; the usage that of `turn.completed`. Restricted turns (every contact's)
 * run `--sandbox read-only`; never `--last`. The memory tools are our MCP endpoint, configured per
 * run with `-c mcp_servers.switchboard.*`; the turn token travels in an environment variable.
 */
import { z } from 'zod';
import { AppError, type TokenUsage } from '@switchboard/shared';
import type { AgentProvider, ProviderReply } from './agent-provider';
import { cliConfigOf } from './agent-config';
import { isRestricted, ownerArgsOf, parseJsonLine, prepareWorkspace, runCliProcess, stderrTail, TURN_TOKEN_ENV, turnEnv } from './cli-process';
import { MCP_SERVER_NAME } from '../mcp/mcp-names';

export interface CodexProviderOptions {
  workspaceRoot: string;
  env: Record<string, string | undefined>;
}

const CodexSandbox = z.object({
  /** The owner's unrestricted turns: the sandbox the owner chose (contacts are always read-only). */
  sandbox: z.enum(['read-only', 'workspace-write', 'danger-full-access']).default('read-only'),
});

const CodexEvent = z.union([
  z.object({ type: z.literal('thread.started'), thread_id: z.string().min(1) }),
  z.object({ type: z.literal('item.completed'), item: z.object({ type: z.string(), text: z.string().optional() }) }),
  z.object({ type: z.literal('turn.completed'), usage: z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() }) }),
  z.object({ type: z.string() }),
]);

export function createCodexProvider(options: CodexProviderOptions): AgentProvider {
  return {
    name: 'codex',
    async run(turn, { signal }) {
      const config = cliConfigOf(turn.agent, 'codex');
      const cwd = prepareWorkspace(options.workspaceRoot, turn);
      const sandbox = isRestricted(turn, config) ? 'read-only' : CodexSandbox.parse(turn.agent.config).sandbox;
      const execFlags = [
        '--json', '--sandbox', sandbox, '-C', cwd, '--color', 'never', '--skip-git-repo-check',
        ...(config.model ? ['-m', config.model] : []),
        ...(turn.mcp ? mcpOverrides(turn.mcp.url) : []),
        ...ownerArgsOf(turn, config),
      ];
      const text = turn.agent.systemPrompt ? `${turn.agent.systemPrompt}\n\n${turn.text}` : turn.text;
      const known = turn.session.providerSessionId;
      const args = ['exec', ...execFlags, ...(known === null ? [text] : ['resume', known, text])];
      const env = turnEnv(options.env, turn, config);
      const result = await runCliProcess({ bin: config.bin, args, cwd, env, timeoutMs: config.timeoutMs, signal });
      if (result.code !== 0) throw new AppError('upstream_failed', `codex exited with code ${result.code}${stderrTail(result.stderr)}`);
      return parseEvents(result.stdout, known);
    },
  };
}

/** Our MCP server for this run only (TOML values); codex sends the token from the environment. */
function mcpOverrides(url: string): string[] {
  const key = `mcp_servers.${MCP_SERVER_NAME}`;
  return ['-c', `${key}.url=${JSON.stringify(url)}`, '-c', `${key}.bearer_token_env_var=${JSON.stringify(TURN_TOKEN_ENV)}`];
}

function parseEvents(stdout: string, known: string | null): ProviderReply {
  let started: string | undefined;
  let answer: string | undefined;
  let usage: TokenUsage | undefined;
  for (const line of stdout.split('\n')) {
    const event = CodexEvent.safeParse(parseJsonLine(line));
    if (!event.success) continue;
    const data = event.data;
    if ('thread_id' in data) started ??= data.thread_id;
    if ('item' in data && data.item.type === 'agent_message' && data.item.text !== undefined) answer = data.item.text;
    if ('usage' in data) usage = { inputTokens: data.usage.input_tokens, outputTokens: data.usage.output_tokens };
  }
  const threadId = started ?? known;
  if (threadId === null) throw new AppError('upstream_failed', 'codex reported no thread id');
  if (answer === undefined) throw new AppError('upstream_failed', 'codex printed no agent message');
  return { text: answer, providerSessionId: threadId, ...(usage ? { usage } : {}) };
}
