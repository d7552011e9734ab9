/**
 * `sb chat`: talk to an agent as a contact, a group member or the owner. Each message is posted with
 * `?wait=true` and a fresh message id, and the reply printed; `-m` sends one, otherwise each input
 * line is sent until `/quit` or end of input. A message that gets no turn prints `[status: reason]`.
 * A contact's reply is only printed, unless `--account` names the channel account that received the
 * message: then it is also sent to the chat through that account, as a real message's reply is.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { AppError, isAppError, type ApiClient, type InboundMessage, type InboundResult } from '@switchboard/shared';
import type { CliContext } from '../cli-context';
import { formatCliError } from '../cli-errors';
import { parseFlags } from '../cli-flags';
import type { CliOutput } from '../cli-output';
import { buildInboundMessage, ChatFlags, describeChatTarget, resolveChatTarget } from '../chat-target';

export interface ChatDeps {
  context: CliContext;
  /** The lines of an interactive chat. */
  input: NodeJS.ReadableStream;
  /** Where the `> ` prompt goes; none when the input is not a terminal. */
  prompt?: NodeJS.WritableStream | undefined;
}

export function registerChatCommand(program: Command, deps: ChatDeps): void {
  program
    .command('chat')
    .description('talk to an agent as a contact, a group member, or yourself (no --sender/--contact: the owner\'s own chat)')
    .option('--sender <channel:id>', 'speak as this identity, e.g. telegram:123 (a direct chat unless --group)')
    .option('--group <channel:id>', 'post in this group chat as --sender; counts as mentioning the bot unless --no-mention')
    .option('--contact <id>', 'speak as a stored contact (its first identity); a group contact needs --sender')
    .option('--agent <name>', 'the agent to talk to (default: default)')
    .option('--thread <id>', 'a thread within the chat')
    .option('--account <id>', 'as received by this channel account (see sb channels list): the reply is also sent to the chat through it')
    .option('--name <displayName>', 'the sender\'s display name')
    .option('--mention', 'mark the message as addressing the bot (the default in groups)')
    .option('--no-mention', 'send a group message that does not address the bot')
    .option('-m, --message <text>', 'send one message, print the reply and exit')
    .option('--stream', 'print the reply as the agent writes it (providers that stream: claude, openai, anthropic)')
    .action(async (options: unknown, command: Command) => {
      const flags = parseFlags(ChatFlags, options);
      await deps.context.run(command, async ({ client, out, contacts }) => {
        const target = await resolveChatTarget(flags, async (idText) => client.contacts.get(await contacts.resolve(idText)));
        if (flags.account !== undefined && target.sender) await checkAccount(client, target.channel, flags.account);
        const send = (text: string) => sendMessage(client, out, buildInboundMessage(target, flags, text, randomUUID()), flags.stream === true);
        if (flags.message !== undefined) return send(flags.message);
        if (deps.prompt) out.warn(`talking as ${describeChatTarget(target)}; /quit or Ctrl-D to leave`);
        await converse(deps, out, send);
      });
    });
}

/** A reply addressed from an account nobody runs would wait in the outbox for ever: refuse it up front. */
async function checkAccount(client: ApiClient, channel: string, accountId: string): Promise<void> {
  const accounts = await client.channels.list();
  if (accounts.some((account) => account.channel === channel && account.accountId === accountId)) return;
  const known = accounts.filter((account) => account.channel === channel).map((account) => account.accountId);
  throw new AppError('invalid_input', `there is no ${channel} account ${accountId} (${known.length ? `${channel} accounts: ${known.join(', ')}` : `add one with sb channels add ${channel}`})`);
}

async function sendMessage(client: ApiClient, out: CliOutput, message: InboundMessage, stream: boolean): Promise<void> {
  if (!stream || out.isJson) {
    const result = await client.inbound(message, { wait: true });
    out.print(result, () => printAnswer(out, result));
    return;
  }
  let shown = '';
  const result = await client.inboundStream(message, (text) => {
    // Written as it grows; a revision that does not extend what is shown starts a new line.
    out.write(text.startsWith(shown) ? text.slice(shown.length) : `\n${text}`);
    shown = text;
  });
  if (result.status !== 'done') return printAnswer(out, result);
  if (shown === '') return out.line(result.reply.text);
  out.write(result.reply.text === shown ? '\n' : `\n${result.reply.text}\n`);
}

function printAnswer(out: CliOutput, result: InboundResult): void {
  if (result.status === 'done') return out.line(result.reply.text);
  out.line(`[${result.status}${result.reason ? `: ${result.reason}` : ''}]`);
  if (result.reply) out.line(result.reply.text);
}

async function converse(deps: ChatDeps, out: CliOutput, send: (text: string) => Promise<void>): Promise<void> {
  const lines = createInterface({ input: deps.input, output: deps.prompt, terminal: false });
  lines.setPrompt('> ');
  try {
    lines.prompt();
    for await (const line of lines) {
      const text = line.trim();
      if (text === '/quit') break;
      if (text) await sendKeepingOn(out, () => send(text));
      lines.prompt();
    }
  } finally {
    lines.close();
  }
}

// A rejected message (too long, rate limited) ends nothing; a lost server or token does.
async function sendKeepingOn(out: CliOutput, send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (!isAppError(error) || isAppError(error, 'unavailable') || isAppError(error, 'unauthorized')) throw error;
    out.warn(`sb: ${formatCliError(error)}`);
  }
}
