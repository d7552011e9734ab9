import { agentEnv, restrictedEnv } from './agent-env';

describe('agentEnv', () => {
  it('keeps what an agent CLI needs and drops the owner token, the gateway token and the database URL', () => {
    const env = agentEnv({ PATH: '/usr/bin', HOME: '/home/sb', SB_OWNER_TOKEN: 'o', SB_GATEWAY_TOKEN: 'g', DATABASE_URL: 'postgres://x', SB_HOME: '/h' });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/sb', SB_HOME: '/h' });
  });
});

describe('restrictedEnv', () => {
  it('is exactly PATH, LANG, TZ, the homes, the extra variables and the named ones that are set', () => {
    const server = { PATH: '/usr/bin', LANG: 'C.UTF-8', SB_HOME: '/h', PGHOST: 'db', ANTHROPIC_API_KEY: 'k', AWS_SECRET_ACCESS_KEY: 'a' };
    expect(restrictedEnv(server, '/h/contacts/c1', ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL'], { SB_TURN_TOKEN: 't' })).toEqual({
      PATH: '/usr/bin', LANG: 'C.UTF-8', ANTHROPIC_API_KEY: 'k', SB_TURN_TOKEN: 't',
      HOME: '/h/contacts/c1', CLAUDE_CONFIG_DIR: '/h/contacts/c1/.claude', CODEX_HOME: '/h/contacts/c1/.codex',
      XDG_CONFIG_HOME: '/h/contacts/c1/.config', XDG_DATA_HOME: '/h/contacts/c1/.local/share',
      XDG_CACHE_HOME: '/h/contacts/c1/.cache', XDG_STATE_HOME: '/h/contacts/c1/.local/state',
    });
  });

  it('never lets a named variable replace a home or the turn token', () => {
    const env = restrictedEnv({ PATH: '/usr/bin', HOME: '/root', SB_TURN_TOKEN: 'forged' }, '/h/contacts/c1', ['HOME', 'SB_TURN_TOKEN'], { SB_TURN_TOKEN: 't' });
    expect(env.HOME).toBe('/h/contacts/c1');
    expect(env.SB_TURN_TOKEN).toBe('t');
  });
});
