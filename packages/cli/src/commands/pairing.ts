/**
 * `sb pairing`: the codes contacts received under the `pairing` DM policy, and approving one, which
 * lets that contact talk to the agents.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import type { PairingRequest } from '@switchboard/shared';
import type { CliContext } from '../cli-context';
import { parseArgument } from '../cli-flags';
import { formatTime, type CliOutput } from '../cli-output';

const PairingCode = z.string().trim().min(1).max(64).regex(/^[\x21-\x7e]+$/, 'must be printable without spaces');

export function registerPairingCommand(program: Command, deps: { context: CliContext }): void {
  const { context } = deps;
  const pairing = program.command('pairing').description('contacts waiting for the owner\'s approval (DM policy pairing)');

  pairing.command('list', { isDefault: true }).description('list pending pairing requests').action(async (_options: unknown, command: Command) => {
    await context.run(command, async ({ client, out, contacts }) => {
      const requests = await client.pairing.list();
      if (out.isJson) return out.print(requests, () => undefined);
      if (requests.length === 0) return out.line('no pending pairing requests');
      printRequests(out, requests, await contacts.names());
    });
  });

  pairing.command('approve <code>').description('approve a pairing code').action(async (code: string, _options: unknown, command: Command) => {
    const pairingCode = parseArgument(PairingCode, code, 'pairing code');
    await context.run(command, async ({ client, out, contacts }) => {
      const result = await client.pairing.approve(pairingCode);
      if (out.isJson) return out.print(result, () => undefined);
      const name = (await contacts.names())(result.contactId);
      out.line(`approved: contact ${name === result.contactId ? name : `${name} (${result.contactId})`} may now talk to the agents`);
    });
  });
}

function printRequests(out: CliOutput, requests: PairingRequest[], contactName: (id: string | null) => string): void {
  out.table(['code', 'contact', 'requested'], requests.map((r) => [r.code, contactName(r.contactId), formatTime(r.createdAt)]));
}
