/**
 * Two `sb serve` processes on one PostgreSQL with one Telegram bot (spawned `sb serve`; grammY
 * against a local fake Bot API server): only the gateway holding the account's lease polls, so
 * there is never a second `getUpdates` (Telegram answers that with 409) and each message is
 * answered once; when that process stops, the other one takes the bot over. Two processes on one
 * SB_HOME (one lasting holder id) are told apart too: the second one runs with an id of its own.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { directMessage as dm, startFakeBotApi, type FakeBotApi } from '../../gateway/src/channels/telegram/testing/fake-bot-api';
import { availableEngines, createEmptyPostgresDatabase } from '../../../test/engines';
import { cleanEnv, SB, startServeWith, stop } from '../../../test/sb-process';
import { homesSharingDatabase } from '../../../test/server-process';
import { until } from '../../../test/until';

const run = promisify(execFile);
const TOKEN = '987654321:AAFakeTokenForTheScaleOutTest_0123456';


if (availableEngines().includes('postgres')) {
  describe('one Telegram bot, two `sb serve` processes on one PostgreSQL (fake Bot API server)', () => {
    const homes: string[] = [];
    const servers: ChildProcess[] = [];
    let fake: FakeBotApi;
    let dropDatabase: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      if (!existsSync(SB)) throw new Error(`${SB} is missing: run \`npx tsc -b\` first`);
      fake = await startFakeBotApi();
    });
    afterAll(async () => {
      await Promise.all(servers.map((server) => stop(server)));
      await fake.close();
      await dropDatabase?.();
      for (const home of homes) rmSync(home, { recursive: true, force: true });
    }, 30_000);

    it('polls from one process only, answers each message once, and hands the bot over when that process stops', async () => {
      const database = await createEmptyPostgresDatabase();
      dropDatabase = database.drop;
      // Processes sharing a database share its tokens: each start makes its configured tokens the only ones.
      const settings = { DATABASE_URL: database.url, SB_OWNER_TOKEN: randomBytes(24).toString('hex'), SB_GATEWAY_TOKEN: randomBytes(24).toString('hex') };
      const newHome = homesSharingDatabase('sb-scale-telegram-');
      const start = async () => {
        const home = newHome();
        homes.push(home);
        const started = await startServeWith({ ...settings, SB_HOME: home });
        servers.push(started.server);
        return started;
      };
      const first = await start();
      await run(process.execPath, [SB, 'channels', 'add', 'telegram', '--token', TOKEN, '--api-root', fake.apiRoot], { env: cleanEnv({ ...settings, SB_URL: first.url }) });
      await until('the first process to poll', () => (fake.maxConcurrentPolls > 0 ? true : undefined), 20_000);
      await start();

      const replies = (chat: number) => fake.sent.filter((m) => String(m.chat_id) === String(chat)).map((m) => m.text);
      for (const user of [41, 42, 43]) fake.push(dm(user, `hello from ${user}`));
      await until('three replies', () => ([41, 42, 43].every((user) => replies(user).length > 0) ? true : undefined), 20_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect([41, 42, 43].map(replies)).toEqual([['echo: hello from 41'], ['echo: hello from 42'], ['echo: hello from 43']]);
      expect(fake.conflicts).toBe(0);

      await stop(first.server);
      fake.push(dm(44, 'anyone left?'));
      expect(await until('the reply from the second process', () => replies(44)[0], 30_000)).toBe('echo: anyone left?');
      expect(fake.conflicts).toBe(0);
    }, 120_000);

    it('gives a second process on the same SB_HOME a holder of its own: it does not poll while the first one runs', async () => {
      const database = await createEmptyPostgresDatabase();
      const sameHome = mkdtempSync(join(tmpdir(), 'sb-scale-same-home-'));
      homes.push(sameHome);
      const ownFake = await startFakeBotApi();
      try {
        const settings = { SB_HOME: sameHome, DATABASE_URL: database.url, SB_OWNER_TOKEN: randomBytes(24).toString('hex'), SB_GATEWAY_TOKEN: randomBytes(24).toString('hex') };
        const first = await startServeWith(settings);
        servers.push(first.server);
        await run(process.execPath, [SB, 'channels', 'add', 'telegram', '--token', TOKEN, '--api-root', ownFake.apiRoot], { env: cleanEnv({ ...settings, SB_URL: first.url }) });
        await until('the first process to poll', () => (ownFake.maxConcurrentPolls > 0 ? true : undefined), 20_000);
        const second = await startServeWith(settings);
        servers.push(second.server);
        for (const user of [51, 52]) ownFake.push(dm(user, `hello from ${user}`));
        const replies = (chat: number) => ownFake.sent.filter((m) => String(m.chat_id) === String(chat)).map((m) => m.text);
        await until('two replies', () => ([51, 52].every((user) => replies(user).length > 0) ? true : undefined), 20_000);
        // Long enough for the second process to sync its accounts several times.
        await new Promise((resolve) => setTimeout(resolve, 3000));
        expect([51, 52].map(replies)).toEqual([['echo: hello from 51'], ['echo: hello from 52']]);
        expect(ownFake.conflicts).toBe(0);
        expect(ownFake.maxConcurrentPolls).toBe(1);
        await stop(second.server);
        await stop(first.server);
      } finally {
        await ownFake.close();
        await database.drop();
      }
    }, 120_000);
  });
}
