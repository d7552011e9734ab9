/**
 * `sb channels`: the bot and phone accounts that receive messages, each bound to an agent. `add`
 * takes a Telegram or Discord bot token (the account id is read from it) or creates a WhatsApp
 * account, which then links a phone with `login` (a QR code printed in the terminal). A running
 * `sb serve` or `sb gateway` connects added accounts and drops removed ones within seconds.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { AgentName, AppError, ChatChannel, ExternalId, type ApiClient, type ChannelAccount, type GatewayAccount } from '@switchboard/shared';
import type { CliContext } from '../cli-context';
import { parseArgument, parseFlags } from '../cli-flags';
import { formatTime, type CliOutput } from '../cli-output';

/** The part of `@switchboard/gateway` that `sb channels login` uses. */
export interface WhatsappLogin {
  loginWhatsapp(
    account: Pick<GatewayAccount, 'accountId'>,
    deps: { client: ApiClient; log: (line: string) => void; onQr: (qr: string) => void; relink?: boolean },
  ): Promise<{ me: string; alreadyLinked: boolean }>;
}

const AddFlags = z.object({
  token: z.string().optional(),
  agent: AgentName.optional(),
  account: ExternalId.optional(),
  apiRoot: z.string().optional(),
});

export function registerChannelsCommand(program: Command, deps: { context: CliContext; loadGateway: () => Promise<WhatsappLogin> }): void {
  const { context } = deps;
  const channels = program.command('channels').description('the Telegram, Discord and WhatsApp accounts the agents answer on');

  channels.command('list', { isDefault: true }).description('list channel accounts').action(async (_options: unknown, command: Command) => {
    await context.run(command, async ({ client, out }) => {
      const accounts = await client.channels.list();
      out.print(accounts, () => printAccounts(out, accounts));
    });
  });

  channels
    .command('add <channel>')
    .description('add a telegram or discord bot (--token) or a whatsapp account (then `sb channels login whatsapp`)')
    .option('--token <token>', 'the bot token (Telegram: from @BotFather; Discord: Bot → Reset Token in the developer portal)')
    .option('--agent <name>', 'the agent that answers on this account (default: default)')
    .option('--account <name>', 'whatsapp: a name for the account (default: default)')
    .option('--api-root <url>', 'telegram: a Bot API server other than api.telegram.org')
    .action(async (channelName: string, options: unknown, command: Command) => {
      const channel = parseArgument(ChatChannel, channelName, 'channel');
      const flags = parseFlags(AddFlags, options);
      await context.run(command, async ({ client, out }) => {
        const account = await client.channels.add({
          channel,
          ...(flags.token !== undefined ? { token: flags.token } : {}),
          ...(flags.agent !== undefined ? { agent: flags.agent } : {}),
          ...(flags.account !== undefined ? { accountId: flags.account } : {}),
          ...(flags.apiRoot !== undefined ? { apiRoot: flags.apiRoot } : {}),
        });
        out.print(account, () => {
          out.line(`added ${account.channel} account ${account.accountId} for agent ${account.agent}`);
          if (account.channel === 'whatsapp') out.line(`next: sb channels login whatsapp${account.accountId === 'default' ? '' : ` --account ${account.accountId}`}`);
        });
      });
    });

  channels
    .command('rm <channel> <account>')
    .description('remove a channel account (and its stored session)')
    .action(async (channelName: string, accountName: string, _options: unknown, command: Command) => {
      const channel = parseArgument(ChatChannel, channelName, 'channel');
      const accountId = parseArgument(ExternalId, accountName, 'account');
      await context.run(command, async ({ client, out }) => {
        const result = await client.channels.remove(channel, accountId);
        out.print(result, () => out.line(`removed ${channel} account ${accountId}`));
      });
    });

  channels
    .command('login <channel>')
    .description('link a phone to a whatsapp account: scan the QR code with WhatsApp → Linked devices')
    .option('--account <name>', 'the whatsapp account (default: default)')
    .option('--relink', 'forget the linked phone and link again (stop the gateway using it first)')
    .action(async (channelName: string, options: unknown, command: Command) => {
      const channel = parseArgument(ChatChannel, channelName, 'channel');
      if (channel !== 'whatsapp') throw new AppError('invalid_input', `${channel} needs no login: add it with --token`);
      const { account: accountId = 'default', relink = false } = parseFlags(z.object({ account: ExternalId.optional(), relink: z.boolean().optional() }), options);
      await context.run(command, async ({ client, out }) => {
        // The owner's listing: the account's id is all a login needs (no bot tokens fetched).
        const account = (await client.channels.list()).find((a) => a.channel === 'whatsapp' && a.accountId === accountId);
        if (!account) throw new AppError('not_found', `no whatsapp account ${accountId}: add it with \`sb channels add whatsapp\``);
        const gateway = await deps.loadGateway();
        // Loaded here only, so every other `sb` command starts without it.
        const { default: qrcode } = await import('qrcode-terminal');
        const { me, alreadyLinked } = await gateway.loginWhatsapp(account, {
          client,
          log: out.warn,
          relink,
          onQr: (qr) => {
            out.line('Scan this code with WhatsApp → Settings → Linked devices → Link a device:');
            qrcode.generate(qr, { small: true }, (code) => out.line(code));
          },
        });
        out.line(alreadyLinked
          ? `whatsapp account ${accountId} is already linked as ${me} (--relink links another phone)`
          : `linked: whatsapp account ${accountId} is ${me}`);
      });
    });
}

function printAccounts(out: CliOutput, accounts: ChannelAccount[]): void {
  if (accounts.length === 0) return out.line('no channel accounts (add one with `sb channels add telegram --token …`)');
  out.table(['channel', 'account', 'agent', 'api root', 'added'], accounts.map((a) => [a.channel, a.accountId, a.agent, a.apiRoot ?? '-', formatTime(a.createdAt)]));
}
