/**
 * The Claude Code CLI provider: one provider session per contact (and agent and thread), whose id we
 * choose: `claude --session-id <uuid> … -p -- <msg>`, later turns `-r <uuid>`, a fork on reset
 * `-r <old> --fork-session --session-id <uuid>`; never `-c`. Every option comes before `--` and the
 * message after it (`-p` is a flag: a message starting with `-` must never become an option). A stale
 * id starts one fresh session. Memory tools: our MCP endpoint via a per-turn `--mcp-config` file (0600,
 * removed after the turn); restricted turns get no built-in tools and no MCP server but ours.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '@switchboard/shared';
import type { AgentProvider, McpAccess, ProviderReply, RunOptions, Turn } from './agent-provider';
import { cliConfigOf, type CliConfig } from './agent-config';
import { ownerArgsOf, parseJsonLine, stderrTail } from './cli-process';
import { placeTurn, runCliTurn, type CliHost } from './cli-turn';
import { MEMORY_TOOLS } from './memory-tools';
import { MCP_SERVER_NAME } from '../mcp/mcp-names';

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

export function createClaudeProvider(host: CliHost): AgentProvider {
  async function invoke(turn: Turn, config: CliConfig, session: string[], signal: AbortSignal, onText: RunOptions['onText']) {
    const place = placeTurn(host.tenantHome(turn.tenantId), turn, config);
    const mcpFile = turn.mcp ? writeMcpConfig(place.runDir, turn.mcp) : undefined;
    const args = [
      ...session, ...(onText ? ['--output-format', 'stream-json', '--verbose'] : ['--output-format', 'json']),
      ...(turn.agent.systemPrompt ? ['--append-system-prompt', turn.agent.systemPrompt] : []),
      ...(config.model ? ['--model', config.model] : []),
      ...(mcpFile ? ['--mcp-config', mcpFile] : []),
      // `--tools ""` removes the built-in tools; `--allowedTools` alone would only add to the defaults.
      ...(place.restricted ? ['--tools', '', '--strict-mcp-config', ...(mcpFile ? ['--allowedTools', ALLOWED_TOOLS] : [])] : []),
      ...ownerArgsOf(turn, config),
      '-p', '--', turn.text,
    ];
    try {
      return await runCliTurn(host, turn, config, place, { args, signal, onStdoutLine: onText && assistantText(onText) });
    } finally {
      if (mcpFile) rmSync(mcpFile, { force: true });
    }
  }

  async function start(turn: Turn, config: CliConfig, run: RunOptions, forkFrom: string | null): Promise<ProviderReply> {
    const fork = forkFrom ? ['-r', forkFrom, '--fork-session'] : [];
    const result = await invoke(turn, config, [...fork, '--session-id', randomUUID()], run.signal, run.onText);
    if (forkFrom && result.code !== 0 && STALE.test(result.stderr)) {
      host.log(`switchboard: claude session ${forkFrom} to fork is gone; starting session ${turn.session.id} empty`);
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
        host.log(`switchboard: claude session ${known} of session ${turn.session.id} is gone; starting a fresh one`);
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
