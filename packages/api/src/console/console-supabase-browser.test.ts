/**
 * Signing in to the console with a Supabase Auth account, in a real headless Chromium (Debian's,
 * driven by playwright-core) against the real server configured with a fake Supabase Auth server
 * (which answers the browser's CORS requests like Supabase): a tenant member sees that tenant only,
 * the session survives a reload and ends at sign-out, and a wrong password is refused.
 */
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { describeEachServer, type TestServer } from '../../../../test/server-harness';
import { startFakeSupabaseAuth, type FakeSupabaseAuth } from '../auth/testing/fake-supabase-auth';
import { cspRefusals, isSupabaseJs, launchChromium, listItems, loadedScripts, openPage, screenshot, untilCount } from './testing/console-chromium';

const SLOW = 60_000;

let browser: Browser;
let fake: FakeSupabaseAuth;
const env: Record<string, string> = {};

beforeAll(async () => {
  browser = await launchChromium();
  fake = await startFakeSupabaseAuth();
  Object.assign(env, { SUPABASE_URL: fake.url, SUPABASE_ANON_KEY: fake.anonKey });
}, SLOW);
afterAll(async () => {
  await browser?.close();
  await fake?.close();
});

describeEachServer('console sign-in with Supabase Auth in headless Chromium (real server, fake Supabase Auth)', (server: TestServer) => {
  const say = (token: string, sender: string, displayName: string, text: string) =>
    server.client(token).inbound({ channel: 'telegram', sender: { id: sender, displayName }, messageId: randomUUID(), text }, { wait: true });

  it('signs a tenant member in with email and password through Supabase Auth, into that tenant only', async () => {
    const member = fake.addUser(`cleo-${server.engine}@example.com`, 'cleo-password');
    const tenant = await server.client(server.adminToken).tenants.create({ slug: `member-${randomUUID().slice(0, 8)}`, ownerUserId: member.id });
    await say(tenant.ownerToken, '4004', 'Cleo Customer', 'hi from the member tenant');
    await say(server.ownerToken, '4005', 'Dan Default', 'hi from the default tenant');
    const page = await openPage(browser);
    await page.goto(`${server.url}/console`);
    await page.getByLabel('Email', { exact: true }).fill(member.email);
    await page.getByLabel('Password', { exact: true }).fill('cleo-password');
    await page.getByRole('button', { name: 'Sign in with email' }).click();
    await page.getByRole('link', { name: 'Cleo Customer' }).waitFor();
    await untilCount(listItems(page, 'Contacts'), 1, 'the member tenant\'s one contact');
    expect(await page.getByText('Dan Default').count()).toBe(0);
    expect((await loadedScripts(page)).filter(isSupabaseJs).map((script) => new URL(script.url).pathname)).toEqual([expect.stringMatching(/^\/console\/chunks\//)]);
    await screenshot(page, `supabase-signed-in-${server.engine}`);
    expect(cspRefusals(page)).toEqual([]);
    await page.reload();
    await page.getByRole('link', { name: 'Cleo Customer' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email', { exact: true }).waitFor();
    await page.reload();
    await page.getByLabel('Email', { exact: true }).waitFor();
    expect(await page.getByRole('heading', { name: 'Contacts' }).count()).toBe(0);
    await page.context().close();
  }, SLOW);

  it('answers a wrong Supabase password with the Auth server\'s message', async () => {
    const page = await openPage(browser);
    await page.goto(`${server.url}/console`);
    await page.getByLabel('Email', { exact: true }).fill(`nobody-${server.engine}@example.com`);
    await page.getByLabel('Password', { exact: true }).fill('wrong');
    await page.getByRole('button', { name: 'Sign in with email' }).click();
    await page.getByRole('alert').filter({ hasText: 'Invalid login credentials' }).waitFor();
    await page.context().close();
  }, SLOW);
}, env);
