/**
 * `sb agents`: list, show, add, and set an agent's provider, binary, model, prompt, memory mode,
 * tool profile, sandbox (CLI variables, hosts, opt-out) and policies (who may DM it, when it
 * answers in groups, its per-contact rate limit). Only the flags given are changed; after a change
 * of provider, binary or sandbox the server is asked whether the agent can run, and warns.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import {
  AgentName, AgentPatch, AgentPolicy, AppError, DmPolicy, GroupReplies, MemoryMode, Provider, type Agent, type ApiClient, type RateLimit,
} from '@switchboard/shared';
import type { CliContext } from '../cli-context';
import { parseArgument, parseFlags, RateLimitText } from '../cli-flags';
import type { CliOutput } from '../cli-output';

const TimeoutText = z.string().regex(/^\d+$/, 'expected whole seconds').transform((value) => Number(value) * 1000);

/** Every setting `add` and `set` take; keys are the flags' camelCase names, so errors name the flag. */
const SettingFlags = z.object({
  provider: Provider.optional(),
  systemPrompt: AgentPatch.shape.systemPrompt,
  dmPolicy: DmPolicy.optional(),
  groupReplies: GroupReplies.optional(),
  rateLimit: RateLimitText.optional(),
  newContactRate: RateLimitText.optional(),
  memory: MemoryMode.optional(),
  bin: AgentPatch.shape.bin,
  model: AgentPatch.shape.model,
  timeout: TimeoutText.pipe(z.number().int().min(1000, 'at least 1 second').max(3_600_000, 'at most 3600 seconds')).optional(),
  reset: AgentPatch.shape.reset,
  ownerProfile: AgentPatch.shape.ownerProfile,
  ownerArg: AgentPatch.shape.ownerArgs,
  ownerEnv: AgentPatch.shape.ownerEnv,
  cliEnv: AgentPatch.shape.cliEnv,
  allowHosts: AgentPatch.shape.allowHosts,
  sandbox: AgentPatch.shape.sandbox,
  codexSandbox: AgentPatch.shape.codexSandbox,
  baseUrl: AgentPatch.shape.baseUrl,
  apiKeyEnv: AgentPatch.shape.apiKeyEnv,
  historyChars: z.string().regex(/^\d+$/, 'expected a number of characters').transform(Number).pipe(z.number().max(1_000_000)).optional(),
});
type SettingFlags = z.infer<typeof SettingFlags>;

export function registerAgentsCommand(program: Command, deps: { context: CliContext }): void {
  const agents = program.command('agents').description('the personas contacts talk to');
  addListCommand(agents, deps.context);
  addShowCommand(agents, deps.context);
  addAddCommand(agents, deps.context);
  addSetCommand(agents, deps.context);
}

function addListCommand(agents: Command, context: CliContext): void {
  agents.command('list', { isDefault: true }).description('list agents').action(async (_options: unknown, command: Command) => {
    await context.run(command, async ({ client, out }) => {
      const list = await client.agents.list();
      out.print(list, () => printAgents(out, list));
    });
  });
}

function addShowCommand(agents: Command, context: CliContext): void {
  agents.command('show <name>').description('show one agent').action(async (name: string, _options: unknown, command: Command) => {
    const agentName = parseArgument(AgentName, name, 'agent name');
    await context.run(command, async ({ client, out }) => {
      const agent = await client.agents.get(agentName);
      out.print(agent, () => printAgent(out, agent));
    });
  });
}

function addAddCommand(agents: Command, context: CliContext): void {
  withSettingOptions(agents.command('add <name>').description('create an agent (echo unless --provider says otherwise)'))
    .action(async (name: string, options: unknown, command: Command) => {
      const agentName = parseArgument(AgentName, name, 'agent name');
      const patch = toPatch(parseFlags(SettingFlags, options));
      await context.run(command, async ({ client, out }) => {
        const agent = await client.agents.create({ name: agentName, ...patch });
        out.print(agent, () => printAgent(out, agent));
        await warnIfCannotRun(client, out, agent);
      });
    });
}

function addSetCommand(agents: Command, context: CliContext): void {
  withSettingOptions(agents.command('set <name>').description('change an agent\'s settings; only the flags given change'))
    .action(async (name: string, options: unknown, command: Command) => {
      const agentName = parseArgument(AgentName, name, 'agent name');
      const patch = toPatch(parseFlags(SettingFlags, options));
      if (Object.keys(patch).length === 0) throw new AppError('invalid_input', 'nothing to change: give at least one setting (see sb agents set --help)');
      await context.run(command, async ({ client, out }) => {
        const agent = await client.agents.update(agentName, patch);
        out.print(agent, () => printAgent(out, agent));
        const checked = [patch.provider, patch.bin, patch.sandbox, patch.cliEnv, patch.allowHosts];
        if (checked.some((value) => value !== undefined)) await warnIfCannotRun(client, out, agent);
      });
    });
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
/** A comma-separated list, repeatable; an empty value gives an empty list (to clear the setting). */
const collectList = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((item) => item.trim()).filter(Boolean)];

function withSettingOptions(command: Command): Command {
  return command
    .option('--provider <provider>', `the agent runtime (${Provider.options.join(', ')})`)
    .option('--system-prompt <text>', 'the agent\'s system prompt')
    .option('--dm-policy <policy>', 'who may DM the agent: open, allowlist (contacts marked allowed) or pairing (owner-approved codes)')
    .option('--group-replies <mode>', 'in groups, answer on mention only or all messages: mention or all')
    .option('--rate-limit <burst/perMinute>', 'per contact: messages at once / refilled per minute, e.g. 30/30')
    .option('--new-contact-rate <burst/perMinute>', 'new contacts the tenant takes through this agent: at once / per minute, e.g. 60/60')
    .option('--memory <mode>', 'tools (recalled and offered as tools), context (recalled only) or off')
    .option('--bin <path>', 'CLI providers: the executable, a name on PATH or a path')
    .option('--model <name>', 'the model the provider is asked for')
    .option('--timeout <seconds>', 'how long one turn may run')
    .option('--reset <mode>', 'claude: on /reset start fresh or fork the old session')
    .option('--owner-profile <profile>', 'the owner\'s own turns: full (the CLI\'s own tools and config) or restricted')
    .option('--owner-arg <arg>', 'CLI providers: an extra argument for the owner\'s own turns (repeatable; --owner-arg=--flag)', collect)
    .option('--owner-env <NAME>', 'an environment variable with the owner\'s credentials, passed to the owner\'s turns only (repeatable)', collect)
    .option('--cli-env <NAME,...>', 'CLI providers: variables with the CLI\'s own credentials and endpoints, the only ones contacts\' turns get (e.g. ANTHROPIC_API_KEY)', collectList)
    .option('--allow-hosts <host,...>', 'CLI providers: hosts a sandboxed turn may reach (host, *.host, host:port); default: the provider\'s API host', collectList)
    .option('--sandbox <on|off>', 'CLI providers: off runs contacts\' turns without the OS sandbox (not recommended; sb doctor and the server warn)')
    .option('--codex-sandbox <mode>', 'codex, the owner\'s turns: read-only, workspace-write or danger-full-access')
    .option('--base-url <url>', 'HTTP providers: the API\'s base URL (OpenAI, Ollama, vLLM, LM Studio, OpenRouter, Anthropic)')
    .option('--api-key-env <NAME>', 'HTTP providers: the environment variable holding the API key')
    .option('--history-chars <n>', 'HTTP providers: how many characters of the recent transcript go with a turn (default 24000)');
}

function toPatch(flags: SettingFlags): AgentPatch {
  const { timeout, ownerArg, ...rest } = flags;
  const patch: Record<string, unknown> = { ...rest, timeoutMs: timeout, ownerArgs: ownerArg };
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as AgentPatch;
}

/** After a change of provider, binary or sandbox: say so at once when the agent cannot run, or runs unsafely. */
async function warnIfCannotRun(client: ApiClient, out: CliOutput, agent: Agent): Promise<void> {
  const check = await client.agents.check(agent.name);
  if (!check.ok) out.warn(`warning: agent ${agent.name} cannot run: ${check.detail}`);
  if (check.warning) out.warn(`warning: agent ${agent.name}: ${check.warning}`);
}

function printAgents(out: CliOutput, agents: Agent[]): void {
  if (agents.length === 0) return out.line('no agents');
  out.table(['name', 'provider', 'dm policy', 'group replies', 'rate limit'], agents.map((agent) => {
    const policy = describePolicy(agent);
    return [agent.name, agent.provider, policy.dmPolicy, policy.groupReplies, policy.rateLimit];
  }));
}

function printAgent(out: CliOutput, agent: Agent): void {
  const policy = describePolicy(agent);
  out.line(`name           ${agent.name}`);
  out.line(`provider       ${agent.provider}`);
  out.line(`dm policy      ${policy.dmPolicy}`);
  out.line(`group replies  ${policy.groupReplies}`);
  out.line(`rate limit     ${policy.rateLimit}`);
  out.line(`new contacts   ${policy.newContactRate}`);
  out.line(`system prompt  ${agent.systemPrompt || '-'}`);
  const settings = Object.entries(agent.config).filter(([key]) => !POLICY_KEYS.includes(key));
  for (const [key, value] of settings) out.line(`${key.padEnd(15)}${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

const POLICY_KEYS = ['dmPolicy', 'groupReplies', 'rateLimit', 'newContactRate'];

// The effective policy: the config's values over the defaults a fresh agent gets.
function describePolicy(agent: Agent): { dmPolicy: string; groupReplies: string; rateLimit: string; newContactRate: string } {
  const policy = AgentPolicy.safeParse(agent.config);
  if (!policy.success) return { dmPolicy: '?', groupReplies: '?', rateLimit: '?', newContactRate: '?' };
  const { dmPolicy, groupReplies, rateLimit, newContactRate } = policy.data;
  const rate = (limit: RateLimit) => `${limit.burst} at once, ${limit.perMinute}/min`;
  return { dmPolicy, groupReplies, rateLimit: rate(rateLimit), newContactRate: rate(newContactRate) };
}
