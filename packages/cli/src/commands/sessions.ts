/**
 * `sb sessions`: list sessions (all, one contact's, or the owner's), show a transcript one line per
 * message (`→` to the agent, `←` its reply), and reset: close the open session of a chat so the
 * next message starts a new one. Reset without `--contact` is the owner's own chat.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { AgentName, ThreadKey, type Message, type Session } from '@switchboard/shared';
import type { CliContext } from '../cli-context';
import { parseArgument, parseFlags, resolveWhose, whoseOf, WhoseShape } from '../cli-flags';
import { IdText, resolveSessionId } from '../cli-id-prefix';
import { formatTime, type CliOutput } from '../cli-output';

const ListFlags = z.object(WhoseShape);
const ResetFlags = z.object({ ...WhoseShape, agent: AgentName.optional(), thread: ThreadKey.optional() });

export function registerSessionsCommand(program: Command, deps: { context: CliContext }): void {
  const sessions = program.command('sessions').description('conversations, one per agent, chat and thread');
  addListCommand(sessions, deps.context);
  addShowCommand(sessions, deps.context);
  addResetCommand(sessions, deps.context);
}

function addListCommand(sessions: Command, context: CliContext): void {
  sessions
    .command('list', { isDefault: true })
    .description('list sessions')
    .option('--contact <id>', 'only this contact\'s sessions')
    .option('--owner', 'only the owner\'s own sessions')
    .action(async (options: unknown, command: Command) => {
      const whose = whoseOf(parseFlags(ListFlags, options));
      await context.run(command, async ({ client, out, contacts }) => {
        const contact = await resolveWhose(contacts, whose);
        const list = await client.sessions.list(contact === undefined ? {} : { contact });
        if (out.isJson) return out.print(list, () => undefined);
        const [agents, names] = await Promise.all([client.agents.list(), contacts.names()]);
        const agentNames = new Map(agents.map((agent): [string, string] => [agent.id, agent.name]));
        printSessions(out, list, { agent: (id) => agentNames.get(id) ?? id, contact: names });
      });
    });
}

function addShowCommand(sessions: Command, context: CliContext): void {
  sessions.command('show <id>').description('print a session\'s transcript').action(async (id: string, _options: unknown, command: Command) => {
    const idText = parseArgument(IdText, id, 'session id');
    await context.run(command, async ({ client, out }) => {
      const messages = await client.sessions.messages(await resolveSessionId(client, idText));
      out.print(messages, () => printTranscript(out, messages));
    });
  });
}

function addResetCommand(sessions: Command, context: CliContext): void {
  sessions
    .command('reset')
    .description('close the open session of a chat (default: the owner\'s own chat)')
    .option('--contact <id>', 'the contact whose chat to reset')
    .option('--owner', 'the owner\'s own chat (the default)')
    .option('--agent <name>', 'the agent (default: default)')
    .option('--thread <id>', 'the thread within the chat')
    .action(async (options: unknown, command: Command) => {
      const flags = parseFlags(ResetFlags, options);
      const { agent, thread } = flags;
      await context.run(command, async ({ client, out, contacts }) => {
        const contact = (await resolveWhose(contacts, whoseOf(flags))) ?? 'owner';
        const result = await client.sessions.reset({ contact, ...(agent === undefined ? {} : { agent }), ...(thread === undefined ? {} : { thread }) });
        out.print(result, () => out.line(result.session ? `closed session ${result.session.id}` : 'no open session to reset'));
      });
    });
}

function printSessions(out: CliOutput, sessions: Session[], name: { agent: (id: string) => string; contact: (id: string | null) => string }): void {
  if (sessions.length === 0) return out.line('no sessions');
  out.table(
    ['id', 'contact', 'agent', 'thread', 'provider', 'status', 'created'],
    sessions.map((s) => [s.id, name.contact(s.contactId), name.agent(s.agentId), s.threadKey, s.provider, s.status, formatTime(s.createdAt)]),
  );
}

function printTranscript(out: CliOutput, messages: Message[]): void {
  if (messages.length === 0) return out.line('no messages');
  for (const message of messages) {
    const cost = message.usage ? `  (${message.usage.inputTokens} in / ${message.usage.outputTokens} out tokens)` : '';
    out.line(`${formatTime(message.createdAt)} ${message.direction === 'inbound' ? '→' : '←'} ${message.text}${cost}`);
  }
}
