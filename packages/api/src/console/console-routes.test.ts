/**
 * The console's files over a real socket: the bundle and deep links with the security headers,
 * config.json naming only the public half of the Supabase settings, 503 before a build, and no
 * writes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { consoleRoutes, type ConsoleOptions } from './console-routes';

const SUPABASE = { url: 'https://project-ref.supabase.co', anonKey: 'public-anon-key', jwtSecret: 'a-legacy-secret-that-must-never-leave-the-server' };

async function serve(options: ConsoleOptions): Promise<{ base: string; close(): Promise<void> }> {
  const app = express();
  app.use('/console', consoleRoutes(options));
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('console routes', () => {
  const root = mkdtempSync(join(tmpdir(), 'sb-console-'));
  const bundleDir = join(root, 'bundle');
  mkdirSync(bundleDir);
  writeFileSync(join(root, 'secret.txt'), 'not for the browser');
  writeFileSync(join(bundleDir, 'index.html'), '<!doctype html><title>Switchboard console</title>');
  writeFileSync(join(bundleDir, 'app.js'), 'console.log("app")');
  let withSupabase: Awaited<ReturnType<typeof serve>>;
  let tokensOnly: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    withSupabase = await serve({ bundleDir, supabase: SUPABASE });
    tokensOnly = await serve({ bundleDir });
  });
  afterAll(async () => {
    await withSupabase.close();
    await tokensOnly.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the page at /console, /console/ and any deep link, with a strict CSP, nosniff and no referrer', async () => {
    for (const path of ['/console', '/console/', '/console/contacts/3f2a']) {
      const response = await fetch(`${tokensOnly.base}${path}`);
      expect([path, response.status, response.headers.get('content-type')]).toEqual([path, 200, 'text/html; charset=utf-8']);
      expect(await response.text()).toContain('<title>Switchboard console</title>');
      expect(response.headers.get('content-security-policy')).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      );
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('serves the bundle as JavaScript, and answers 404 for a file the bundle lacks', async () => {
    const script = await fetch(`${tokensOnly.base}/console/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${tokensOnly.base}/console/missing.js`)).status).toBe(404);
  });

  it('names the Supabase project (URL and anon key, never the JWT secret) and lets the page reach it', async () => {
    const response = await fetch(`${withSupabase.base}/console/config.json`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ supabase: { url: SUPABASE.url, anonKey: SUPABASE.anonKey } });
    expect(text).not.toContain(SUPABASE.jwtSecret);
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self' https://project-ref.supabase.co;");
  });

  it('says there is no Supabase sign-in when the server accepts tokens only', async () => {
    expect(await (await fetch(`${tokensOnly.base}/console/config.json`)).json()).toEqual({ supabase: null });
  });

  it('answers 503 saying to run the build when the bundle is missing', async () => {
    const unbuilt = await serve({ bundleDir: join(bundleDir, 'not-built') });
    try {
      const response = await fetch(`${unbuilt.base}/console`);
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('npm run build');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    } finally {
      await unbuilt.close();
    }
  });

  it('serves nothing from outside the bundle', async () => {
    for (const path of ['/console/..%2fsecret.txt', '/console/%2e%2e/secret.txt', '/console/..%5csecret.txt', '/console/.env']) {
      const response = await fetch(`${tokensOnly.base}${path}`);
      expect([path, response.status]).toEqual([path, 404]);
      expect(await response.text()).not.toContain('not for the browser');
    }
  });

  it('refuses anything but reading pages with 405', async () => {
    const response = await fetch(`${tokensOnly.base}/console`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });
});
