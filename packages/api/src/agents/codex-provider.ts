/**
 * The Codex CLI provider: `codex exec --json [exec flags] -- <msg>` starts a thread whose id is the
 * `thread_id` of the first `thread.started` event; later turns run `codex exec --json [exec flags]
 * resume <id> -- <msg>`. Exec-level flags always come before `resume` (so a resumed turn keeps its
 * sandbox) and the message after `--`. The answer is the last completed `agent_message`. Restricted
 * turns (every contact's) run `--sandbox read-only`; never `--last`. The memory tools are our MCP
 * endpoint (`-c mcp_servers.switchboard.*`); the turn token travels in an environment variable.
 */
import { z } from 'zod';
import { AppError, type TokenUsage } from '@switchboard/shared';
import type { AgentProvider, ProviderReply } from './agent-provider';
import { cliConfigOf } from './agent-config';
import { ownerArgsOf, parseJsonLine, stderrTail, TURN_TOKEN_ENV } from './cli-process';
import { placeTurn, runCliTurn, type CliHost } from './cli-turn';
import { MCP_SERVER_NAME } from '../mcp/mcp-names';

const CodexSandbox = z.object({
  /** The owner's unrestricted turns: the sandbox the owner chose (contacts are always read-only). */
  codexSandbox: z.enum(['read-only', 'workspace-write', 'danger-full-access']).default('read-only'),
});

const CodexEvent = z.union([
  z.object({ type: z.literal('thread.started'), thread_id: z.string().min(1) }),
  z.object({ type: z.literal('item.completed'), item: z.object({ type: z.string(), text: z.string().optional() }) }),
  z.object({ type: z.literal('turn.completed'), usage: z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() }) }),
  z.object({ type: z.string() }),
]);

export function createCodexProvider(host: CliHost): AgentProvider {
  return {
    name: 'codex',
    async run(turn, { signal }) {
      const config = cliConfigOf(turn.agent, 'codex');
      const place = placeTurn(host.tenantHome(turn.tenantId), turn, config);
      const sandbox = place.restricted ? 'read-only' : CodexSandbox.parse(turn.agent.config).codexSandbox;
      const execFlags = [
        '--json', '--sandbox', sandbox, '-C', place.cwd, '--color', 'never', '--skip-git-repo-check',
        ...(config.model ? ['-m', config.model] : []),
        ...(turn.mcp ? mcpOverrides(turn.mcp.url) : []),
        ...ownerArgsOf(turn, config),
      ];
      const text = turn.agent.systemPrompt ? `${turn.agent.systemPrompt}\n\n${turn.text}` : turn.text;
      const known = turn.session.providerSessionId;
      const args = ['exec', ...execFlags, ...(known === null ? [] : ['resume', known]), '--', text];
      const result = await runCliTurn(host, turn, config, place, { args, signal });
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
