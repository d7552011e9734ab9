/** Chat commands handled without the agent: `/reset` and `/whoami` (Telegram's `/cmd@bot` form too). */
export type ChatCommand = 'reset' | 'whoami';

const COMMAND = /^\/(reset|whoami)(?:@[\w.-]+)?\s*$/i;

/**
 * A loose SQL pre-filter (a PostgreSQL regular expression, case-insensitive) for what may be a chat
 * command: a turn that matches opens without a session, and `parseChatCommand` decides.
 */
export const CHAT_COMMAND_PREFILTER = '^\\s*/(reset|whoami)';

export function parseChatCommand(text: string): ChatCommand | undefined {
  const name = COMMAND.exec(text.trim())?.[1]?.toLowerCase();
  return name === 'reset' || name === 'whoami' ? name : undefined;
}
