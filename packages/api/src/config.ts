/** Server configuration, parsed from an environment record (main.ts passes process.env). */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const Env = z.object({
  SB_HOME: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).optional(),
});

export interface Config {
  home: string;
  databaseUrl: string | undefined;
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = Env.parse(env);
  return { home: parsed.SB_HOME ?? join(homedir(), '.switchboard'), databaseUrl: parsed.DATABASE_URL };
}
