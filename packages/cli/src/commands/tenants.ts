/**
 * `sb tenants`: the installation's tenants, with the admin token (SB_ADMIN_TOKEN or
 * `$SB_HOME/admin-token`). `add` prints the new owner token alone on its last line (it is shown
 * once) and may link a Supabase Auth user as the owner; `members`, `link` and `unlink` show and
 * change a tenant's Supabase Auth owners later; `rm` erases a tenant and everything in it, and asks
 * for `--yes`.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { AppError, MemberEmail, TenantSlug, type Tenant, type TenantCreated, type TenantMember } from '@switchboard/shared';
import type { CliContext } from '../cli-context';
import { parseArgument, parseFlags } from '../cli-flags';
import { formatTime, type CliOutput } from '../cli-output';

const AddFlags = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  ownerEmail: MemberEmail.optional(),
  ownerUser: z.uuid('a Supabase Auth user id (a uuid)').optional(),
}).refine((flags) => !(flags.ownerEmail && flags.ownerUser), { message: 'give --owner-email or --owner-user, not both' });
const RmFlags = z.object({ yes: z.boolean().optional() });
const LinkFlags = z.object({
  ownerEmail: MemberEmail.optional(),
  ownerUser: z.uuid('a Supabase Auth user id (a uuid)').optional(),
}).refine((flags) => (flags.ownerEmail === undefined) !== (flags.ownerUser === undefined), { message: 'give --owner-email or --owner-user (one of them)' });
const MemberArgument = z.string().refine((value) => z.uuid().safeParse(value).success || MemberEmail.safeParse(value).success,
  'a Supabase Auth user id (a uuid) or an email address');

export function registerTenantsCommand(program: Command, deps: { context: CliContext }): void {
  const { context } = deps;
  const tenants = program.command('tenants').description('the installation\'s tenants (with the admin token)');

  tenants.command('list', { isDefault: true }).description('list the tenants').action(async (_options: unknown, command: Command) => {
    await context.run(command, async ({ client, out }) => {
      const list = await client.tenants.list();
      out.print(list, () => printTenants(out, list));
    }, { as: 'admin' });
  });

  tenants
    .command('add <slug>')
    .description('create a tenant (agent default on echo) and print its owner token, shown this once')
    .option('--name <name>', 'what people call it')
    .option('--owner-email <email>', 'a Supabase Auth user who owns it: linked at this address\'s first confirmed sign-in')
    .option('--owner-user <uuid>', 'a Supabase Auth user who owns it, by user id')
    .action(async (slug: string, options: unknown, command: Command) => {
      const tenantSlug = parseArgument(TenantSlug, slug, 'slug');
      const { name, ownerEmail, ownerUser } = parseFlags(AddFlags, options);
      await context.run(command, async ({ client, out }) => {
        const created = await client.tenants.create({
          slug: tenantSlug, ...(name ? { name } : {}), ...(ownerEmail ? { ownerEmail } : {}), ...(ownerUser ? { ownerUserId: ownerUser } : {}),
        });
        out.print(created, () => {
          out.line(`created tenant ${created.slug} (${created.id})${memberNote(created)}; its owner token, shown this once:`);
          out.line(created.ownerToken);
        });
      }, { as: 'admin' });
    });

  tenants.command('members <slug>').description('list the Supabase Auth users who own a tenant').action(async (slug: string, _options: unknown, command: Command) => {
    const tenantSlug = parseArgument(TenantSlug, slug, 'slug');
    await context.run(command, async ({ client, out }) => {
      const members = await client.tenants.members(tenantSlug);
      out.print(members, () => printMembers(out, members));
    }, { as: 'admin' });
  });

  tenants
    .command('link <slug>')
    .description('link a Supabase Auth user as an owner of an existing tenant')
    .option('--owner-email <email>', 'linked at this address\'s first confirmed sign-in')
    .option('--owner-user <uuid>', 'by Supabase Auth user id')
    .action(async (slug: string, options: unknown, command: Command) => {
      const tenantSlug = parseArgument(TenantSlug, slug, 'slug');
      const { ownerEmail, ownerUser } = parseFlags(LinkFlags, options);
      await context.run(command, async ({ client, out }) => {
        const member = await client.tenants.link(tenantSlug, ownerUser ? { userId: ownerUser } : { email: ownerEmail! });
        out.print(member, () => out.line(`linked ${memberName(member)} as an owner of ${tenantSlug}`));
      }, { as: 'admin' });
    });

  tenants
    .command('unlink <slug> <member>')
    .description('unlink an owner (a Supabase Auth user id or email address); its sign-ins stop working')
    .action(async (slug: string, member: string, _options: unknown, command: Command) => {
      const tenantSlug = parseArgument(TenantSlug, slug, 'slug');
      const who = parseArgument(MemberArgument, member, 'member');
      await context.run(command, async ({ client, out }) => {
        const removed = await client.tenants.unlink(tenantSlug, who);
        out.print(removed, () => out.line(`unlinked ${memberName(removed)} from ${tenantSlug}`));
      }, { as: 'admin' });
    });

  tenants
    .command('rm <slug>')
    .description('erase a tenant: its tokens, agents, channel accounts, contacts, sessions, memories and files')
    .option('--yes', 'really erase it')
    .action(async (slug: string, options: unknown, command: Command) => {
      const tenantSlug = parseArgument(TenantSlug, slug, 'slug');
      if (!parseFlags(RmFlags, options).yes) {
        throw new AppError('invalid_input', `this erases tenant ${tenantSlug} and everything in it, for good: run again with --yes`);
      }
      await context.run(command, async ({ client, out }) => {
        const erased = await client.tenants.remove(tenantSlug);
        out.print(erased, () => {
          const counts = Object.entries(erased.deleted).filter(([, n]) => n > 0).map(([what, n]) => `${n} ${what}`);
          out.line(`erased tenant ${erased.slug}: ${counts.length === 0 ? 'nothing kept' : counts.join(', ')}`);
          for (const file of erased.filesNotDeleted ?? []) out.warn(`could not delete ${file}: delete it by hand`);
        });
      }, { as: 'admin' });
    });
}

function memberNote(created: TenantCreated): string {
  if (!created.member) return '';
  return created.member.userId ? `, owned by Supabase user ${created.member.userId}` : `, owned by ${created.member.email} from its first sign-in`;
}

function printTenants(out: CliOutput, tenants: Tenant[]): void {
  out.table(['slug', 'name', 'id', 'created'], tenants.map((t) => [t.slug, t.name ?? '', t.id, formatTime(new Date(t.createdAt))]));
}

function memberName(member: TenantMember): string {
  if (member.userId && member.email) return `${member.email} (${member.userId})`;
  return member.userId ?? `${member.email ?? ''} (from its first sign-in)`;
}

function printMembers(out: CliOutput, members: TenantMember[]): void {
  out.table(['user', 'email', 'role'], members.map((m) => [m.userId ?? '(first sign-in)', m.email ?? '', m.role]));
}
