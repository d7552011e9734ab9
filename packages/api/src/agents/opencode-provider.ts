/**
 * The OpenCode CLI provider: `opencode run --format json [--session <ses_…>] <msg>`. Every JSON
 * event carries the `sessionID`, which is returned and stored like the other providers' ids; the
 * reply is the run's text parts. A run that printed no text is an error, not an empty reply.
 * Contact turns run in a working directory whose `opencode.json` denies every permission.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '@switchboard/shared';
import type { AgentProvider, ProviderReply } from './agent-provider';
import { parseJsonLine, prepareWorkspace, runCliProcess, stderrTail } from './cli-process';

export interface OpencodeProviderOptions {
  workspaceRoot: string;
  env: Record<string, string | undefined>;
}

const OpencodeConfig = z.object({
  bin: z.string().min(1).default('opencode'),
  timeoutMs: z.number().int().min(1000).max(3_600_000).default(600_000),
});

const OpencodeEvent = z.object({
  sessionID: z.string().min(1),
  type: z.string(),
  part: z.object({ type: z.string(), text: z.string().optional() }).optional(),
});

/** A contact may not run commands, edit files or fetch the web through the agent. */
const CONTACT_PROJECT_CONFIG = { $schema: 'https://opencode.ai/config.json', permission: 'deny' };

export function createOpencodeProvider(options: OpencodeProviderOptions): AgentProvider {
  return {
    name: 'opencode',
    async run(turn, { signal }) {
      const config = OpencodeConfig.parse(turn.agent.config);
      const cwd = prepareWorkspace(options.workspaceRoot, turn);
      if (turn.session.contactId !== null) writeFileSync(join(cwd, 'opencode.json'), JSON.stringify(CONTACT_PROJECT_CONFIG, null, 2));
      const text = turn.agent.systemPrompt ? `${turn.agent.systemPrompt}\n\n${turn.text}` : turn.text;
      const known = turn.session.providerSessionId;
      const args = ['run', '--format', 'json', ...(known === null ? [] : ['--session', known]), text];
      const result = await runCliProcess({ bin: config.bin, args, cwd, env: options.env, timeoutMs: config.timeoutMs, signal });
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
