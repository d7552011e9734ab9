/**
 * At every start: one warning line per CLI agent whose restricted turns (every contact's) run
 * without the OS sandbox because its owner opted out (`sb agents set <name> --sandbox off`).
 */
import type { TenantId } from '@switchboard/shared';
import { ownerScope } from '../db/scope';
import { cliConfigOf } from './agent-config';
import type { AgentService } from './agent-service';

const CLI_PROVIDERS = ['claude', 'codex', 'opencode'];

export async function warnUnsandboxedAgents(agents: AgentService, tenantId: TenantId, log: (line: string) => void): Promise<void> {
  for (const agent of await agents.list(ownerScope(tenantId))) {
    if (!CLI_PROVIDERS.includes(agent.provider) || cliConfigOf(agent, agent.provider).sandbox !== 'off') continue;
    log(`switchboard: warning: agent ${agent.name} runs its contacts' turns without the OS sandbox (sandbox off); `
      + `they can read what the server's user can read and reach every local port. Turn it on: sb agents set ${agent.name} --sandbox on`);
  }
}
