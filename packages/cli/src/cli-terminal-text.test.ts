import { createFakeServer, fakeContact, fakeMemory, FAKE_TOKEN, FAKE_URL, runSb } from './cli-fake-server';
import { toTerminalText } from './cli-terminal-text';

/** A clipboard write (OSC 52), a screen clear, a carriage return, an 8-bit CSI, a bidi override and DEL. */
const HOSTILE = 'a\u001b]52;c;ZXZpbA==\u0007b\u001b[2Jc\rd\u009b31me\u202ef\u007fg';
const INERT = 'abcdefg';
/** Anything a terminal would act on: C0 but newline and tab, DEL, C1, bidi overrides and isolates. */
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('toTerminalText', () => {
  it.each([
    ['an OSC 52 clipboard write ended by BEL', 'x\u001b]52;c;ZXZpbA==\u0007y', 'xy'],
    ['an OSC title ended by ST', 'x\u001b]0;owned\u001b\\y', 'xy'],
    ['an 8-bit OSC ended by an 8-bit ST', 'x\u009d8;;http://evil\u009cy', 'xy'],
    ['a screen clear', '\u001b[2Jx', 'x'],
    ['an 8-bit CSI colour', '\u009b31mred', 'red'],
    ['a charset switch', '\u001b(0x', 'x'],
    ['a DCS string', '\u001bPq#0;2;0;0;0\u001b\\x', 'x'],
    ['the introducer of an unterminated OSC', '\u001b]52;c;abc', '52;c;abc'],
    ['a carriage return that would overwrite the line', 'safe\rEVIL', 'safeEVIL'],
    ['BEL, backspace, vertical tab, form feed and DEL', 'a\u0007\b\u000b\u000c\u007fb', 'ab'],
    ['bidi overrides and isolates', 'a\u202eb\u2066c\u2069\u202c', 'abc'],
    ['every remaining C1 control', `a${String.fromCharCode(...Array.from({ length: 32 }, (_, i) => 0x80 + i))}b`, 'ab'],
  ])('removes %s', (_name, text, expected) => {
    expect(toTerminalText(text)).toBe(expected);
  });

  it('keeps newlines, tabs and ordinary unicode (emoji, right-to-left letters, marks) as they are', () => {
    const text = 'line one\n\tindented 😀 שלום\u200f عالم e\u0301';
    expect(toTerminalText(text)).toBe(text);
  });

  it('leaves nothing active in any mix of escapes and controls', () => {
    const nasty = '\u001b\u001b[0m]0;x\u0007\u009b\u001b]\u009d\u001b[\u001bP\u001b\\\u0000\u001f';
    expect(toTerminalText(nasty)).not.toMatch(ACTIVE);
  });
});

describe('sb prints data from the server inert (fake HTTP server responses)', () => {
  const ana = fakeContact({ displayName: HOSTILE });
  const memory = fakeMemory({ contactId: ana.id, authorContactId: ana.id, content: HOSTILE });

  it('prints a memory table row without escapes', async () => {
    const result = await createFakeServer({ memories: [memory] }).run(['memories']);
    expect(result.stdout).not.toMatch(ACTIVE);
    expect(result.stdout.split('\n').find((line) => line.includes(memory.id))).toContain(INERT);
  });

  it('prints a contact display name inert in the list and in show', async () => {
    const server = createFakeServer({ contacts: [ana] });
    const list = await server.run(['contacts']);
    const show = await server.run(['contacts', 'show', ana.id]);
    expect(`${list.stdout}${show.stdout}`).not.toMatch(ACTIVE);
    expect(show.stdout).toContain(`name        ${INERT}\n`);
  });

  it('prints a chat reply inert, whole and streamed', async () => {
    const server = createFakeServer({ answer: () => ({ eventId: memory.id, contactId: null, sessionId: null, status: 'done', reply: { text: HOSTILE } }) });
    const whole = await server.run(['chat', '-m', 'hi']);
    expect(whole).toEqual({ code: 0, stdout: `${INERT}\n`, stderr: '' });
    // The fake splits the reply in two deltas inside the OSC: neither half may reach the terminal.
    const streamed = await server.run(['chat', '-m', 'hi', '--stream']);
    expect(streamed.stdout).not.toMatch(ACTIVE);
    expect(streamed.code).toBe(0);
  });

  it('prints an error message that quotes the server inert', async () => {
    const hostileError: typeof fetch = async () =>
      new Response(JSON.stringify({ error: { code: 'not_found', message: `Contact ${HOSTILE} not found` } }), { status: 404, headers: { 'content-type': 'application/json' } });
    const result = await runSb(['contacts', 'show', ana.id], { env: { SB_URL: FAKE_URL, SB_OWNER_TOKEN: FAKE_TOKEN }, fetch: hostileError });
    expect(result).toEqual({ code: 1, stdout: '', stderr: `sb: Contact ${INERT} not found\n` });
  });

  it('prints --json byte-exact, the data unchanged', async () => {
    const result = await createFakeServer({ memories: [memory] }).run(['memories', 'list', '--json']);
    expect(result.stdout).toBe(`${JSON.stringify([JSON.parse(JSON.stringify(memory))], null, 2)}\n`);
    expect((JSON.parse(result.stdout) as { content: string }[])[0]?.content).toBe(HOSTILE);
  });

  it('prints a chat reply with --json byte-exact', async () => {
    const answer = { eventId: memory.id, contactId: null, sessionId: null, status: 'done' as const, reply: { text: HOSTILE } };
    const result = await createFakeServer({ answer: () => answer }).run(['chat', '-m', 'hi', '--json']);
    expect(result.stdout).toBe(`${JSON.stringify(answer, null, 2)}\n`);
  });
});
