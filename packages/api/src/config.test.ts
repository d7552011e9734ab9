import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from './config';

/** The port parsed, or the error's message: either is asserted on. */
function portOrError(env: Record<string, string>): string {
  try {
    return String(parseConfig(env).port);
  } catch (error) {
    return String(error);
  }
}

describe('parseConfig', () => {
  it('serves on 127.0.0.1:8787 from ~/.switchboard with embedded storage and generated tokens by default', () => {
    expect(parseConfig({})).toEqual({
      home: join(homedir(), '.switchboard'),
      databaseUrl: undefined,
      appDatabaseUrl: undefined,
      port: 8787,
      host: '127.0.0.1',
      ownerToken: undefined,
      gatewayToken: undefined,
      adminToken: undefined,
      concurrency: 16,
      leaseMs: 30_000,
      waitTimeoutMs: 120_000,
      metricsToken: undefined,
      logLevel: 'info',
      logContent: false,
      supabase: undefined,
    });
  });

  it('takes every setting from the environment', () => {
    const env = {
      SB_HOME: '/srv/switchboard',
      DATABASE_URL: 'postgres://sb@db.example:5432/sb',
      SB_APP_DATABASE_URL: 'postgres://sb_request:secret@db.example:5432/sb',
      SB_PORT: '9090',
      SB_HOST: '0.0.0.0',
      SB_OWNER_TOKEN: 'owner-token-0123456789',
      SB_GATEWAY_TOKEN: 'gateway-token-0123456789',
      SB_ADMIN_TOKEN: 'admin-token-0123456789ab',
      SB_CONCURRENCY: '4',
      SB_LEASE_MS: '5000',
      SB_WAIT_TIMEOUT_MS: '1000',
      SB_METRICS_TOKEN: 'metrics-token-0123456789',
      SB_LOG_LEVEL: 'debug',
      SB_LOG_CONTENT: '1',
      SUPABASE_URL: 'https://project-ref.supabase.co/',
      SUPABASE_ANON_KEY: 'anon-key',
      SUPABASE_JWT_SECRET: 'legacy-secret-legacy-secret-legacy-secret',
    };
    expect(parseConfig(env)).toEqual({
      home: '/srv/switchboard',
      databaseUrl: 'postgres://sb@db.example:5432/sb',
      appDatabaseUrl: 'postgres://sb_request:secret@db.example:5432/sb',
      port: 9090,
      host: '0.0.0.0',
      ownerToken: 'owner-token-0123456789',
      gatewayToken: 'gateway-token-0123456789',
      adminToken: 'admin-token-0123456789ab',
      concurrency: 4,
      leaseMs: 5000,
      waitTimeoutMs: 1000,
      metricsToken: 'metrics-token-0123456789',
      logLevel: 'debug',
      logContent: true,
      supabase: { url: 'https://project-ref.supabase.co', anonKey: 'anon-key', jwtSecret: 'legacy-secret-legacy-secret-legacy-secret' },
    });
  });

  it('refuses Supabase settings that do not go together, and a URL that is not http(s)', () => {
    expect(() => parseConfig({ SUPABASE_URL: 'https://project-ref.supabase.co' })).toThrow(/SUPABASE_URL and SUPABASE_ANON_KEY go together/);
    expect(() => parseConfig({ SUPABASE_ANON_KEY: 'anon-key' })).toThrow(/SUPABASE_URL and SUPABASE_ANON_KEY go together/);
    expect(() => parseConfig({ SUPABASE_JWT_SECRET: 's'.repeat(40) })).toThrow(/SUPABASE_JWT_SECRET needs SUPABASE_URL/);
    expect(() => parseConfig({ SUPABASE_URL: 'ftp://project-ref.supabase.co', SUPABASE_ANON_KEY: 'k' })).toThrow(/SUPABASE_URL/);
    expect(() => parseConfig({ SUPABASE_URL: 'https://p.supabase.co', SUPABASE_ANON_KEY: 'k', SUPABASE_JWT_SECRET: 'short' })).toThrow(/at least 32/);
  });

  it('refuses SB_APP_DATABASE_URL without DATABASE_URL, which must apply the migrations', () => {
    expect(() => parseConfig({ SB_APP_DATABASE_URL: 'postgres://sb_request@db.example/sb' })).toThrow(/SB_APP_DATABASE_URL needs DATABASE_URL/);
  });

  it('accepts port 0 as "any free port" and ignores unrelated variables', () => {
    expect(parseConfig({ SB_PORT: '0', PATH: '/usr/bin', HOME: '/root' }).port).toBe(0);
  });

  it.each(['abc', '-1', '65536', '80.5', '8080abc'])('rejects SB_PORT=%j with an error that names SB_PORT', (port) => {
    expect(() => parseConfig({ SB_PORT: port })).toThrow(/SB_PORT/);
  });

  it.each(['', ' '])('treats an empty SB_PORT=%j as unset or as an error, never as port 0 (a random port)', (port) => {
    expect(portOrError({ SB_PORT: port })).toMatch(/^8787$|SB_PORT/);
  });

  it.each([
    ['SB_OWNER_TOKEN', 'short'],
    ['SB_OWNER_TOKEN', 'a'.repeat(15)],
    ['SB_GATEWAY_TOKEN', 'has spaces in the middle'],
    ['SB_GATEWAY_TOKEN', 'x'.repeat(513)],
  ])('rejects %s=%j with an error that names the variable and the rule', (name, token) => {
    expect(() => parseConfig({ [name]: token })).toThrow(new RegExp(`${name}[\\s\\S]*16 to 512 printable characters|16 to 512 printable characters[\\s\\S]*${name}`));
  });

  it('accepts tokens of exactly 16 and 512 printable characters', () => {
    const config = parseConfig({ SB_OWNER_TOKEN: 'a'.repeat(16), SB_GATEWAY_TOKEN: '~'.repeat(512) });
    expect([config.ownerToken, config.gatewayToken]).toEqual(['a'.repeat(16), '~'.repeat(512)]);
  });

  it.each([
    ['SB_CONCURRENCY', '0'],
    ['SB_LEASE_MS', '10'],
    ['SB_WAIT_TIMEOUT_MS', 'soon'],
    ['SB_LOG_LEVEL', 'verbose'],
    ['SB_LOG_CONTENT', 'yes'],
    ['SB_METRICS_TOKEN', 'short'],
  ])('rejects %s=%j with an error that names it', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});
