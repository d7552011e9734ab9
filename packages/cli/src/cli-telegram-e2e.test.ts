import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { directMessage as dm, startFakeBotApi, type FakeBotApi } from '../../gateway/src/channels/telegram/testing/fake-bot-api';
import { cleanEnv, SB, spawnSb, startServe, stop } from '../../../test/sb-process';
import { until } from '../../../test/until';

const run = promisify(execFile);
const TOKEN = '123456789:AAFakeTokenForTheFakeBotApi_0123456789';


describe('sb serve with a Telegram account (spawns `sb serve`; grammY against a local fake Bot API server)', () => {
  let home = '';
  let fake: FakeBotApi;
  let current: ChildProcess | undefined;
  let gatewayProcess: ChildProcess | undefined;
  let currentUrl = '';

  beforeAll(async () => {
    if (!existsSync(SB)) throw new Error(`${SB} is missing: run \`npx tsc -b\` first`);
    home = mkdtempSync(join(tmpdir(), 'sb-telegram-e2e-'));
    fake = await startFakeBotApi();
  });
  afterAll(async () => {
    if (gatewayProcess) await stop(gatewayProcess);
    if (current) await stop(current);
    await fake.close();
    rmSync(home, { recursive: true, force: true });
  }, 30_000);

  it('connects an account added while it runs, answers two users in isolation, and sends nothing twice after a restart', async () => {
    const first = await startServe(home);
    current = first.server;
    const sb = async (...args: string[]) => (await run(process.execPath, [SB, ...args], { env: cleanEnv({ SB_URL: first.url, SB_HOME: home }) })).stdout;
    expect(await sb('channels', 'add', 'telegram', '--token', TOKEN, '--api-root', fake.apiRoot)).toBe('added telegram account 123456789 for agent default\n');
    const replies = (chat: number) => fake.sent.filter((m) => String(m.chat_id) === String(chat)).map((m) => m.text);
    fake.push(dm(11, 'remember my locker code is 4711'));
    fake.push(dm(22, 'recall'));
    await until('both replies', () => (replies(11).length > 0 && replies(22).length > 0 ? true : undefined), 20_000);
    fake.push(dm(11, 'recall'));
    await until('the second reply to user 11', () => replies(11)[1], 20_000);
    expect(replies(11)).toEqual(['remembered: my locker code is 4711', 'my locker code is 4711']);
    expect(replies(22)).toEqual(['no memories']);
    await stop(first.server);

    // At start the gateway connects the configured accounts; what was sent before is not sent again.
    const second = await startServe(home);
    current = second.server;
    currentUrl = second.url;
    const sentBefore = fake.sent.length;
    fake.push(dm(22, 'still there?'));
    await until('the reply after the restart', () => replies(22)[1], 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(fake.sent.length).toBe(sentBefore + 1);
    expect(replies(22)).toEqual(['no memories', 'echo: still there?']);
    expect(fake.maxConcurrentPolls).toBe(1);
  }, 120_000);

  it('sends the reply of `sb chat --sender` through the bot only when --account names it', async () => {
    const env = cleanEnv({ SB_URL: currentUrl, SB_HOME: home });
    const sb = async (...args: string[]) => (await run(process.execPath, [SB, ...args], { env })).stdout;
    const replies = (chat: number) => fake.sent.filter((m) => String(m.chat_id) === String(chat)).map((m) => m.text);

    expect(await sb('chat', '--sender', 'telegram:44', '--account', '123456789', '-m', 'as if from Telegram')).toBe('echo: as if from Telegram\n');
    expect(await until('the reply through the bot', () => replies(44)[0], 20_000)).toBe('echo: as if from Telegram');

    expect(await sb('chat', '--sender', 'telegram:55', '-m', 'only a test')).toBe('echo: only a test\n');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(replies(55)).toEqual([]);
    const waiting: { chatId: string }[] = JSON.parse(await sb('outbox', '--json'));
    expect(waiting.filter((item) => item.chatId === '55')).toEqual([]);
  }, 60_000);

  it('runs the adapters in a separate `sb gateway` against the API of an `sb serve --no-gateway`', async () => {
    if (current) await stop(current);
    const served = await startServe(home, '--no-gateway');
    current = served.server;
    const started = await spawnSb(['gateway', '--api-url', served.url], cleanEnv({ SB_HOME: home }), /^gateway: running against \S+ with (\d+) account/);
    gatewayProcess = started.server;
    expect(started.match[1]).toBe('1');
    const replies = (chat: number) => fake.sent.filter((m) => String(m.chat_id) === String(chat)).map((m) => m.text);
    fake.push(dm(33, 'via the separate gateway'));
    expect(await until('the reply through sb gateway', () => replies(33)[0], 20_000)).toBe('echo: via the separate gateway');
    await stop(gatewayProcess);
    expect(gatewayProcess.exitCode).toBe(0);
  }, 60_000);

  it('says so when `sb gateway` cannot reach its API', async () => {
    const failed = await run(process.execPath, [SB, 'gateway', '--api-url', 'http://127.0.0.1:1'], { env: cleanEnv({ SB_GATEWAY_TOKEN: 'x' }) })
      .then(() => undefined, (error: { code?: number; stderr?: string }) => error);
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^sb: cannot use the API at http:\/\/127\.0\.0\.1:1: /);
  });
});
