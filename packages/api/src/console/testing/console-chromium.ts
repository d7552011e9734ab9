/**
 * Debian's Chromium driven by playwright-core for the console's browser tests (nothing is
 * downloaded): headless, without the background traffic that fails on a closed network, in a fresh
 * temporary profile per launch. Screenshots go to <repo>/test-results/console/, kept by CI.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.SB_CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(__dirname, '..', '..', '..', '..', '..', 'test-results', 'console');
export const NARROW = { width: 360, height: 760 };
export const DESKTOP = { width: 1280, height: 860 };

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`No Chromium at ${CHROMIUM_PATH}: install Debian's chromium package (.ci/run does)`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

const refusals = new WeakMap<Page, string[]>();
const scripts = new WeakMap<Page, Promise<{ url: string; body: string }>[]>();

/** A page in a fresh browser profile (its own sessionStorage), recording what the CSP refused. */
export async function openPage(browser: Browser, viewport = DESKTOP): Promise<Page> {
  const page = await (await browser.newContext({ viewport })).newPage();
  const refused: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) refused.push(message.text());
  });
  refusals.set(page, refused);
  const loaded: Promise<{ url: string; body: string }>[] = [];
  page.on('response', (response) => {
    if (response.url().endsWith('.js')) loaded.push(response.text().then((body) => ({ url: response.url(), body }), () => ({ url: response.url(), body: '' })));
  });
  scripts.set(page, loaded);
  return page;
}

/** The scripts the page has loaded so far, with their text. */
export function loadedScripts(page: Page): Promise<{ url: string; body: string }[]> {
  return Promise.all(scripts.get(page) ?? []);
}

/** Whether a script is supabase-js (it names itself in its client-info header). */
export const isSupabaseJs = (script: { body: string }) => script.body.includes('supabase-js');

/** What the page's browser console reported as refused by the Content-Security-Policy. */
export function cspRefusals(page: Page): string[] {
  return refusals.get(page) ?? [];
}

/** Waits until `locator` matches `count` elements; fails naming `what` and the last count. */
export async function untilCount(locator: Locator, count: number, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let seen = await locator.count(); seen !== count; seen = await locator.count()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${seen} elements, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The items of a list by its accessible name. */
export function listItems(page: Page, name: string): Locator {
  return page.getByRole('list', { name }).locator(':scope > li');
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Whether the page scrolls sideways (it must not at 360 px). */
export async function pageScrollWidth(page: Page): Promise<number> {
  return Number(await page.evaluate('document.documentElement.scrollWidth'));
}

/**
 * Opens the console at a page (`#/contacts` by default) and signs in with a token as a person would:
 * the "Owner token" field, then the button; resolves once the signed-in navigation shows.
 */
export async function signInWithToken(page: Page, baseUrl: string, token: string, hash = '#/contacts'): Promise<void> {
  await page.goto(`${baseUrl}/console/${hash}`);
  await page.getByLabel('Owner token', { exact: true }).fill(token);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
}
