/**
 * `GET /readyz` (anyone) and `GET /metrics` (Prometheus text). /metrics always needs a token: the
 * metrics token (SB_METRICS_TOKEN, compared in constant time) or a token of a kind in
 * METRICS_READERS. Every reader sees the installation's counts: no series is labelled by tenant.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import type { TokenKind } from '../auth/token-repo';
import { allow, authMiddleware, bearerTokenOf, type Authenticate } from '../http/auth-middleware';
import type { Metrics } from './ops-metrics';
import type { CheckReady } from './ops-readiness';

/** The token kinds that may read /metrics, besides the metrics token. */
const METRICS_READERS: TokenKind[] = ['owner', 'admin'];

export interface OpsRouteDeps {
  metrics: Metrics;
  checkReady: CheckReady;
  authenticate: Authenticate;
  metricsToken?: string | undefined;
}

export function opsRoutes(deps: OpsRouteDeps): Router {
  const router = Router();
  router.get('/readyz', async (_req, res) => {
    await deps.checkReady();
    res.json({ ok: true });
  });
  router.get('/metrics', metricsAuth(deps.authenticate, deps.metricsToken), async (_req, res) => {
    const text = await deps.metrics.scrape();
    res.type(deps.metrics.contentType).send(text);
  });
  return router;
}

function metricsAuth(authenticate: Authenticate, metricsToken: string | undefined): RequestHandler {
  const asCaller = authMiddleware(authenticate);
  const readers = allow(...METRICS_READERS);
  return async (req, res, next) => {
    const token = bearerTokenOf(req);
    if (token !== undefined && metricsToken !== undefined && isSameToken(token, metricsToken)) return next();
    await asCaller(req, res, () => readers(req, res, next));
  };
}

/** Compared as hashes, so neither the length nor the first differing byte shows in the timing. */
function isSameToken(given: string, expected: string): boolean {
  const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
