/**
 * What a command prints: tables and plain lines for people, or with `--json` the full objects for
 * scripts. Results go to stdout, problems to stderr; a command never writes to the process itself.
 * Everything for people is made inert first (no escape sequences or controls); JSON stays exact.
 */
import Table from 'cli-table3';
import { toTerminalText } from './cli-terminal-text';

/** Where the CLI writes; main.ts passes process.stdout and stderr, tests collect the text. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export interface CliOutput {
  readonly isJson: boolean;
  /** With `--json` prints `value`; otherwise runs `human`, which prints for people. */
  print(value: unknown, human: () => void): void;
  line(text: string): void;
  /** Text without a line break (a reply as it streams). */
  write(text: string): void;
  table(head: string[], rows: string[][]): void;
  warn(text: string): void;
}

export function createCliOutput(io: CliIo, options: { isJson: boolean }): CliOutput {
  const line = (text: string) => io.out(`${toTerminalText(text)}\n`);
  return {
    isJson: options.isJson,
    print(value, human) {
      if (options.isJson) io.out(`${JSON.stringify(value, null, 2)}\n`);
      else human();
    },
    line,
    write: (text) => io.out(toTerminalText(text)),
    table(head, rows) {
      line(renderTable(head, rows));
    },
    warn: (text) => io.err(`${toTerminalText(text)}\n`),
  };
}

/** A plain table without colours, so piped output stays clean; cells are made inert before they are measured. */
function renderTable(head: string[], rows: string[][]): string {
  const table = new Table({ head: head.map(toTerminalText), style: { head: [], border: [], compact: true } });
  table.push(...rows.map((row) => row.map(toTerminalText)));
  return table.toString();
}

/** A timestamp for people: UTC, to the second. */
export function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}
