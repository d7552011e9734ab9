import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { createApiClient } from '@switchboard/shared';
import { useServerProcesses } from '../../../../test/server-process';
import { until } from '../../../../test/until';
import { fakeCliBin, readFakeCalls } from '../../../../test/fake-cli-calls';

const FAKE_CLAUDE = fakeCliBin('claude');
const SB = join(__dirname, '..', '..', '..', 'cli', 'bin', 'sb.js');
const TOKEN = `owner-${randomUUID()}`;
const run = promisify(execFile);

describe('claude sessions across a server restart (real server process, real sb, fake claude executable on PATH)', () => {
  const servers = useServerProcesses();
  const dir = mkdtempSync(join(tmpdir(), 'sb-claude-restart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(FAKE_CLAUDE, join(bin, 'claude'));
  const env = {
    SB_HOME: join(dir, 'home'), SB_PORT: '0', SB_OWNER_TOKEN: TOKEN, HOME: join(dir, 'owner-home'),
    PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
  };
  const sb = async (url: string, ...args: string[]) =>
    (await run(process.execPath, [SB, '--url', url, ...args], { env: { ...process.env, SB_OWNER_TOKEN: TOKEN } })).stdout;

  it('keeps two contacts\' claude sessions apart and resumes each by its stored id after a restart', async () => {
    const first = await servers.start('before-restart', env);
    expect(await sb(first.url, 'agents', 'set', 'default', '--provider', 'claude')).toContain('provider       claude');
    expect(await sb(first.url, 'doctor')).toMatch(/default .*claude .*yes .*Claude Code, fake/);
    const idOf = (text: string) => /of ([0-9a-f-]{36})\)\n$/.exec(text)?.[1];
    const a = idOf(await sb(first.url, 'chat', '--sender', 'telegram:701', '-m', 'one'));
    const b = idOf(await sb(first.url, 'chat', '--sender', 'telegram:702', '-m', 'one'));
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(a).not.toBe(b);
    await first.kill('SIGTERM');

    const second = await servers.start('after-restart', env);
    expect(await sb(second.url, 'chat', '--sender', 'telegram:701', '-m', 'two')).toBe(`claude heard "two" (turn 2 of ${a})\n`);
    expect(await sb(second.url, 'chat', '--sender', 'telegram:702', '-m', 'two')).toBe(`claude heard "two" (turn 2 of ${b})\n`);
    const calls = readFakeCalls(env.SB_HOME, 'claude');
    expect(calls.filter((call) => call.argv.includes('-r')).map((call) => call.argv[call.argv.indexOf('-r') + 1])).toEqual([a, b]);
    expect(new Set(calls.map((call) => call.cwd)).size).toBe(2);
  }, 180_000);

  it('remembers once when a turn is run again after its server was killed mid-turn', async () => {
    const owner = (server: { url: string }) => createApiClient({ baseUrl: server.url, token: TOKEN });
    const crashEnv = { ...env, SB_HOME: join(dir, 'crash-home') };
    const first = await servers.start('killed-mid-turn', crashEnv);
    await owner(first).agents.update('default', { provider: 'claude' });
    // `hang-once:` makes the fake run the prompt (the memory tool call) and then hang, the first time only.
    const accepted = await owner(first).inbound({
      channel: 'telegram', sender: { id: '703' }, messageId: randomUUID(), text: 'hang-once:remember: the spare key is under the mat',
    });
    expect(accepted.status).toBe('queued');
    // The agent has remembered, then hangs: the turn has not finished when the server dies.
    await until('the memory of the hung agent', async () =>
      ((await owner(first).memories.list({ q: 'spare key' })).length > 0 ? true : undefined), 30_000);
    expect((await owner(first).memories.list({ q: 'spare key' })).map((memory) => memory.content)).toEqual(['the spare key is under the mat']);
    expect((await owner(first).outbox.list({ limit: 100 })).find((item) => item.eventId === accepted.eventId)).toBeUndefined();
    await first.kill('SIGKILL');

    const second = await servers.start('after-the-kill', crashEnv);
    const reply = await until('the reply of the turn run again', async () =>
      (await owner(second).outbox.list({ limit: 100 })).find((item) => item.eventId === accepted.eventId)?.text, 60_000);
    expect(reply).toContain('the spare key is under the mat');
    expect((await owner(second).memories.list({ q: 'spare key' })).map((memory) => memory.content)).toEqual(['the spare key is under the mat']);
  }, 180_000);
});
