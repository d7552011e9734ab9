/** The environment an agent CLI runs with: the server's, minus Switchboard's own secrets. */
const SWITCHBOARD_SECRETS = ['SB_OWNER_TOKEN', 'SB_GATEWAY_TOKEN', 'DATABASE_URL'];

export function agentEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !SWITCHBOARD_SECRETS.includes(name)));
}
