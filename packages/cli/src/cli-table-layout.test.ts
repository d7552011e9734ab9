import { randomUUID } from 'node:crypto';
import type { OutboxItem } from '@switchboard/shared';
import { ContactId, MemoryId } from '@switchboard/shared';
import { createFakeServer, fakeContact, fakeMemory, fakeSession } from './cli-fake-server';
import { fitColumnWidths } from './cli-table-layout';
import { measureWidth, truncateToWidth } from './cli-terminal-width';

const widest = (text: string) => Math.max(...text.split('\n').map(measureWidth));

describe('truncateToWidth', () => {
  it.each([
    ['plain text', 'abcdefghij', 6, 'abcde…'],
    ['wide characters, two columns each', '日本語のテキスト', 7, '日本語…'],
    ['a letter with its combining accent, never apart', 'cafe\u0301 au lait', 5, 'cafe\u0301…'],
    ['an emoji family, never split', 'ab👨‍👩‍👧cd', 4, 'ab…'],
    ['text that fits', 'short', 5, 'short'],
  ])('cuts %s at the width with an ellipsis', (_name, text, width, expected) => {
    expect(truncateToWidth(text, width)).toBe(expected);
    expect(measureWidth(truncateToWidth(text, width))).toBeLessThanOrEqual(width);
  });
});

describe('fitColumnWidths', () => {
  it('keeps natural widths that fit', () => {
    expect(fitColumnWidths([5, 10, 3], 18)).toEqual([5, 10, 3]);
  });

  it('narrows the widest columns to one common width, leaving the narrow ones whole', () => {
    expect(fitColumnWidths([36, 7, 400, 20], 80)).toEqual([26, 7, 26, 20]);
  });

  it('never narrows a column below three columns', () => {
    expect(fitColumnWidths([10, 10, 10], 3)).toEqual([3, 3, 3]);
  });
});

describe('sb tables in a terminal (fake HTTP server responses)', () => {
  const ana = fakeContact({ displayName: 'Ana', identities: [{ channel: 'telegram', externalId: '123' }] });
  const nameless = fakeContact({ identities: [{ channel: 'whatsapp', externalId: '4915550001' }] });
  const long = fakeMemory({ contactId: ana.id, content: `${'a long memory '.repeat(60)}END` });
  const wide = fakeMemory({ content: `${'日本語'.repeat(40)}e\u0301 👨‍👩‍👧 END` });
  const server = createFakeServer({ contacts: [ana, nameless], memories: [long, wide] });

  it.each([40, 60, 80, 120])('prints no line wider than a %i-column terminal, long cells cut with an ellipsis', async (columns) => {
    const result = await server.run(['memories'], { columns });
    expect(result.code).toBe(0);
    expect(widest(result.stdout)).toBeLessThanOrEqual(columns);
    expect(result.stdout).toContain('…');
    expect(result.stdout).not.toContain('END');
    expect(result.stdout.split('\n').filter((line) => line.startsWith('│'))).toHaveLength(3); // one line per row
  });

  it('keeps whole cells with --wide, and when piped', async () => {
    for (const run of [server.run(['memories', '--wide'], { columns: 60 }), server.run(['memories'])]) {
      const { stdout } = await run;
      expect(stdout).toContain(long.content);
      expect(stdout).toContain(long.id);
      expect(widest(stdout)).toBeGreaterThan(60);
    }
  });

  it('prints --json unchanged in a terminal', async () => {
    const result = await server.run(['memories', '--json'], { columns: 40 });
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(JSON.stringify([long, wide])));
  });

  it('wraps a transcript line and a contact shown whole at the terminal width', async () => {
    const session = fakeSession({ contactId: ana.id });
    const text = `${'word '.repeat(100)}END`;
    const transcript = createFakeServer({ contacts: [ana], sessions: [session], messages: [{
      id: randomUUID() as never, sessionId: session.id, contactId: ana.id, senderContactId: ana.id, direction: 'inbound', channel: 'telegram',
      accountKey: 'default', chatId: '123', platformMessageId: null, text, usage: null, createdAt: new Date('2026-05-01T12:00:00Z'),
    }] });
    const result = await transcript.run(['sessions', 'show', session.id], { columns: 50 });
    expect(widest(result.stdout)).toBeLessThanOrEqual(50);
    // Wrapped, not cut: every character is still there.
    expect(result.stdout.split('\n').length).toBeGreaterThan(10);
    expect(result.stdout.replaceAll('\n', '')).toBe(`2026-05-01 12:00:00Z → ${text}`);
  });

  it('prints a hostile group title inert and within the width', async () => {
    const group = fakeContact({ kind: 'group', displayName: `\u001b]0;owned\u0007\u001b[2J\u202eEvil ${'title '.repeat(40)}`, identities: [{ channel: 'telegram', externalId: '-100' }] });
    const result = await createFakeServer({ contacts: [group] }).run(['contacts'], { columns: 70 });
    expect(result.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(result.stdout).toContain('│ Evil tit… │');
    expect(widest(result.stdout)).toBeLessThanOrEqual(70);
  });
});

describe('sb listings name contacts (fake HTTP server responses)', () => {
  const ana = fakeContact({ displayName: 'Ana' });
  const nameless = fakeContact({ identities: [{ channel: 'whatsapp', externalId: '4915550001' }] });
  const item: OutboxItem = {
    id: randomUUID(), eventId: randomUUID(), contactId: nameless.id, channel: 'whatsapp', accountId: 'default', chatId: '4915550001', threadId: null,
    replyTo: null, text: 'hello', status: 'failed', attempts: 5, lastError: 'refused', createdAt: new Date('2026-05-01T12:00:00Z'),
  };
  const server = createFakeServer({
    contacts: [ana, nameless],
    memories: [fakeMemory({ contactId: ana.id }), fakeMemory({ contactId: nameless.id })],
    sessions: [fakeSession({ contactId: ana.id }), fakeSession({ contactId: nameless.id })],
    pairing: [{ code: 'AB12CD34', contactId: nameless.id, createdAt: new Date('2026-05-01T12:00:00Z') }],
    outbox: [item],
  });

  it.each([['memories'], ['sessions'], ['pairing'], ['outbox', '--failed']])('sb %s shows the display name, else channel:id, never the contact uuid', async (...args) => {
    const { stdout } = await server.run(args);
    if (args[0] !== 'pairing' && args[0] !== 'outbox') expect(stdout).toMatch(/│ Ana\s+│/);
    expect(stdout).toMatch(/│ whatsapp:4915550001\s+│/);
    expect(stdout).not.toContain(ana.id);
    expect(stdout).not.toContain(nameless.id);
  });

  it('approves a pairing code naming the contact and its full id', async () => {
    expect((await server.run(['pairing', 'approve', 'AB12CD34'])).stdout).toBe(`approved: contact whatsapp:4915550001 (${nameless.id}) may now talk to the agents\n`);
  });
});

describe('sb ids by a unique prefix (fake HTTP server responses)', () => {
  const ana = fakeContact({ id: ContactId.parse('3f2a1b2c-0000-4000-8000-000000000001'), displayName: 'Ana' });
  const ben = fakeContact({ id: ContactId.parse('3f2a9999-0000-4000-8000-000000000002'), displayName: 'Ben' });
  const cy = fakeContact({ id: ContactId.parse('7c000000-0000-4000-8000-000000000003'), displayName: 'Cy' });
  const tea = fakeMemory({ id: MemoryId.parse('abcdef01-0000-4000-8000-000000000004'), contactId: ana.id });

  it('shows the one contact a prefix starts, with its full id; hyphens and case do not matter', async () => {
    const server = createFakeServer({ contacts: [ana, ben, cy] });
    for (const prefix of ['3f2a1', '3F2A1B2C-0', '3f2a1b2c0']) {
      const result = await server.run(['contacts', 'show', prefix]);
      expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining(`id          ${ana.id}\n`) });
    }
    expect(server.requests.filter((r) => r.path === `/v1/contacts/${ana.id}`)).toHaveLength(3);
  });

  it('lists the candidates when a prefix is ambiguous, and calls nothing else', async () => {
    const server = createFakeServer({ contacts: [ana, ben, cy] });
    const result = await server.run(['contacts', 'forget', '3f2a']);
    expect(result).toEqual({
      code: 1, stdout: '',
      stderr: `sb: contact id 3f2a is ambiguous: it starts 2 contact ids: ${ana.id} (Ana), ${ben.id} (Ben); give more of it\n`,
    });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/contacts']);
  });

  it('says when no id starts with a prefix', async () => {
    const server = createFakeServer({ contacts: [ana, ben, cy] });
    expect(await server.run(['contacts', 'block', 'dead'])).toMatchObject({ code: 1, stderr: 'sb: no contact id starts with dead\n' });
  });

  it('takes a prefix for --contact, --into, a memory and a session, and a whole id without listing', async () => {
    const session = fakeSession({ contactId: cy.id });
    const server = createFakeServer({ contacts: [ana, ben, cy], memories: [tea], sessions: [session] });
    await server.run(['memories', '--contact', '7c']);
    expect(server.requests.find((r) => r.path === '/v1/memories')?.query).toEqual({ contact: cy.id });
    expect((await server.run(['memories', 'rm', 'abcd'])).stdout).toBe(`deleted memory ${tea.id}\n`);
    await server.run(['contacts', 'merge', '7c', '--into', '3f2a1']);
    expect(server.requests.at(-1)).toMatchObject({ path: `/v1/contacts/${cy.id}/merge`, body: { into: ana.id } });
    await server.run(['sessions', 'show', session.id.slice(0, 6)]);
    expect(server.requests.at(-1)?.path).toBe(`/v1/sessions/${session.id}/messages`);
    server.requests.length = 0;
    await server.run(['contacts', 'show', cy.id]);
    expect(server.requests.map((r) => r.path)).toEqual([`/v1/contacts/${cy.id}`]);
  });
});
