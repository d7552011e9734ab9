/**
 * The OpenCode CLI provider: `opencode run --format json [--session <ses_…>] -- <msg>` (every option
 * before `--`, the message after it). Every JSON event carries the `sessionID`, returned and stored
 * like the other providers' ids; the reply is the run's text parts, and a run without text is an
 * error. The working directory's `opencode.json` names our MCP endpoint (the turn token comes from
 * the environment) and, on restricted turns (every contact's), denies every permission and enables
 * no tools but ours.
 */
import { randomUUID } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '@switchboard/shared';
import type { AgentProvider, ProviderReply } from './agent-provider';
import { cliConfigOf } from './agent-config';
import { ownerArgsOf, parseJsonLine, stderrTail, TURN_TOKEN_ENV } from './cli-process';
import { placeTurn, runCliTurn, type CliHost } from './cli-turn';
import { MCP_SERVER_NAME } from '../mcp/mcp-names';

const OpencodeEvent = z.object({
  sessionID: z.string().min(1),
  type: z.string(),
  part: z.object({ type: z.string(), text: z.string().optional() }).optional(),
});

/** The project config of a turn: our MCP server; restricted: no permission, no tools but ours. */
function projectConfig(mcpUrl: string | undefined, restricted: boolean): Record<string, unknown> {
  const mcp = mcpUrl
    ? { [MCP_SERVER_NAME]: { type: 'remote', url: mcpUrl, enabled: true, headers: { Authorization: `Bearer {env:${TURN_TOKEN_ENV}}` } } }
    : {};
  const lockdown = restricted ? { permission: 'deny', tools: { '*': false, [`${MCP_SERVER_NAME}_*`]: true } } : {};
  return { $schema: 'https://opencode.ai/config.json', mcp, ...lockdown };
}

/** Written under a temporary name and renamed, so a run starting meanwhile never reads half a file. */
function writeProjectConfig(cwd: string, config: Record<string, unknown>): void {
  const temporary = join(cwd, `.opencode.json.${randomUUID()}`);
  writeFileSync(temporary, JSON.stringify(config, null, 2));
  renameSync(temporary, join(cwd, 'opencode.json'));
}

export function createOpencodeProvider(host: CliHost): AgentProvider {
  return {
    name: 'opencode',
    async run(turn, { signal }) {
      const config = cliConfigOf(turn.agent, 'opencode');
      const place = placeTurn(host.tenantHome(turn.tenantId), turn, config);
      writeProjectConfig(place.cwd, projectConfig(turn.mcp?.url, place.restricted));
      const text = turn.agent.systemPrompt ? `${turn.agent.systemPrompt}\n\n${turn.text}` : turn.text;
      const known = turn.session.providerSessionId;
      const args = [
        'run', '--format', 'json', ...(known === null ? [] : ['--session', known]),
        ...(config.model ? ['-m', config.model] : []), ...ownerArgsOf(turn, config), '--', text,
      ];
      const result = await runCliTurn(host, turn, config, place, { args, signal });
      if (result.code !== 0) throw new AppError('upstream_failed', `opencode exited with code ${result.code}${stderrTail(result.stderr)}`);
      return parseEvents(result.stdout, result.stderr);
    },
  };
}

function parseEvents(stdout: string, stderr: string): ProviderReply {
  let sessionId: string | undefined;
  const texts: string[] = [];
  for (const line of stdout.split('\n')) {
    const event = OpencodeEvent.safeParse(parseJsonLine(line));
    if (!event.success) continue;
    sessionId ??= event.data.sessionID;
    if (event.data.part?.type === 'text' && event.data.part.text) texts.push(event.data.part.text);
  }
  if (sessionId === undefined) throw new AppError('upstream_failed', `opencode reported no session id${stderrTail(stderr)}`);
  const reply = texts.join('').trim();
  if (reply === '') throw new AppError('upstream_failed', `opencode printed no text${stderrTail(stderr)}`);
  return { text: reply, providerSessionId: sessionId };
}
