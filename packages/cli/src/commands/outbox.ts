/**
 * `sb outbox`: replies waiting for delivery, and the parked ones a channel refused (`--failed`)
 * with their last error; `retry <id>` puts a parked reply back in line.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { Channel, type OutboxItem } from '@switchboard/shared';
import type { CliContext } from '../cli-context';
import { parseArgument, parseFlags } from '../cli-flags';
import { IdText, resolveOutboxId } from '../cli-id-prefix';
import { formatTime, type CliOutput } from '../cli-output';

const ListFlags = z.object({ failed: z.boolean().optional(), sent: z.boolean().optional(), channel: Channel.optional() });

export function registerOutboxCommand(program: Command, deps: { context: CliContext }): void {
  const { context } = deps;
  const outbox = program.command('outbox').description('replies on their way to the channels');

  outbox
    .command('list', { isDefault: true })
    .description('pending replies (default), or --failed (parked after the last attempt) or --sent')
    .option('--failed', 'the replies a channel refused, with their last error')
    .option('--sent', 'delivered replies')
    .option('--channel <channel>', 'only this channel')
    .action(async (options: unknown, command: Command) => {
      const flags = parseFlags(ListFlags, options);
      const status = flags.failed ? 'failed' : flags.sent ? 'sent' : 'pending';
      await context.run(command, async ({ client, out, contacts }) => {
        const items = await client.outbox.list({ status, ...(flags.channel ? { channel: flags.channel } : {}) });
        if (out.isJson) return out.print(items, () => undefined);
        if (items.length === 0) return out.line(`no ${status} replies`);
        printItems(out, items, await contacts.names());
      });
    });

  outbox.command('retry <id>').description('send a parked reply again').action(async (id: string, _options: unknown, command: Command) => {
    const idText = parseArgument(IdText, id, 'outbox id');
    await context.run(command, async ({ client, out }) => {
      const item = await client.outbox.retry(await resolveOutboxId(client, idText));
      out.print(item, () => out.line(`queued again: ${item.channel} ${item.chatId}`));
    });
  });
}

function printItems(out: CliOutput, items: OutboxItem[], contactName: (id: string | null) => string): void {
  out.table(['id', 'contact', 'channel', 'account', 'chat', 'attempts', 'last error', 'created'], items.map((item) => [
    item.id, contactName(item.contactId), item.channel, item.accountId, item.chatId, String(item.attempts), item.lastError ?? '-', formatTime(item.createdAt),
  ]));
}
