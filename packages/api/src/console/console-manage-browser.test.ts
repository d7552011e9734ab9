/**
 * The console's management pages in a real headless Chromium (Debian's, driven by playwright-core)
 * against the real server: memories filtered, edited and traced; a contact's access, merge and
 * unmerge; usage per day; a pairing request approved; a failed reply retried; an agent edited; a
 * channel account removed. Each change is checked through the API, not only on the page.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import type { ApiClient, ContactId } from '@switchboard/shared';
import { describeEachServer, type TestServer } from '../../../../test/server-harness';
import { until } from '../../../../test/until';
import { launchChromium, listItems, openPage, screenshot, signInWithToken, untilCount } from './testing/console-chromium';

const SLOW = 60_000;
const HOLDER = 'console-test-gateway';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, SLOW);
afterAll(async () => {
  await browser?.close();
});

function say(client: ApiClient, sender: string, displayName: string, text: string, extra: { agent?: string; channel?: 'telegram' | 'whatsapp'; accountId?: string } = {}) {
  const { channel = 'telegram', ...rest } = extra;
  return client.inbound({ channel, sender: { id: sender, displayName }, messageId: randomUUID(), text, ...rest }, { wait: true });
}

describeEachServer('the console\'s management pages in headless Chromium (real server, Debian chromium)', (server: TestServer) => {
  let ana: ContactId;
  let bo: ContactId;

  beforeAll(async () => {
    const owner = server.client();
    ana = (await say(owner, '5001', 'Ana Memory', 'remember I like tea')).contactId as ContactId;
    await say(owner, '5001', 'Ana Memory', 'hello');
    bo = (await say(owner, '5002', 'Bo Memory', 'remember I like coffee')).contactId as ContactId;
    await owner.memories.add({ content: 'a fact everyone may see', contact: ana, visibility: 'shared' });
  }, 120_000);

  const signedIn = async (hash: string): Promise<Page> => {
    const page = await openPage(browser);
    await signInWithToken(page, server.url, server.ownerToken);
    await page.goto(`${server.url}/console/${hash}`);
    return page;
  };
  const items = listItems;

  it('filters memories by contact and visibility, edits one and shows its history', async () => {
    const page = await signedIn('#/memories');
    await untilCount(items(page, 'Memories'), 3, 'every memory');
    await page.getByLabel('Whose').selectOption({ label: 'Bo Memory' });
    await untilCount(items(page, 'Memories'), 1, 'Bo\'s memory');
    expect(await items(page, 'Memories').textContent()).toContain('I like coffee');
    await page.getByLabel('Whose').selectOption('');
    await page.getByLabel('Visibility').selectOption('shared');
    await untilCount(items(page, 'Memories'), 1, 'the shared memory');
    await page.getByLabel('Visibility').selectOption('');
    await page.getByLabel('Search', { exact: true }).fill('tea');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await untilCount(items(page, 'Memories'), 1, 'the memory about tea');

    const tea = items(page, 'Memories').first();
    await tea.getByRole('button', { name: 'Edit' }).click();
    await tea.getByLabel('Memory text').fill('I like green tea');
    await tea.getByRole('button', { name: 'Save' }).click();
    await page.getByText('I like green tea', { exact: true }).waitFor();
    expect((await server.client().memories.list({ contact: ana, q: 'green' })).map((m) => m.content)).toEqual(['I like green tea']);
    await items(page, 'Memories').first().getByRole('button', { name: 'History' }).click();
    const history = page.getByRole('list', { name: 'History' }).locator(':scope > li');
    await untilCount(history, 2, 'the add and the edit');
    expect(await history.allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('edit'), expect.stringContaining('add')]));
    await screenshot(page, `memories-${server.engine}`);
    await page.context().close();
  }, SLOW);

  it('blocks a contact, merges another into it and unmerges it again', async () => {
    const page = await signedIn(`#/contacts/${bo}`);
    await page.getByRole('heading', { name: 'Bo Memory', level: 1 }).waitFor();
    await page.getByLabel('Who may talk to the agents').selectOption('blocked');
    await page.getByRole('button', { name: 'Save access' }).click();
    await until('Bo blocked', async () => ((await server.client().contacts.get(bo)).access === 'blocked' ? true : undefined));

    await page.getByLabel('Merge this contact into').selectOption({ label: 'Ana Memory' });
    await page.getByRole('button', { name: 'Merge', exact: true }).click();
    await page.getByRole('button', { name: 'Unmerge' }).waitFor();
    expect((await server.client().contacts.get(bo)).mergedInto).toBe(ana);
    await page.getByRole('button', { name: 'Unmerge' }).click();
    await page.getByRole('button', { name: 'Merge', exact: true }).waitFor();
    expect((await server.client().contacts.get(bo)).mergedInto).toBeNull();
    await page.context().close();
  }, SLOW);

  it('shows a contact\'s turns per day', async () => {
    const page = await signedIn('#/usage');
    await page.getByLabel('Whose').selectOption({ label: 'Ana Memory' });
    const rows = page.locator('tbody tr');
    await untilCount(rows, 1, 'one day of Ana\'s turns');
    const cells = await rows.first().locator('td').allTextContents();
    const today = new Date().toISOString().slice(0, 10);
    expect(cells.slice(0, 3)).toEqual([today, 'Ana Memory', '2']);
    await screenshot(page, `usage-${server.engine}`);
    await page.context().close();
  }, SLOW);

  it('approves a pairing request', async () => {
    const owner = server.client();
    await owner.agents.create({ name: 'pairbot', provider: 'echo', dmPolicy: 'pairing' });
    const asked = await say(owner, '5003', 'Cy Pairing', 'let me in', { agent: 'pairbot' });
    expect(asked.status).toBe('blocked');
    const [request] = await owner.pairing.list();
    const page = await signedIn('#/pairing');
    await page.getByRole('button', { name: `Approve ${request?.code}` }).click();
    await page.getByRole('status').filter({ hasText: `Approved pairing code ${request?.code}` }).waitFor();
    await page.getByText('No pending requests.').waitFor();
    expect(await owner.pairing.list()).toEqual([]);
    await page.context().close();
  }, SLOW);

  it('lists a reply that failed for good and queues it again on retry', async () => {
    const owner = server.client();
    const gateway = server.client(server.gatewayToken);
    await owner.channels.add({ channel: 'whatsapp', accountId: 'console-bot' });
    await gateway.channels.takeLease('whatsapp', 'console-bot', { holder: HOLDER, ttlMs: 600_000 });
    await say(owner, '5004', 'Di Outbox', 'undeliverable', { channel: 'whatsapp', accountId: 'console-bot' });
    const [item] = await gateway.outbox.claim({ channel: 'whatsapp', account: 'console-bot', holder: HOLDER });
    await gateway.outbox.fail(item?.id ?? '', { error: 'Forbidden: bot was blocked by the user', permanent: true, holder: HOLDER, channel: 'whatsapp', account: 'console-bot' });
    const page = await signedIn('#/outbox');
    await untilCount(items(page, 'Outbox'), 1, 'the failed reply');
    expect(await items(page, 'Outbox').textContent()).toContain('Forbidden: bot was blocked by the user');
    await screenshot(page, `outbox-${server.engine}`);
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByText('No failed replies.').waitFor();
    expect((await owner.outbox.list({ status: 'pending', channel: 'whatsapp', account: 'console-bot' })).map((i) => i.id)).toEqual([item?.id]);
    await page.context().close();
  }, SLOW);

  it('edits an agent\'s system prompt and removes a channel account', async () => {
    const page = await signedIn('#/agents');
    await page.getByLabel('System prompt').first().waitFor();
    const pairbot = items(page, 'Agents').filter({ hasText: 'pairbot' });
    await pairbot.getByLabel('System prompt').fill('Be brief.');
    await pairbot.getByLabel('Direct messages').selectOption('open');
    await pairbot.getByRole('button', { name: 'Save pairbot' }).click();
    await until('the prompt saved', async () => ((await server.client().agents.get('pairbot')).systemPrompt === 'Be brief.' ? true : undefined));
    expect((await server.client().agents.get('pairbot')).config.dmPolicy).toBe('open');
    await screenshot(page, `agents-${server.engine}`);

    await page.goto(`${server.url}/console/#/channels`);
    await untilCount(items(page, 'Channel accounts'), 1, 'the WhatsApp account');
    await screenshot(page, `channels-${server.engine}`);
    await page.getByRole('button', { name: 'Remove…' }).click();
    await page.getByRole('button', { name: 'Remove whatsapp account for good' }).click();
    await page.getByText('No channel accounts.').waitFor();
    expect(await server.client().channels.list()).toEqual([]);
    await page.context().close();
  }, SLOW);
});
