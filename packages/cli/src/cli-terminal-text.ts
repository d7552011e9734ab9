/**
 * Text from the server made inert before it reaches a terminal: whole escape sequences (CSI, OSC,
 * DCS and the other string sequences, in their 7-bit and 8-bit forms) are removed, then every
 * remaining C0 and C1 control and DEL except newline and tab, and the bidi overrides and isolates
 * that reorder what is shown. Every human-readable line `sb` prints goes through here; `--json` not.
 */

/** OSC, DCS, SOS, PM, APC: everything up to the terminator (BEL or ST) is the sequence. */
const STRING_SEQUENCE = /(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)/g;
/** CSI with its parameters and final byte, 7-bit (`ESC [`) or 8-bit (U+009B). */
const CONTROL_SEQUENCE = /(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]/g;
/** Any other escape: ESC, intermediates, a final byte (charset switches, resets, keypad modes). */
const OTHER_ESCAPE = /\x1b[\x20-\x2f]*[\x30-\x7e]/g;
/** What is left: C0 but tab and newline, DEL, C1, and bidi embeddings, overrides and isolates. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** `text` without anything a terminal would act on instead of showing. */
export function toTerminalText(text: string): string {
  return text.replace(STRING_SEQUENCE, '').replace(CONTROL_SEQUENCE, '').replace(OTHER_ESCAPE, '').replace(CONTROL, '');
}
