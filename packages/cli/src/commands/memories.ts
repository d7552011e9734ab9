/**
 * `sb memories`: list or search the tenant's memories (all by default; `--contact` or `--owner`
 * narrows), add one (the owner's unless `--contact`; `--shared` makes it visible to every contact),
 * remove one, and show one's history of edits.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { MemoryContent, type Memory, type MemoryEvent, type Visibility } from '@switchboard/shared';
import type { CliContext } from '../cli-context';
import { parseArgument, parseFlags, resolveWhose, whoseOf, WhoseShape } from '../cli-flags';
import { IdText, resolveMemoryId } from '../cli-id-prefix';
import { formatTime, type CliOutput } from '../cli-output';

const SearchText = z.string().min(1).max(1000);
const SearchFlags = z.object(WhoseShape);
const ListFlags = z.object({ ...WhoseShape, query: SearchText.optional() });
const AddFlags = z.object({ ...WhoseShape, shared: z.boolean().optional() });

export function registerMemoriesCommand(program: Command, deps: { context: CliContext }): void {
  const memories = program.command('memories').description('facts the agents keep about contacts and the owner');
  addListCommand(memories, deps.context);
  addSearchCommand(memories, deps.context);
  addAddCommand(memories, deps.context);
  addRemoveCommand(memories, deps.context);
  addHistoryCommand(memories, deps.context);
}

function listMemories(context: CliContext, command: Command, whose: string | undefined, query: string | undefined): Promise<void> {
  return context.run(command, async ({ client, out, contacts }) => {
    const contact = await resolveWhose(contacts, whose);
    const found = await client.memories.list({ ...(contact === undefined ? {} : { contact }), ...(query === undefined ? {} : { q: query }) });
    if (out.isJson) return out.print(found, () => undefined);
    printMemories(out, found, await contacts.names());
  });
}

function addListCommand(memories: Command, context: CliContext): void {
  memories
    .command('list', { isDefault: true })
    .description('list memories (all of the tenant unless --contact or --owner)')
    .option('--contact <id>', 'only this contact\'s memories')
    .option('--owner', 'only the owner\'s own memories')
    .option('-q, --query <text>', 'only memories matching this text')
    .action(async (options: unknown, command: Command) => {
      const flags = parseFlags(ListFlags, options);
      await listMemories(context, command, whoseOf(flags), flags.query);
    });
}

function addSearchCommand(memories: Command, context: CliContext): void {
  memories
    .command('search <text>')
    .description('memories matching a text')
    .option('--contact <id>', 'only this contact\'s memories')
    .option('--owner', 'only the owner\'s own memories')
    .action(async (text: string, options: unknown, command: Command) => {
      const query = parseArgument(SearchText, text, 'search text');
      await listMemories(context, command, whoseOf(parseFlags(SearchFlags, options)), query);
    });
}

function addAddCommand(memories: Command, context: CliContext): void {
  memories
    .command('add <text>')
    .description('remember a fact (the owner\'s unless --contact)')
    .option('--contact <id>', 'the contact it belongs to')
    .option('--owner', 'the owner\'s own memory (the default)')
    .option('--shared', 'visible to every contact, not only its owner')
    .action(async (text: string, options: unknown, command: Command) => {
      const content = parseArgument(MemoryContent, text, 'memory text');
      const flags = parseFlags(AddFlags, options);
      const visibility: Visibility | undefined = flags.shared ? 'shared' : undefined;
      await context.run(command, async ({ client, out, contacts }) => {
        const whose = await resolveWhose(contacts, whoseOf(flags));
        const contact = whose === undefined || whose === 'owner' ? null : whose;
        const memory = await client.memories.add({ content, contact, ...(visibility === undefined ? {} : { visibility }) });
        out.print(memory, () => out.line(`added memory ${memory.id}`));
      });
    });
}

function addRemoveCommand(memories: Command, context: CliContext): void {
  memories.command('rm <id>').description('delete a memory').action(async (id: string, _options: unknown, command: Command) => {
    const idText = parseArgument(IdText, id, 'memory id');
    await context.run(command, async ({ client, out }) => {
      const memory = await client.memories.delete(await resolveMemoryId(client, idText));
      out.print(memory, () => out.line(`deleted memory ${memory.id}`));
    });
  });
}

function addHistoryCommand(memories: Command, context: CliContext): void {
  memories.command('history <id>').description('a memory\'s edits').action(async (id: string, _options: unknown, command: Command) => {
    const idText = parseArgument(IdText, id, 'memory id');
    await context.run(command, async ({ client, out }) => {
      const events = await client.memories.history(await resolveMemoryId(client, idText));
      out.print(events, () => printHistory(out, events));
    });
  });
}

function printMemories(out: CliOutput, memories: Memory[], contactName: (id: string | null) => string): void {
  if (memories.length === 0) return out.line('no memories');
  out.table(
    ['id', 'contact', 'visibility', 'content', 'updated'],
    memories.map((m) => [m.id, contactName(m.contactId), m.visibility, m.content, formatTime(m.updatedAt)]),
  );
}

function printHistory(out: CliOutput, events: MemoryEvent[]): void {
  if (events.length === 0) return out.line('no history');
  out.table(
    ['time', 'change', 'content', 'visibility'],
    events.map((e) => [formatTime(e.createdAt), e.kind, describeChange(e.oldContent, e.newContent), describeChange(e.oldVisibility, e.newVisibility)]),
  );
}

function describeChange(before: string | null, after: string | null): string {
  if (before === after) return after ?? '';
  if (before === null) return after ?? '';
  return `${before} → ${after ?? '(deleted)'}`;
}
