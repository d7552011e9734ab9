import { agentEnv } from './agent-env';

describe('agentEnv', () => {
  it('keeps what an agent CLI needs and drops the owner token, the gateway token and the database URL', () => {
    const env = agentEnv({ PATH: '/usr/bin', HOME: '/home/sb', SB_OWNER_TOKEN: 'o', SB_GATEWAY_TOKEN: 'g', DATABASE_URL: 'postgres://x', SB_HOME: '/h' });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/sb', SB_HOME: '/h' });
  });
});
