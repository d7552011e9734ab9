import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describeEachServer } from '../../../../test/server-harness';
import { fakeCliBin, readFakeCalls } from '../../../../test/fake-cli-calls';

const FAKE_CLAUDE = fakeCliBin('claude');
// The server's HOME (the owner's full turns would keep their claude state there).
const ownerHome = mkdtempSync(join(tmpdir(), 'sb-fake-claude-pipeline-'));
afterAll(() => rmSync(ownerHome, { recursive: true, force: true }));

describeEachServer('claude agent through the pipeline (fake claude executable)', (server) => {
  const say = (sender: string, text: string) =>
    server.client().inbound({ channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text }, { wait: true });
  // Contacts' claude state (and so the fake's record of calls) lives in their CLI homes under SB_HOME.
  const calls = () => readFakeCalls(server.home, 'claude');

  const idOf = (text: string | undefined) => /of ([0-9a-f-]{36})\)$/.exec(text ?? '')?.[1];

  beforeAll(async () => {
    await server.client().agents.update('default', { provider: 'claude', bin: FAKE_CLAUDE });
  });

  it('keeps one provider session per contact, stored and resumed by id, and a new one after /reset', async () => {
    const a1 = await say('501', 'hello from a');
    const b1 = await say('502', 'hello from b');
    const a2 = await say('501', 'again from a');
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

  it('forks the old provider session into the new one on /reset when the agent says so', async () => {
    await server.client().agents.update('default', { reset: 'fork' });
    try {
      const first = await say('503', 'before the fork');
      const oldId = idOf(first.reply?.text);
      await say('503', '/reset');
      const forked = await say('503', 'after the fork');
      const newId = idOf(forked.reply?.text);
      expect(newId).toBeDefined();
      expect(newId).not.toBe(oldId);
      // The fork carries the old conversation: this is the new session's second turn.
      expect(forked.reply?.text).toBe(`claude heard "after the fork" (turn 2 of ${newId})`);
      const forkCall = calls().at(-1);
      expect(forkCall?.argv.slice(0, 5)).toEqual(['-r', oldId, '--fork-session', '--session-id', newId]);
      expect(forkCall?.argv.slice(-3)).toEqual(['-p', '--', 'after the fork']);
      await say('503', 'and on');
      expect(calls().at(-1)?.argv.slice(0, 2)).toEqual(['-r', newId]);
      expect(calls().at(-1)?.argv.slice(-3)).toEqual(['-p', '--', 'and on']);
      const sessions = await server.client().sessions.list({ contact: first.contactId ?? undefined });
      expect(sessions.find((s) => s.status === 'open')?.providerSessionId).toBe(newId);
    } finally {
      await server.client().agents.update('default', { reset: 'fresh' });
    }
  });

  it('starts a new session when the agent changes provider, never handing one provider another\'s id', async () => {
    const first = await say('504', 'on claude');
    const claudeId = idOf(first.reply?.text);
    await server.client().agents.update('default', { provider: 'echo' });
    expect((await say('504', 'on echo')).reply?.text).toBe('echo: on echo');
    await server.client().agents.update('default', { provider: 'claude' });
    const back = await say('504', 'back on claude');
    expect(idOf(back.reply?.text)).not.toBe(claudeId);
    expect(calls().at(-1)?.argv).toContain('--session-id');
    const sessions = await server.client().sessions.list({ contact: first.contactId ?? undefined });
    expect(sessions.filter((s) => s.status === 'open').map((s) => s.provider)).toEqual(['claude']);
    expect(sessions.map((s) => s.provider).sort()).toEqual(['claude', 'claude', 'echo']);
  });

  it('streams the reply with --output-format stream-json --verbose to a caller who watches', async () => {
    const seen: string[] = [];
    const answer = await server.client().inboundStream(
      { channel: 'telegram', sender: { id: '505' }, messageId: randomUUID(), text: 'stream this' }, (text) => seen.push(text),
    );
    const reply = 'reply' in answer ? answer.reply?.text ?? '' : '';
    expect(reply).toMatch(/^claude heard "stream this" \(turn 1 of [0-9a-f-]{36}\)$/);
    expect(seen).toEqual([reply.slice(0, Math.ceil(reply.length / 2)), reply]);
    const call = calls().at(-1);
    expect(call?.argv).toEqual(expect.arrayContaining(['--output-format', 'stream-json', '--verbose']));
    // Nobody watching: the plain JSON result.
    await say('505', 'quietly');
    expect(calls().at(-1)?.argv).toEqual(expect.arrayContaining(['--output-format', 'json']));
  });
}, { HOME: ownerHome });
