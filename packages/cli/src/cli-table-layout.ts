/**
 * Tables for people. Piped, or with `--wide`, every cell is whole. In a terminal the table fits its
 * width: each cell is one line, and when the columns' natural widths do not fit, the widest columns
 * are narrowed first to one common width (the narrow ones keep theirs) and their cells end in `…`.
 * A terminal too narrow for even that gets each line cut at its edge. Cells arrive inert.
 */
import Table from 'cli-table3';
import { measureWidth, truncateToWidth } from './cli-terminal-width';

/** What a column never shrinks below (unless it is narrower itself): two characters and the ellipsis. */
const MIN_COLUMN = 3;

/** `width`: the terminal's columns; undefined prints whole cells. */
export function renderTable(head: string[], rows: string[][], width: number | undefined): string {
  if (width === undefined) return renderCells(head, rows);
  const [oneLineHead, ...oneLineRows] = [head, ...rows].map((row) => row.map(toOneLine));
  const natural = (oneLineHead ?? []).map((_, i) => Math.max(...[oneLineHead ?? [], ...oneLineRows].map((row) => measureWidth(row[i] ?? ''))));
  const widths = fitColumnWidths(natural, width - tableFrame(natural.length));
  const cut = (row: string[]) => row.map((cell, i) => truncateToWidth(cell, widths[i] ?? 0));
  const table = renderCells(cut(oneLineHead ?? []), oneLineRows.map(cut), widths);
  return table.split('\n').map((line) => truncateToWidth(line, width)).join('\n');
}

/** Column widths that add up to at most `available`: the widest are capped at one common width. */
export function fitColumnWidths(natural: number[], available: number): number[] {
  const total = natural.reduce((sum, w) => sum + w, 0);
  if (total <= available) return natural;
  const ascending = [...natural].sort((a, b) => a - b);
  let left = available;
  let cap = 0;
  for (const [index, w] of ascending.entries()) {
    const capped = ascending.length - index;
    if (w * capped > left) {
      cap = Math.floor(left / capped);
      break;
    }
    left -= w;
  }
  return natural.map((w) => Math.min(w, Math.max(cap, Math.min(w, MIN_COLUMN))));
}

/** Columns a compact table spends on borders and padding: `│ a │ b │`. */
function tableFrame(columns: number): number {
  return 3 * columns + 1;
}

/** Newlines and tabs in a cell would break the row or its alignment: a space in a fitted table. */
function toOneLine(cell: string): string {
  return cell.replace(/[\t\n]+/g, ' ');
}

/** A plain table without colours, so piped output stays clean. */
function renderCells(head: string[], rows: string[][], widths?: number[]): string {
  const table = new Table({
    head, style: { head: [], border: [], compact: true },
    ...(widths ? { colWidths: widths.map((w) => w + 2), wordWrap: false } : {}),
  });
  table.push(...rows);
  return table.toString();
}
