/**
 * `GET /v1/events` (owner): server-sent events, one `message` event per new transcript message in
 * the tenant (the `Message` JSON), and a `: ping` comment every 15 s so proxies keep the stream open.
 */
import { Router } from 'express';
import { EventsQuery, type Message } from '@switchboard/shared';
import { allow, ownerScopeOf } from '../http/auth-middleware';
import type { Log } from '../ops/ops-log';
import type { MessageFeed } from './message-feed';

const PING_MS = 15_000;

export function eventRoutes(feed: MessageFeed, log: Log): Router {
  const router = Router();
  router.use(allow('owner'));

  router.get('/', async (req, res) => {
    EventsQuery.parse(req.query);
    const scope = ownerScopeOf(res);
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(': stream open\n\n');
    };
    // Nothing is written once the caller has gone (a read may finish after it left).
    const write = (chunk: string) => {
      if (!gone.signal.aborted && !res.destroyed) res.write(chunk);
    };
    const ping = setInterval(() => write(': ping\n\n'), PING_MS);
    const send = (messages: Message[]) => {
      for (const message of messages) write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    };
    try {
      // A refused subscription (429) throws before anything is written, so it answers as an error.
      const following = feed.subscribe(scope, send, gone.signal);
      start();
      await following;
    } catch (error) {
      if (!started) throw error;
      log.warn({ err: error }, 'an event stream ended with an error');
    } finally {
      clearInterval(ping);
    }
    if (!res.destroyed) res.end();
  });

  return router;
}
