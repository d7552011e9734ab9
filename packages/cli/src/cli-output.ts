/**
 * What a command prints: tables and plain lines for people, or with `--json` the full objects for
 * scripts. Results go to stdout, problems to stderr; a command never writes to the process itself.
 * Everything for people is made inert first (no escape sequences or controls); JSON stays exact.
 * In a terminal nothing printed is wider than it: tables fit (`--wide`: whole cells), lines wrap.
 */
import { renderTable } from './cli-table-layout';
import { toTerminalText } from './cli-terminal-text';
import { createLineWrapper } from './cli-terminal-width';

/** Where the CLI writes; main.ts passes process.stdout and stderr, tests collect the text. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** The terminal's width when stdout is one; undefined when piped (whole cells, unwrapped lines). */
  columns?: number | undefined;
  /** The same for stderr. */
  errColumns?: number | undefined;
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

export function createCliOutput(io: CliIo, options: { isJson: boolean; isWide?: boolean }): CliOutput {
  const out = fitting(io.out, io.columns);
  const err = fitting(io.err, io.errColumns);
  const line = (text: string) => out(`${toTerminalText(text)}\n`);
  return {
    isJson: options.isJson,
    print(value, human) {
      if (options.isJson) io.out(`${JSON.stringify(value, null, 2)}\n`);
      else human();
    },
    line,
    write: (text) => out(toTerminalText(text)),
    table(head, rows) {
      const cells = [head, ...rows].map((row) => row.map(toTerminalText));
      // `--wide` asks for whole cells: the terminal may wrap them, we do not.
      if (options.isWide) io.out(`${renderTable(cells[0] ?? [], cells.slice(1), undefined)}\n`);
      else out(`${renderTable(cells[0] ?? [], cells.slice(1), io.columns)}\n`);
    },
    warn: (text) => err(`${toTerminalText(text)}\n`),
  };
}

/** A writer that wraps lines at the terminal's width, or writes as it is when there is none. */
export function fitting(write: (text: string) => void, columns: number | undefined): (text: string) => void {
  if (columns === undefined) return write;
  const wrap = createLineWrapper(columns);
  return (text) => write(wrap(text));
}

/** A timestamp for people: UTC, to the second. */
export function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}
