/** Chat commands handled without the agent: `/reset` and `/whoami` (Telegram's `/cmd@bot` form too). */
export type ChatCommand = 'reset' | 'whoami';

const COMMAND = /^\/(reset|whoami)(?:@[\w.-]+)?\s*$/i;

export function parseChatCommand(text: string): ChatCommand | undefined {
  const name = COMMAND.exec(text.trim())?.[1]?.toLowerCase();
  return name === 'reset' || name === 'whoami' ? name : undefined;
}
