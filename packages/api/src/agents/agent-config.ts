/**
 * The parts of an agent's stored config that every provider reads, with their defaults. The
 * config was validated when it was written (AgentPatch); parsing here only fills in defaults and
 * ignores the provider-specific keys.
 */
import { z } from 'zod';
import { MemoryMode, type Agent } from '@switchboard/shared';

const TurnConfig = z.object({
  memory: MemoryMode.default('tools'),
  reset: z.enum(['fresh', 'fork']).default('fresh'),
  timeoutMs: z.number().int().min(1000).max(3_600_000).default(600_000),
});
export type TurnConfig = z.infer<typeof TurnConfig>;

/** What an agent whose config sets nothing gets; the database reads these too (app.open_turn). */
export const TURN_CONFIG_DEFAULTS: TurnConfig = TurnConfig.parse({});

const CliConfig = TurnConfig.extend({
  bin: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  ownerProfile: z.enum(['full', 'restricted']).default('full'),
  ownerArgs: z.array(z.string()).default([]),
  ownerEnv: z.array(z.string()).default([]),
  /** Variables with the CLI's own credentials and endpoints: the only ones of the server's a restricted turn gets. */
  cliEnv: z.array(z.string()).default([]),
  /** Hosts a sandboxed turn may reach; unset: the provider's own API host. */
  allowHosts: z.array(z.string()).optional(),
  sandbox: z.enum(['on', 'off']).default('on'),
});
export type CliConfig = z.infer<typeof CliConfig> & { bin: string };

export function turnConfigOf(agent: Agent): TurnConfig {
  return TurnConfig.parse(agent.config);
}

/** A CLI provider's config; `bin` defaults to the provider's own command name. */
export function cliConfigOf(agent: Agent, defaultBin: string): CliConfig {
  const config = CliConfig.parse(agent.config);
  return { ...config, bin: config.bin ?? defaultBin };
}
