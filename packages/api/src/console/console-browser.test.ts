/**
 * The owner's console in a real headless Chromium (Debian's, driven by playwright-core) against the
 * real server. A person signs in with the owner token, sees the tenant's contacts, opens a
 * transcript a page at a time, watches new messages arrive, erases a contact; another tenant's owner
 * sees none of it; strangers' text stays text; every page works by keyboard and at 360 px.
 * Screenshots of each page land in test-results/console/.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import type { ApiClient, Contact, ContactId, SessionId } from '@switchboard/shared';
import { describeEachServer, type TestServer } from '../../../../test/server-harness';
import { until } from '../../../../test/until';
import { DESKTOP, NARROW, cspRefusals, isSupabaseJs, launchChromium, listItems, loadedScripts, openPage, pageScrollWidth, screenshot, signInWithToken, untilCount } from './testing/console-chromium';

const HOSTILE_NAME = '<img src=x onerror="window.__pwned=1">';
const HOSTILE_TEXT = `javascript:window.__pwned=2 <script>window.__pwned=3</script> \u202Eevil\u202C ${'x'.repeat(240)}`;
/** The console's transcript page size: Ana's 26 turns make 52 messages, two pages. */
const PAGE_SIZE = 50;
const SLOW = 60_000;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, SLOW);
afterAll(async () => {
  await browser?.close();
});

function say(client: ApiClient, sender: string, displayName: string, text: string) {
  return client.inbound({ channel: 'telegram', sender: { id: sender, displayName }, messageId: randomUUID(), text }, { wait: true });
}

/** Page-side expressions are strings: this file is type-checked without the DOM's types. */
async function isPwned(page: Page): Promise<boolean> {
  return (await page.evaluate('window.__pwned !== undefined')) === true;
}

async function storedItems(page: Page): Promise<number> {
  return Number(await page.evaluate('sessionStorage.length'));
}

interface Focused { id: string; text: string; tag: string; outline: string }

async function focused(page: Page): Promise<Focused> {
  return (await page.evaluate(`(() => {
    const element = document.activeElement;
    return { id: element?.id ?? '', text: element?.textContent?.trim() ?? '', tag: element?.tagName.toLowerCase() ?? '',
      outline: element ? getComputedStyle(element).outlineStyle : 'none' };
  })()`)) as Focused;
}

/** Resolves once the page's live feed is open: the server answers its headers after it subscribed. */
function liveFeedOpened(page: Page): Promise<unknown> {
  return page.waitForResponse((response) => response.url().endsWith('/v1/events') && response.status() === 200, { timeout: 15_000 });
}

async function tabTo(page: Page, matches: (element: Focused) => boolean, what: string): Promise<void> {
  for (let presses = 0; presses < 40; presses += 1) {
    await page.keyboard.press('Tab');
    if (matches(await focused(page))) return;
  }
  throw new Error(`Tab never reached ${what}`);
}

describeEachServer('the console in headless Chromium (real server, Debian chromium)', (server: TestServer) => {
  let ana: Contact;
  let hostile: Contact;
  let anaSession: SessionId;

  beforeAll(async () => {
    const owner = server.client();
    const first = await say(owner, '1001', 'Ana Lima', 'hello 0');
    for (let i = 1; i < PAGE_SIZE / 2 + 1; i += 1) await say(owner, '1001', 'Ana Lima', `hello ${i}`);
    const second = await say(owner, '2002', HOSTILE_NAME, HOSTILE_TEXT);
    await say(owner, '2002', HOSTILE_NAME, `remember ${HOSTILE_TEXT}`);
    ana = await owner.contacts.get(first.contactId as ContactId);
    hostile = await owner.contacts.get(second.contactId as ContactId);
    anaSession = ('sessionId' in first ? first.sessionId : undefined) as SessionId;
  }, 120_000);

  const open = (viewport?: { width: number; height: number }) => openPage(browser, viewport);
  const signedIn = async (token = server.ownerToken, viewport?: { width: number; height: number }) => {
    const page = await open(viewport);
    await signInWithToken(page, server.url, token);
    return page;
  };
  const contactList = (page: Page) => listItems(page, 'Contacts');
  const transcript = (page: Page) => listItems(page, 'Messages');

  it('signs in with the owner token and lists the two contacts by name', async () => {
    const page = await signedIn();
    await untilCount(contactList(page), 2, 'two contacts');
    await page.getByRole('link', { name: 'Ana Lima' }).waitFor();
    await page.getByRole('link', { name: HOSTILE_NAME, exact: true }).waitFor();
    expect(await storedItems(page)).toBe(1);
    // Without a Supabase project the console never fetches supabase-js (its own chunk).
    expect((await loadedScripts(page)).filter(isSupabaseJs)).toEqual([]);
    await screenshot(page, `contacts-${server.engine}`);
    expect(cspRefusals(page)).toEqual([]);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Owner token', { exact: true }).waitFor();
    expect(await storedItems(page)).toBe(0);
    await page.context().close();
  }, SLOW);

  it('refuses a wrong token with the server\'s message and stays on the sign-in page', async () => {
    const page = await open();
    await page.goto(`${server.url}/console`);
    await page.getByLabel('Owner token', { exact: true }).fill('not-a-token-of-this-server');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Sign-in failed: /);
    expect(await page.getByRole('heading', { name: 'Contacts' }).count()).toBe(0);
    await screenshot(page, `sign-in-refused-${server.engine}`);
    await page.context().close();
  }, SLOW);

  it('sends a signed-in console whose token stops working back to sign-in, with the server\'s message', async () => {
    const page = await signedIn();
    await page.evaluate(`sessionStorage.setItem(sessionStorage.key(0), 'a-token-this-server-never-issued')`);
    await page.reload();
    await page.getByRole('alert').filter({ hasText: /^Signed out: / }).waitFor();
    await page.getByLabel('Owner token', { exact: true }).waitFor();
    expect(await storedItems(page)).toBe(0);
    await page.context().close();
  }, SLOW);

  it('finds a contact by name or by identity', async () => {
    const page = await signedIn();
    await untilCount(contactList(page), 2, 'two contacts');
    await page.getByLabel('Search by name or identity').fill('telegram:2002');
    await untilCount(contactList(page), 1, 'one contact by identity');
    expect(await contactList(page).textContent()).toContain(HOSTILE_NAME);
    await page.getByLabel('Search by name or identity').fill('ana');
    await untilCount(contactList(page), 1, 'one contact by name');
    expect(await contactList(page).textContent()).toContain('Ana Lima');
    await page.context().close();
  }, SLOW);

  it('shows strangers\' markup, script and bidi text as literal text that runs nothing', async () => {
    const page = await signedIn();
    await page.goto(`${server.url}/console/#/contacts/${hostile.id}`);
    await page.getByRole('heading', { name: HOSTILE_NAME, level: 1 }).waitFor();
    await page.getByRole('link', { name: /^Session of / }).first().click();
    await page.getByText(HOSTILE_TEXT, { exact: true }).first().waitFor();
    await page.goto(`${server.url}/console/#/memories`);
    await page.getByText(HOSTILE_TEXT, { exact: true }).first().waitFor();
    expect(await page.locator('main img, main script, a[href^="javascript:"]').count()).toBe(0);
    expect(await isPwned(page)).toBe(false);
    await page.context().close();
  }, SLOW);

  it('opens a transcript a page at a time: the newest page, then the older one on request', async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Ana Lima' }).click();
    await page.getByRole('heading', { name: 'Ana Lima', level: 1 }).waitFor();
    await screenshot(page, `contact-${server.engine}`);
    await page.getByRole('link', { name: /^Session of / }).first().click();
    await untilCount(transcript(page), PAGE_SIZE, 'the newest page of the transcript');
    expect(await transcript(page).last().textContent()).toContain('echo: hello 25');
    expect(page.url()).toContain(anaSession);
    await page.getByRole('button', { name: 'Load older messages' }).focus();
    await page.keyboard.press('Enter');
    await untilCount(transcript(page), 52, 'the whole transcript');
    expect(await page.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe('Messages');
    expect(await transcript(page).first().textContent()).toContain('hello 0');
    expect(await page.getByRole('button', { name: 'Load older messages' }).count()).toBe(0);
    await screenshot(page, `transcript-${server.engine}`);
    await page.context().close();
  }, SLOW);

  it('shows a new message of the open transcript as it is stored, without a reload', async () => {
    const page = await open();
    const feedOpen = liveFeedOpened(page);
    await signInWithToken(page, server.url, server.ownerToken, `#/sessions/${anaSession}`);
    await untilCount(transcript(page), PAGE_SIZE, 'the newest page of the transcript');
    await feedOpen;
    await say(server.client(), '1001', 'Ana Lima', 'are you there?');
    await page.getByText('echo: are you there?', { exact: true }).waitFor({ timeout: 15_000 });
    await untilCount(transcript(page), PAGE_SIZE + 2, 'both new messages, once each');
    await page.context().close();
  }, SLOW);

  it('follows the live feed again after its connection fails', async () => {
    const page = await open();
    let refused = 0;
    let passed = 0;
    await page.route('**/v1/events', async (route) => {
      if (refused < 2) {
        refused += 1;
        return route.abort('connectionreset');
      }
      passed += 1;
      return route.continue();
    });
    const feedOpen = liveFeedOpened(page);
    await signInWithToken(page, server.url, server.ownerToken, `#/sessions/${anaSession}`);
    await untilCount(transcript(page), PAGE_SIZE, 'the newest page of the transcript');
    // Refused at once, again after 1 s, then let through after 2 s more.
    await feedOpen;
    expect([refused, passed]).toEqual([2, 1]);
    await say(server.client(), '1001', 'Ana Lima', 'still there?');
    await page.getByText('echo: still there?', { exact: true }).waitFor({ timeout: 15_000 });
    await page.context().close();
  }, SLOW);

  it('reaches sign-in and a contact by keyboard alone, with a visible focus ring', async () => {
    const page = await open();
    await page.goto(`${server.url}/console`);
    await tabTo(page, (el) => el.id === 'owner-token', 'the token field');
    await page.keyboard.type(server.ownerToken);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Contacts', level: 1 }).waitFor();
    await untilCount(contactList(page), 2, 'two contacts');
    await tabTo(page, (el) => el.tag === 'a' && el.text === 'Ana Lima', 'Ana\'s link');
    expect((await focused(page)).outline).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Ana Lima', level: 1 }).waitFor();
    await page.context().close();
  }, SLOW);

  it('reads at 360 px without sideways scrolling, on every page', async () => {
    const page = await signedIn(server.ownerToken, NARROW);
    const pages: [string, string][] = [
      ['contacts', '#/contacts'], ['contact', `#/contacts/${hostile.id}`], ['owner', '#/owner'], ['memories', '#/memories'],
      ['pairing', '#/pairing'], ['outbox', '#/outbox'], ['agents', '#/agents'], ['channels', '#/channels'], ['usage', '#/usage'],
    ];
    for (const [name, hash] of pages) {
      await page.goto(`${server.url}/console/${hash}`);
      await page.locator('h1').waitFor();
      await until(`${name} loaded`, async () => ((await page.getByText('Loading…').count()) === 0 ? true : undefined));
      expect([name, await page.getByRole('alert').count()]).toEqual([name, 0]);
      expect([name, await pageScrollWidth(page)]).toEqual([name, NARROW.width]);
      await screenshot(page, `${name}-360-${server.engine}`);
      await page.setViewportSize(DESKTOP);
      await screenshot(page, `${name}-${server.engine}`);
      await page.setViewportSize(NARROW);
    }
    const sessions = await server.client().sessions.list({ contact: hostile.id });
    await page.goto(`${server.url}/console/#/sessions/${sessions[0]?.id}`);
    await page.getByText(HOSTILE_TEXT, { exact: true }).first().waitFor();
    expect(await pageScrollWidth(page)).toBe(NARROW.width);
    await screenshot(page, `transcript-360-${server.engine}`);
    await page.context().close();
  }, SLOW);

  it('erases a contact only once its name is typed exactly', async () => {
    const { contactId } = await say(server.client(), '3003', 'Bo Gone', 'forget me');
    const page = await signedIn();
    await page.goto(`${server.url}/console/#/contacts/${contactId}`);
    await page.getByRole('heading', { name: 'Bo Gone', level: 1 }).waitFor();
    const erase = page.getByRole('button', { name: 'Erase contact' });
    expect(await erase.isDisabled()).toBe(true);
    await page.getByLabel('Type Bo Gone to confirm').fill('Bo gone');
    expect(await erase.isDisabled()).toBe(true);
    await page.getByLabel('Type Bo Gone to confirm').fill('Bo Gone');
    await screenshot(page, `erase-${server.engine}`);
    await erase.click();
    await page.getByRole('status').filter({ hasText: 'Erased Bo Gone' }).waitFor();
    await untilCount(contactList(page), 2, 'the two other contacts');
    expect(await page.getByRole('list', { name: 'Contacts' }).getByText('Bo Gone').count()).toBe(0);
    expect((await server.fetch(`/v1/contacts/${contactId}`)).status).toBe(404);
    await page.context().close();
  }, SLOW);

  it('shows another tenant\'s owner none of this tenant\'s contacts, transcripts or memories', async () => {
    const other = await server.client(server.adminToken).tenants.create({ slug: `other-${randomUUID().slice(0, 8)}` });
    const page = await signedIn(other.ownerToken);
    await page.getByText('No contacts yet.').waitFor();
    await screenshot(page, `other-tenant-${server.engine}`);
    for (const hash of [`#/contacts/${ana.id}`, `#/sessions/${anaSession}`]) {
      await page.goto(`${server.url}/console/${hash}`);
      await page.getByRole('alert').waitFor();
      expect(await page.getByRole('alert').textContent()).toMatch(/not found/i);
    }
    await page.goto(`${server.url}/console/#/memories`);
    await page.getByText('No memories.').waitFor();
    const body = await page.locator('body').textContent();
    expect(body).not.toContain('Ana Lima');
    expect(body).not.toContain('hello');
    await page.context().close();
  }, SLOW);
});
