/**
 * Counts every answered request by method, route pattern and status. The pattern is the router's
 * mount path (recorded by `markMount`) and the matched route's path, so `/v1/memories/:id` is one
 * series whatever the id; a request that matched no route is `unmatched`.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Metrics } from './ops-metrics';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      mountPath?: string;
    }
  }
}

export function httpMetricsMiddleware(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const stopTimer = metrics.httpSeconds.startTimer();
    res.once('finish', () => {
      const labels = { method: req.method, route: routePatternOf(req, res) };
      metrics.httpRequests.inc({ ...labels, status: String(res.statusCode) });
      stopTimer(labels);
    });
    next();
  };
}

/** Records where a router is mounted: express forgets `req.baseUrl` once an error leaves the router. */
export function markMount(path: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.mountPath = path;
    next();
  };
}

function routePatternOf(req: Request, res: Response): string {
  const route = (req as { route?: { path?: unknown } }).route;
  if (typeof route?.path !== 'string') return 'unmatched';
  const path = `${res.locals.mountPath ?? ''}${route.path === '/' ? '' : route.path}`;
  return path === '' ? '/' : path;
}
