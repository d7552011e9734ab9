import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { useServerProcesses } from '../../../../test/server-process';

const FAKE_CLAUDE = join(__dirname, 'fixtures', 'fake-claude.js');
const TOKEN = `owner-${randomUUID()}`;

describe('claude sessions across a server restart (real server process, fake claude executable)', () => {
  const servers = useServerProcesses();
  const dir = mkdtempSync(join(tmpdir(), 'sb-claude-restart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = { SB_HOME: join(dir, 'home'), SB_PORT: '0', SB_OWNER_TOKEN: TOKEN, FAKE_CLAUDE_HOME: join(dir, 'claude') };

  it('resumes each contact\'s own claude session by its stored id after a restart', async () => {
    const first = await servers.start('before-restart', env);
    const say = async (sender: string, text: string, server = first) => {
      const answer = await server.client(TOKEN).inbound({ channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text }, { wait: true });
      return answer.reply?.text ?? '';
    };
    await first.client(TOKEN).agents.update('default', { provider: 'claude', bin: FAKE_CLAUDE });
    const idOf = (text: string) => /of ([0-9a-f-]{36})\)$/.exec(text)?.[1];
    const a = idOf(await say('701', 'one'));
    const b = idOf(await say('702', 'one'));
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(a).not.toBe(b);
    await first.kill('SIGTERM');

    const second = await servers.start('after-restart', env);
    expect(await say('701', 'two', second)).toBe(`claude heard "two" (turn 2 of ${a})`);
    expect(await say('702', 'two', second)).toBe(`claude heard "two" (turn 2 of ${b})`);
  }, 180_000);
});
