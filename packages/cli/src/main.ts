#!/usr/bin/env node
/**
 * `sb`, the composition root: the only reader of process.env, argv and the standard streams.
 * Runs the program and sets the exit code; `sb serve` loads the server module and stops on
 * SIGINT or SIGTERM.
 */
import { runCli } from './cli-program';

function untilShutdown(): Promise<string> {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  return new Promise((resolve) => {
    for (const signal of signals) process.once(signal, () => resolve(signal));
  });
}

runCli(process.argv.slice(2), {
  env: process.env,
  io: {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    // Only a terminal has a width to fit; piped output keeps whole lines and cells.
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
    errColumns: process.stderr.isTTY ? process.stderr.columns : undefined,
  },
  input: process.stdin,
  prompt: process.stdin.isTTY ? process.stdout : undefined,
  // Only `sb serve` loads the server: nothing it writes to SB_HOME is readable by others (umask 077).
  loadServer: () => {
    process.umask(0o077);
    return import('@switchboard/api');
  },
  loadGateway: () => import('@switchboard/gateway'),
  untilShutdown,
}).then((code) => {
  process.exitCode = code;
});
