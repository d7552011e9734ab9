/**
 * `POST /v1/inbound` (gateway or owner): 202 with the event's status; with `?wait=true` and a
 * queued message, 200 with the reply once the turn finished (502 if the agent failed, 504 on timeout).
 */
import { Router } from 'express';
import { z } from 'zod';
import { AppError, InboundMessage, type InboundAnswered, type TenantId } from '@switchboard/shared';
import { allow, callerOf } from '../http/auth-middleware';
import type { TurnOutcome } from '../turns/turn-runner';
import type { InboundService } from './inbound-service';

const InboundQuery = z.strictObject({ wait: z.enum(['true', 'false', '1', '0']).optional() });

/** Waits for a queued event's turn; the signal aborts when the caller disconnects. */
export type WaitForTurn = (turn: { tenantId: TenantId; eventId: string }, signal: AbortSignal) => Promise<TurnOutcome>;

export function inboundRoutes(inbound: InboundService, waitForTurn: WaitForTurn): Router {
  const router = Router();
  router.use(allow('owner', 'gateway'));

  router.post('/', async (req, res) => {
    const query = InboundQuery.parse(req.query);
    const message = InboundMessage.parse(req.body);
    const caller = callerOf(res);
    const accepted = await inbound.accept(caller, message);
    const wait = query.wait === 'true' || query.wait === '1';
    if (!wait || accepted.status !== 'queued') {
      res.status(202).json(accepted);
      return;
    }
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const outcome = await waitForTurn({ tenantId: caller.tenantId, eventId: accepted.eventId }, gone.signal);
    if (outcome.status === 'failed' || outcome.replyText === null) {
      throw new AppError('upstream_failed', `The agent failed to answer: ${outcome.error ?? 'no reply'}`);
    }
    const answered: InboundAnswered = {
      eventId: accepted.eventId, contactId: accepted.contactId, sessionId: outcome.sessionId, status: 'done', reply: { text: outcome.replyText },
    };
    res.json(answered);
  });

  return router;
}
