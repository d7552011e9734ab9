/** Server configuration, parsed from an environment record (main.ts passes process.env). */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { LogLevel } from './ops/ops-log';

const Token = z.string().regex(/^[\x21-\x7e]{16,512}$/, 'must be 16 to 512 printable characters');

const Env = z.object({
  SB_HOME: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).optional(),
  SB_APP_DATABASE_URL: z.string().min(1).optional(),
  SB_PORT: z.string().trim().regex(/^\d{1,5}$/, 'a port number').transform(Number).pipe(z.number().int().max(65535)).default(8787),
  SB_HOST: z.string().min(1).default('127.0.0.1'),
  SB_OWNER_TOKEN: Token.optional(),
  SB_GATEWAY_TOKEN: Token.optional(),
  SB_ADMIN_TOKEN: Token.optional(),
  SB_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(16),
  SB_LEASE_MS: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
  SB_WAIT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
  SB_METRICS_TOKEN: Token.optional(),
  SB_LOG_LEVEL: LogLevel.default('info'),
  SB_LOG_CONTENT: z.enum(['0', '1']).default('0'),
  SUPABASE_URL: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')).optional(),
  SUPABASE_ANON_KEY: z.string().min(1).optional(),
  SUPABASE_JWT_SECRET: z.string().min(32, 'must be at least 32 characters (the project\'s legacy JWT secret)').optional(),
});

/** Supabase Auth: its users' access tokens are accepted as owner tokens of the tenants they are linked to. */
export interface SupabaseConfig {
  /** The project URL; the issuer is `${url}/auth/v1`, its keys at `${url}/auth/v1/.well-known/jwks.json`. */
  url: string;
  anonKey: string;
  /** A legacy project's HS256 secret; without it only asymmetrically signed tokens are accepted. */
  jwtSecret: string | undefined;
}

export interface Config {
  home: string;
  /** The schema owner: migrates and manages the login role, and is not used for requests. */
  databaseUrl: string | undefined;
  /** Where requests log in (an unprivileged role the operator manages); else a generated login role. */
  appDatabaseUrl: string | undefined;
  port: number;
  host: string;
  ownerToken: string | undefined;
  gatewayToken: string | undefined;
  /** The installation's admin token (manages tenants); else `$SB_HOME/admin-token`. */
  adminToken: string | undefined;
  /** Turns running at once in this process, across all contacts. */
  concurrency: number;
  /** How long a claimed turn stays claimed without a heartbeat before another worker may take it. */
  leaseMs: number;
  /** How long `?wait=true` waits for a turn before answering 504. */
  waitTimeoutMs: number;
  /** A token that may read /metrics and nothing else (besides the tokens that always may). */
  metricsToken: string | undefined;
  logLevel: LogLevel;
  /** Log what people wrote (message, reply and memory text): off unless SB_LOG_CONTENT=1. */
  logContent: boolean;
  /** Set by SUPABASE_URL and SUPABASE_ANON_KEY; without them nothing of Supabase is loaded. */
  supabase: SupabaseConfig | undefined;
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  // An empty variable (`SB_PORT= npm start`) means unset, as in most tools.
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const parsed = Env.refine((env) => env.SB_APP_DATABASE_URL === undefined || env.DATABASE_URL !== undefined, {
    message: 'SB_APP_DATABASE_URL needs DATABASE_URL (the schema owner, which applies the migrations)',
    path: ['SB_APP_DATABASE_URL'],
  }).refine((env) => (env.SUPABASE_URL === undefined) === (env.SUPABASE_ANON_KEY === undefined), {
    message: 'SUPABASE_URL and SUPABASE_ANON_KEY go together',
    path: ['SUPABASE_ANON_KEY'],
  }).refine((env) => env.SUPABASE_JWT_SECRET === undefined || env.SUPABASE_URL !== undefined, {
    message: 'SUPABASE_JWT_SECRET needs SUPABASE_URL',
    path: ['SUPABASE_JWT_SECRET'],
  }).parse(set);
  return {
    home: parsed.SB_HOME ?? join(homedir(), '.switchboard'),
    databaseUrl: parsed.DATABASE_URL,
    appDatabaseUrl: parsed.SB_APP_DATABASE_URL,
    port: parsed.SB_PORT,
    host: parsed.SB_HOST,
    ownerToken: parsed.SB_OWNER_TOKEN,
    gatewayToken: parsed.SB_GATEWAY_TOKEN,
    adminToken: parsed.SB_ADMIN_TOKEN,
    concurrency: parsed.SB_CONCURRENCY,
    leaseMs: parsed.SB_LEASE_MS,
    waitTimeoutMs: parsed.SB_WAIT_TIMEOUT_MS,
    metricsToken: parsed.SB_METRICS_TOKEN,
    logLevel: parsed.SB_LOG_LEVEL,
    logContent: parsed.SB_LOG_CONTENT === '1',
    supabase: parsed.SUPABASE_URL && parsed.SUPABASE_ANON_KEY
      ? { url: parsed.SUPABASE_URL, anonKey: parsed.SUPABASE_ANON_KEY, jwtSecret: parsed.SUPABASE_JWT_SECRET }
      : undefined,
  };
}
