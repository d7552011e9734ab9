/**
 * The owner's web console at /console: the files `npm run build` bundled (packages/api/console →
 * dist/console-ui), an index.html fallback for deep links, and `config.json` naming the Supabase
 * project (its URL and anon key, public by design) when the server accepts Supabase Auth. Every
 * answer carries a strict Content-Security-Policy: scripts, styles and requests come from this
 * origin only (and the Supabase project's, for sign-in). Without a bundle the console answers 503.
 * Plain middleware, not API routes: the console is pages, not part of the OpenAPI contract.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type RequestHandler, type Router } from 'express';

export interface ConsoleOptions {
  /** Where the bundle is; by default packages/api/dist/console-ui. */
  bundleDir?: string;
  /** The Supabase project whose users may sign in; absent when only tokens are accepted. */
  supabase?: { url: string; anonKey: string } | undefined;
}

export const CONSOLE_BUNDLE_DIR = join(__dirname, '..', '..', 'dist', 'console-ui');

export function consoleRoutes(options: ConsoleOptions = {}): Router {
  const bundleDir = options.bundleDir ?? CONSOLE_BUNDLE_DIR;
  const supabase = options.supabase ? { url: options.supabase.url, anonKey: options.supabase.anonKey } : null;
  const router = express.Router();
  router.use(consoleHeaders(supabase?.url));
  router.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.status(405).set('allow', 'GET, HEAD').type('text/plain').send('The console only serves pages (GET)\n');
    if (req.path === '/config.json') return void res.set('cache-control', 'no-store').json({ supabase });
    if (!existsSync(join(bundleDir, 'index.html'))) {
      return void res.status(503).type('text/plain').send('The console is not built: run `npm run build` (it bundles packages/api/console), then restart.\n');
    }
    next();
  });
  router.use(express.static(bundleDir, { index: 'index.html', redirect: false, dotfiles: 'deny', fallthrough: true }));
  // A deep link (/console/contacts/…) is a page of the app; a missing file with an extension is not.
  router.use((req, res, next) => {
    if (/\.[a-z0-9]+$/i.test(req.path)) return next();
    res.set('cache-control', 'no-cache').sendFile(join(bundleDir, 'index.html'));
  });
  return router;
}

function consoleHeaders(supabaseUrl: string | undefined): RequestHandler {
  const connect = supabaseUrl ? `'self' ${new URL(supabaseUrl).origin}` : `'self'`;
  const policy = [
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", `connect-src ${connect}`,
    "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'",
  ].join('; ');
  return (_req, res, next) => {
    res.set({ 'content-security-policy': policy, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
    next();
  };
}
