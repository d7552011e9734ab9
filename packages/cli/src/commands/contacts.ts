/**
 * `sb contacts`: list (each named by its display name, else its first identity), show, forget
 * (erase everything kept about a contact, printing the deleted row counts), allow, block or unblock (access `default` follows the agent's DM policy), and merge
 * one contact into another or undo it. Every id may be a unique prefix (`sb contacts show 3f2a`).
 */
import type { Command } from 'commander';
import type { Contact, ContactAccess } from '@switchboard/shared';
import type { CliContext } from '../cli-context';
import { parseArgument } from '../cli-flags';
import { describeContact, IdText } from '../cli-id-prefix';
import { formatTime, type CliOutput } from '../cli-output';

export function registerContactsCommand(program: Command, deps: { context: CliContext }): void {
  const contacts = program.command('contacts').description('the people and groups that talk to the agents');
  addListCommand(contacts, deps.context);
  addShowCommand(contacts, deps.context);
  addForgetCommand(contacts, deps.context);
  addMergeCommands(contacts, deps.context);
  for (const [name, access, description] of ACCESS_COMMANDS) addAccessCommand(contacts, deps.context, { name, access, description });
}

const ACCESS_COMMANDS: [string, ContactAccess, string][] = [
  ['allow', 'allowed', 'let a contact talk to the agents whatever their DM policy'],
  ['block', 'blocked', 'ignore everything a contact sends'],
  ['unblock', 'default', 'return a contact to the agents\' DM policy'],
];

function addListCommand(contacts: Command, context: CliContext): void {
  contacts.command('list', { isDefault: true }).description('list contacts').action(async (_options: unknown, command: Command) => {
    await context.run(command, async ({ client, out }) => {
      const list = await client.contacts.list();
      out.print(list, () => printContacts(out, list));
    });
  });
}

function addShowCommand(contacts: Command, context: CliContext): void {
  contacts.command('show <id>').description('show one contact').action(async (id: string, _options: unknown, command: Command) => {
    const idText = parseArgument(IdText, id, 'contact id');
    await context.run(command, async ({ client, out, contacts }) => {
      const contact = await client.contacts.get(await contacts.resolve(idText));
      out.print(contact, () => printContact(out, contact));
    });
  });
}

function addForgetCommand(contacts: Command, context: CliContext): void {
  contacts
    .command('forget <id>')
    .description('erase a contact: sessions, messages, memories, history, identities and its files under SB_HOME')
    .action(async (id: string, _options: unknown, command: Command) => {
      const idText = parseArgument(IdText, id, 'contact id');
      await context.run(command, async ({ client, out, contacts }) => {
        const result = await client.contacts.forget(await contacts.resolve(idText));
        out.print(result, () => {
          out.line(`forgot contact ${result.contactId}: ${describeCounts(result.deleted)}`);
          for (const file of result.filesNotDeleted ?? []) out.warn(`could not delete ${file}: delete it by hand`);
        });
      });
    });
}

function addMergeCommands(contacts: Command, context: CliContext): void {
  contacts
    .command('merge <id>')
    .description('make a contact\'s identities speak as another contact (same sessions, memories and access); unmerge undoes it')
    .requiredOption('--into <id>', 'the contact to merge into')
    .action(async (id: string, options: { into: string }, command: Command) => {
      const idText = parseArgument(IdText, id, 'contact id');
      const intoText = parseArgument(IdText, options.into, '--into');
      await context.run(command, async ({ client, out, contacts }) => {
        const contact = await client.contacts.merge(await contacts.resolve(idText), await contacts.resolve(intoText));
        out.print(contact, () => out.line(`contact ${contact.id} (${describeIdentities(contact)}) is merged into ${contact.mergedInto}`));
      });
    });
  contacts.command('unmerge <id>').description('undo a merge: the contact speaks as itself again').action(async (id: string, _options: unknown, command: Command) => {
    const idText = parseArgument(IdText, id, 'contact id');
    await context.run(command, async ({ client, out, contacts }) => {
      const contact = await client.contacts.unmerge(await contacts.resolve(idText));
      out.print(contact, () => out.line(`contact ${contact.id} (${describeIdentities(contact)}) speaks as itself again`));
    });
  });
}

function addAccessCommand(contacts: Command, context: CliContext, spec: { name: string; access: ContactAccess; description: string }): void {
  contacts.command(`${spec.name} <id>`).description(spec.description).action(async (id: string, _options: unknown, command: Command) => {
    const idText = parseArgument(IdText, id, 'contact id');
    await context.run(command, async ({ client, out, contacts }) => {
      const contact = await client.contacts.setAccess(await contacts.resolve(idText), spec.access);
      out.print(contact, () => out.line(`contact ${contact.id}: access ${contact.access}`));
    });
  });
}

function printContacts(out: CliOutput, contacts: Contact[]): void {
  if (contacts.length === 0) return out.line('no contacts');
  // The merge column only when some contact is merged: most lists have none.
  const merged = contacts.some((c) => c.mergedInto !== null);
  const names = new Map(contacts.map((c): [string, string] => [c.id, describeContact(c)]));
  out.table(
    ['id', 'kind', 'name', 'access', 'identities', ...(merged ? ['merged into'] : []), 'created'],
    contacts.map((c) => [
      c.id, c.kind, describeContact(c), c.access, describeIdentities(c), ...(merged ? [c.mergedInto === null ? '' : names.get(c.mergedInto) ?? c.mergedInto] : []),
      formatTime(c.createdAt),
    ]),
  );
}

function printContact(out: CliOutput, contact: Contact): void {
  out.line(`id          ${contact.id}`);
  out.line(`kind        ${contact.kind}`);
  out.line(`name        ${contact.displayName ?? '-'}`);
  out.line(`access      ${contact.access}`);
  out.line(`identities  ${describeIdentities(contact) || '-'}`);
  if (contact.mergedInto) out.line(`merged into ${contact.mergedInto}`);
  out.line(`created     ${formatTime(contact.createdAt)}`);
}

function describeIdentities(contact: Contact): string {
  return contact.identities.map((identity) => `${identity.channel}:${identity.externalId}`).join(', ');
}

function describeCounts(deleted: Record<string, number>): string {
  const entries = Object.entries(deleted);
  return entries.length === 0 ? 'nothing kept' : entries.map(([what, count]) => `${count} ${what}`).join(', ');
}
