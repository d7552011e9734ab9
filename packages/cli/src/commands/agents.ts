/**
 * `sb agents`: list, show, and set an agent's provider, system prompt and policies (who may DM it,
 * when it answers in groups, its per-contact rate limit). Only the flags given are changed.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { AgentName, AgentPolicy, AppError, DmPolicy, GroupReplies, Provider, type Agent, type AgentPatch } from '@switchboard/shared';
import type { CliContext } from '../cli-context';
import { parseArgument, parseFlags, RateLimitText } from '../cli-flags';
import type { CliOutput } from '../cli-output';

const SetFlags = z.object({
  provider: Provider.optional(),
  dmPolicy: DmPolicy.optional(),
  groupReplies: GroupReplies.optional(),
  rateLimit: RateLimitText.optional(),
  systemPrompt: z.string().max(20_000).optional(),
  bin: z.string().min(1).max(1000).optional(),
});

export function registerAgentsCommand(program: Command, deps: { context: CliContext }): void {
  const agents = program.command('agents').description('the personas contacts talk to');
  addListCommand(agents, deps.context);
  addShowCommand(agents, deps.context);
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

function addSetCommand(agents: Command, context: CliContext): void {
  agents
    .command('set <name>')
    .description('change an agent\'s provider, prompt or policies')
    .option('--provider <provider>', `the agent runtime (${Provider.options.join(', ')})`)
    .option('--dm-policy <policy>', 'who may DM the agent: open, allowlist (contacts marked allowed) or pairing (owner-approved codes)')
    .option('--group-replies <mode>', 'in groups, answer on mention only or all messages: mention or all')
    .option('--rate-limit <burst/perMinute>', 'per contact: messages at once / refilled per minute, e.g. 30/30')
    .option('--system-prompt <text>', 'the agent\'s system prompt')
    .option('--bin <path>', 'CLI providers (claude): the executable, a name on PATH or a path')
    .action(async (name: string, options: unknown, command: Command) => {
      const agentName = parseArgument(AgentName, name, 'agent name');
      const patch = toPatch(parseFlags(SetFlags, options));
      await context.run(command, async ({ client, out }) => {
        const agent = await client.agents.update(agentName, patch);
        out.print(agent, () => printAgent(out, agent));
      });
    });
}

function toPatch(flags: z.infer<typeof SetFlags>): AgentPatch {
  if (Object.values(flags).every((value) => value === undefined)) {
    throw new AppError('invalid_input', 'nothing to change: give --provider, --dm-policy, --group-replies, --rate-limit, --system-prompt or --bin');
  }
  return flags;
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
  out.line(`system prompt  ${agent.systemPrompt || '-'}`);
}

// The effective policy: the config's values over the defaults a fresh agent gets.
function describePolicy(agent: Agent): { dmPolicy: string; groupReplies: string; rateLimit: string } {
  const policy = AgentPolicy.safeParse(agent.config);
  if (!policy.success) return { dmPolicy: '?', groupReplies: '?', rateLimit: '?' };
  const { dmPolicy, groupReplies, rateLimit } = policy.data;
  return { dmPolicy, groupReplies, rateLimit: `${rateLimit.burst} at once, ${rateLimit.perMinute}/min` };
}
