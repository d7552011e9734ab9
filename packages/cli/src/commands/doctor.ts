/**
 * `sb doctor`: is the server up, and can each agent's provider run there (the CLI's binary starts in
 * its sandbox, an HTTP provider has its key)? Prints one row per agent, then a warning for each
 * agent that runs less safely than it could (its sandbox is off); exits 1 when any agent cannot run.
 */
import type { Command } from 'commander';
import { AppError, type AgentCheck } from '@switchboard/shared';
import type { CliContext } from '../cli-context';
import type { CliOutput } from '../cli-output';

export function registerDoctorCommand(program: Command, deps: { context: CliContext }): void {
  program.command('doctor').description('check the server and whether each agent\'s provider can run').action(async (_options: unknown, command: Command) => {
    await deps.context.run(command, async ({ client, out }) => {
      await client.health();
      const agents = await client.agents.list();
      const checks = await Promise.all(agents.map((agent) => client.agents.check(agent.name)));
      out.print(checks, () => printChecks(out, checks));
      for (const check of checks) if (check.warning) out.warn(`warning: agent ${check.agent}: ${check.warning}`);
      const failed = checks.filter((check) => !check.ok);
      if (failed.length > 0) {
        throw new AppError('upstream_failed', `${failed.length} of ${checks.length} agents cannot run: ${failed.map((check) => check.agent).join(', ')}`);
      }
    });
  });
}

function printChecks(out: CliOutput, checks: AgentCheck[]): void {
  out.table(['agent', 'provider', 'ok', 'detail'], checks.map((check) => [check.agent, check.provider, check.ok ? 'yes' : 'NO', check.detail]));
}
