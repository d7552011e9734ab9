/**
 * `POST /v1/inbound` (gateway or owner): 202 with the event's status; with `?wait=true` and a
 * queued message, 200 with the reply once the turn finished (502 if the agent failed, 504 on timeout).
 * `?wait=true&stream=true` answers a queued message with server-sent events instead: `delta`
 * (`{text}` appended to the reply so far) while a streaming provider writes, `replace` (`{text}`,
 * the whole reply so far) when it revised what it wrote, then `done` (the answered body) or `error`
 * (the error body).
 */
import { Router, type Response } from 'express';
import type { z } from 'zod';
import { AppError, InboundMessage, InboundQuery, isAppError, type InboundAccepted, type InboundAnswered, type TenantId } from '@switchboard/shared';
import { allow, callerOf, type InAccountTenant } from '../http/auth-middleware';
import type { TokenOwner } from '../auth/token-repo';
import type { Metrics } from '../ops/ops-metrics';
import type { TurnOutcome } from './turn-runner';
import type { InboundService } from './inbound-service';

/** Waits for a queued event's turn; the signal aborts when the caller disconnects; `onText` gets the reply so far. */
export type WaitForTurn = (
  turn: { tenantId: TenantId; eventId: string },
  signal: AbortSignal,
  onText?: (textSoFar: string) => void,
) => Promise<TurnOutcome>;

/** Announces a streaming request before it accepts its message (TurnWaiters.expectStream); returns its release. */
export type ExpectStream = () => () => void;

export function inboundRoutes(
  inbound: InboundService, waitForTurn: WaitForTurn, inAccountTenant: InAccountTenant, metrics: Pick<Metrics, 'inbound'>,
  expectStream: ExpectStream = () => () => undefined,
): Router {
  const router = Router();
  router.use(allow('owner', 'gateway'));

  router.post('/', async (req, res) => {
    const query = InboundQuery.parse(req.query);
    const message = InboundMessage.parse(req.body);
    // The gateway's message is in the tenant of the account that received it.
    await inAccountTenant(res, message.channel, message.accountId ?? 'default');
    const caller = callerOf(res);
    // Announced before the accept commits: the worker may start the turn before this request has its id.
    const release = query.stream ? expectStream() : () => undefined;
    try {
      await answer(caller, message, query, res, release);
    } finally {
      release();
    }
  });

  /** Accepts the message and answers: 202, or with `wait` the reply (with `stream` as events). `release` ends the stream announcement. */
  async function answer(caller: TokenOwner, message: InboundMessage, query: z.infer<typeof InboundQuery>, res: Response, release: () => void) {
    const accepted = await inbound.accept(caller, message, { wait: query.wait });
    metrics.inbound.inc({ channel: message.channel, status: accepted.status });
    if (!query.wait || accepted.status !== 'queued') {
      res.status(202).json(accepted);
      return;
    }
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const turn = { tenantId: caller.tenantId, eventId: accepted.eventId };
    if (!query.stream) {
      res.json(answeredOf(accepted, await waitForTurn(turn, gone.signal)));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    let sent = '';
    const onText = (text: string) => {
      if (text.startsWith(sent)) send('delta', { text: text.slice(sent.length) });
      else send('replace', { text });
      sent = text;
    };
    try {
      const outcome = waitForTurn(turn, gone.signal, onText);
      release();
      send('done', answeredOf(accepted, await outcome));
    } catch (error) {
      const failure = isAppError(error) ? error : new AppError('upstream_failed', 'The turn failed');
      send('error', { error: { code: failure.code, message: failure.message } });
    }
    res.end();
  }

  return router;
}

function answeredOf(accepted: InboundAccepted, outcome: TurnOutcome): InboundAnswered {
  if (outcome.status === 'failed' || outcome.replyText === null) {
    throw new AppError('upstream_failed', `The agent failed to answer: ${outcome.error ?? 'no reply'}`);
  }
  return { eventId: accepted.eventId, contactId: accepted.contactId, sessionId: outcome.sessionId, status: 'done', reply: { text: outcome.replyText } };
}
