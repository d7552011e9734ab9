import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describeEachServer } from '../../../../test/server-harness';

const FAKE_CLAUDE = join(__dirname, 'fixtures', 'fake-claude.js');
const fakeHome = mkdtempSync(join(tmpdir(), 'sb-fake-claude-pipeline-'));
afterAll(() => rmSync(fakeHome, { recursive: true, force: true }));

describeEachServer('claude agent through the pipeline (fake claude executable)', (server) => {
  const say = (sender: string, text: string) =>
    server.client().inbound({ channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text }, { wait: true });
  // Both engines' servers share the fake's store; each one's calls run under its own SB_HOME.
  const calls = (): { argv: string[]; cwd: string }[] =>
    readFileSync(join(fakeHome, 'calls.jsonl'), 'utf8').trim().split('\n')
      .map((line) => JSON.parse(line) as { argv: string[]; cwd: string })
      .filter((call) => call.cwd.startsWith(server.home));

  beforeAll(async () => {
    await server.client().agents.update('default', { provider: 'claude', bin: FAKE_CLAUDE });
  });

  it('keeps one provider session per contact, stored and resumed by id, and a new one after /reset', async () => {
    const a1 = await say('501', 'hello from a');
    const b1 = await say('502', 'hello from b');
    const a2 = await say('501', 'again from a');
    const idOf = (text: string | undefined) => /of ([0-9a-f-]{36})\)$/.exec(text ?? '')?.[1];
    const aId = idOf(a1.reply?.text);
    expect(aId).toBeDefined();
    expect(idOf(b1.reply?.text)).not.toBe(aId);
    expect(a2.reply?.text).toBe(`claude heard "again from a" (turn 2 of ${aId})`);

    const sessions = await server.client().sessions.list({ contact: a1.contactId ?? undefined });
    expect(sessions.map((s) => s.providerSessionId)).toEqual([aId]);

    await say('501', '/reset');
    const a3 = await say('501', 'after reset');
    const newId = idOf(a3.reply?.text);
    expect(newId).toBeDefined();
    expect(newId).not.toBe(aId);
    expect(a3.reply?.text).toBe(`claude heard "after reset" (turn 1 of ${newId})`);
    const resumed = calls().filter((c) => c.argv.includes('-r')).map((c) => c.argv[c.argv.indexOf('-r') + 1]);
    expect(resumed).toEqual([aId]);
    expect(new Set(calls().map((c) => c.cwd)).size).toBe(2);
  });
}, { FAKE_CLAUDE_HOME: fakeHome });
