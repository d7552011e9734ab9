/** Agents: the personas contacts talk to, and the policies that decide who gets an answer. */
import { z } from 'zod';
import { AgentId } from './ids';
import { Provider } from './session';

export const AgentName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _');

/** Who may DM the agent: anyone, contacts marked `allowed`, or anyone who pairs with an owner-approved code. */
export const DmPolicy = z.enum(['open', 'allowlist', 'pairing']);
export type DmPolicy = z.infer<typeof DmPolicy>;

/** In groups: answer only when mentioned (or replied to), or every message. */
export const GroupReplies = z.enum(['mention', 'all']);
export type GroupReplies = z.infer<typeof GroupReplies>;

/** A token bucket per contact: `burst` messages at once, refilled at `perMinute`. */
export const RateLimit = z.strictObject({
  burst: z.number().int().min(1).max(100_000),
  perMinute: z.number().min(0).max(1_000_000),
});
export type RateLimit = z.infer<typeof RateLimit>;

/** The policy part of an agent's configuration, with the defaults a fresh agent gets. */
export const AgentPolicy = z.object({
  dmPolicy: DmPolicy.default('open'),
  groupReplies: GroupReplies.default('mention'),
  rateLimit: RateLimit.default({ burst: 30, perMinute: 30 }),
});
export type AgentPolicy = z.infer<typeof AgentPolicy>;

export const Agent = z.object({
  id: AgentId,
  name: AgentName,
  provider: Provider,
  systemPrompt: z.string(),
  config: z.record(z.string(), z.unknown()),
});
export type Agent = z.infer<typeof Agent>;

/** What the owner may change on an agent through `PATCH /v1/agents/:name`. */
export const AgentPatch = z.strictObject({
  provider: Provider.optional(),
  systemPrompt: z.string().max(20_000).optional(),
  dmPolicy: DmPolicy.optional(),
  groupReplies: GroupReplies.optional(),
  rateLimit: RateLimit.optional(),
  /** CLI providers: the executable (a name on PATH or a path). */
  bin: z.string().min(1).max(1000).regex(/^[^\u0000]*$/).optional(),
  /** codex: the sandbox of the owner's own turns (contact turns are always read-only). */
  sandbox: z.enum(['read-only', 'workspace-write', 'danger-full-access']).optional(),
  /** openai: the API's base URL (OpenAI, Ollama, vLLM, LM Studio, OpenRouter), the model, and the env var holding the key. */
  baseUrl: z.url().optional(),
  model: z.string().min(1).max(200).optional(),
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name').optional(),
  /** CLI providers: how long one turn may run. */
  timeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
});
export type AgentPatch = z.infer<typeof AgentPatch>;
