/**
 * `sb outbox`: replies waiting for delivery, and the parked ones a channel refused (`--failed`)
 * with their last error; `retry <id>` puts a parked reply back in line.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { Channel, type OutboxItem } from '@switchboard/shared';
import type { CliContext } from '../cli-context';
import { parseArgument, parseFlags } from '../cli-flags';
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
      await context.run(command, async ({ client, out }) => {
        const items = await client.outbox.list({ status, ...(flags.channel ? { channel: flags.channel } : {}) });
        out.print(items, () => printItems(out, items, status));
      });
    });

  outbox.command('retry <id>').description('send a parked reply again').action(async (id: string, _options: unknown, command: Command) => {
    const itemId = parseArgument(z.uuid(), id, 'outbox id');
    await context.run(command, async ({ client, out }) => {
      const item = await client.outbox.retry(itemId);
      out.print(item, () => out.line(`queued again: ${item.channel} ${item.chatId}`));
    });
  });
}

function printItems(out: CliOutput, items: OutboxItem[], status: string): void {
  if (items.length === 0) return out.line(`no ${status} replies`);
  out.table(['id', 'channel', 'account', 'chat', 'attempts', 'last error', 'created'], items.map((item) => [
    item.id, item.channel, item.accountId, item.chatId, String(item.attempts), item.lastError ?? '-', formatTime(item.createdAt),
  ]));
}
