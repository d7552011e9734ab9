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
  /** New contacts (people and groups) the tenant accepts through this agent: over it, `blocked`, `new_contact_rate`. */
  newContactRate: RateLimit.default({ burst: 60, perMinute: 60 }),
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

/** Flags that pick a provider session by themselves ("the latest one") and would cross contacts. */
export const SESSION_FLAGS = ['-c', '--continue', '--last', '-r', '--resume', '--session-id', '--fork-session', '--session', 'resume'];

/** An environment variable's name. */
export const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

/** Set by Switchboard for every restricted turn, or its own secrets: never a CLI credential variable. */
const RESERVED_ENV = /^(PATH|LANG|TZ|HOME|CLAUDE_CONFIG_DIR|CODEX_HOME|XDG_[A-Z_]+|DATABASE_URL|SB_[A-Z0-9_]*|PG[A-Z0-9_]*|(HTTPS?|ALL|NO)_PROXY)$/i;

/** A variable an agent's CLI may receive on restricted turns: not one Switchboard sets or keeps to itself. */
export const CliEnvName = EnvName.refine((name) => !RESERVED_ENV.test(name), {
  message: 'set by Switchboard or one of its own secrets (PATH, HOME, SB_*, PG*, DATABASE_URL, proxies)',
});

/** A network allowlist entry: `host`, `*.host`, an IP, `[v6]`, each with an optional `:port`. */
export const HostPattern = z.string().max(260)
  .regex(/^(?:(?:\*\.)?[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/, 'a host, *.host or host:port (lowercase)');

/** Memory: recalled into the context and offered as tools (default), recalled only, or neither. */
export const MemoryMode = z.enum(['tools', 'context', 'off']);
export type MemoryMode = z.infer<typeof MemoryMode>;

/** What the owner may change on an agent through `PATCH /v1/agents/:name`. */
export const AgentPatch = z.strictObject({
  provider: Provider.optional(),
  systemPrompt: z.string().max(20_000).optional(),
  dmPolicy: DmPolicy.optional(),
  groupReplies: GroupReplies.optional(),
  rateLimit: RateLimit.optional(),
  newContactRate: RateLimit.optional(),
  memory: MemoryMode.optional(),
  /** CLI providers: the executable (a name on PATH or a path). */
  bin: z.string().min(1).max(1000).regex(/^[^\u0000]*$/).optional(),
  /** The model name the provider is asked for (CLI and HTTP providers). */
  model: z.string().min(1).max(200).optional(),
  /** How long one turn may run. */
  timeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
  /** claude: on /reset, fork the old provider session into the new one instead of starting empty. */
  reset: z.enum(['fresh', 'fork']).optional(),
  /**
   * The owner's own turns: `full` runs the CLI with the owner's own configuration and tools,
   * `restricted` like a contact's turn. Contact turns are always restricted.
   */
  ownerProfile: z.enum(['full', 'restricted']).optional(),
  /** CLI providers: extra arguments for the owner's own turns (never contacts'); no session flags. */
  ownerArgs: z
    .array(z.string().max(1000).regex(/^[^\u0000]*$/))
    .max(50)
    .refine((args) => !args.some((arg) => SESSION_FLAGS.includes(arg.split('=')[0] ?? arg)), {
      message: `session flags (${SESSION_FLAGS.join(', ')}) are chosen by Switchboard`,
    })
    .optional(),
  /** Environment variables (names) with the owner's credentials: passed to the owner's own turns only. */
  ownerEnv: z.array(EnvName).max(100).optional(),
  /**
   * CLI providers: names of the environment variables with the CLI's own credentials and endpoints
   * (e.g. ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL); restricted turns (every contact's) get only these.
   */
  cliEnv: z.array(CliEnvName).max(100).optional(),
  /** CLI providers: the hosts a sandboxed turn may reach (`host`, `*.host`, `host:port`); default: the provider's API host. */
  allowHosts: z.array(HostPattern).max(100).optional(),
  /** CLI providers: `off` runs restricted turns without the OS sandbox (warned about by `sb doctor` and at every start). */
  sandbox: z.enum(['on', 'off']).optional(),
  /** codex: the sandbox of the owner's own turns (contact turns are always read-only). */
  codexSandbox: z.enum(['read-only', 'workspace-write', 'danger-full-access']).optional(),
  /** HTTP providers: the API's base URL (OpenAI, Ollama, vLLM, LM Studio, OpenRouter, Anthropic). */
  baseUrl: z.url().optional(),
  /** HTTP providers: how much of the stored transcript (in characters, most recent first) goes with a turn. */
  historyChars: z.number().int().min(0).max(1_000_000).optional(),
  /** HTTP providers: the environment variable holding the API key. */
  apiKeyEnv: EnvName.optional(),
});
export type AgentPatch = z.infer<typeof AgentPatch>;

/** `POST /v1/agents`: a new agent (provider defaults to echo) with any of the patch's settings. */
export const AgentCreate = AgentPatch.extend({ name: AgentName });
export type AgentCreate = z.infer<typeof AgentCreate>;

/** `GET /v1/agents/:name/check`: whether the agent's provider can run on this server. */
export const AgentCheck = z.object({
  agent: AgentName,
  provider: Provider,
  ok: z.boolean(),
  detail: z.string(),
  /** The agent runs, but less safely than it could: e.g. its contact turns run without the OS sandbox. */
  warning: z.string().optional(),
});
export type AgentCheck = z.infer<typeof AgentCheck>;

export const AgentNameParams = z.object({ name: AgentName });
export const AgentList = z.object({ agents: z.array(Agent) });
export const AgentReply = z.object({ agent: Agent });
