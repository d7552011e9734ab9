/**
 * A local fake of the Telegram Bot API for tests, speaking its wire format (`/bot<token>/<method>`,
 * JSON in, `{ok, result}` out): getMe, long-polled getUpdates with offsets (an offset confirms the
 * updates before it) and `limit`, sendMessage and sendChatAction (recorded, with the time of each
 * send and each poll; sends can be held, as if in flight), deleteWebhook. Like Telegram it answers
 * 409 to a getUpdates while another is still open, and counts how many were ever open at once.
 * `directMessage` builds the update of a user's private message.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Update } from 'grammy/types';

export interface SentMessage {
  chat_id: string | number;
  text: string;
  message_thread_id?: number;
  reply_parameters?: { message_id: number };
}

export interface FakeBotApi {
  apiRoot: string;
  bot: { id: number; username: string };
  sent: SentMessage[];
  /** When (Date.now()) each of `sent` was recorded, index by index. */
  sentAt: number[];
  /** When each getUpdates call arrived. */
  polledAt: number[];
  chatActions: { chat_id: string | number; action: string; message_thread_id?: number }[];
  /** Queues an update (its update_id is assigned) for the next getUpdates. */
  push(update: Omit<Update, 'update_id'>): Update;
  /** Queues the same update again, as Telegram does when an offset was not confirmed. */
  redeliver(update: Update): void;
  maxConcurrentPolls: number;
  /**
   * Long polls refused with 409 because another poll was open: two processes polling one bot. (A
   * stopping grammY bot aborts its poll and at once confirms its offset with a short call, which
   * can overlap the aborted poll's end; that one is refused too but not counted.)
   */
  conflicts: number;
  /** Makes the next `count` sendMessage calls fail with the given error code. */
  failSends(count: number, code: number, description: string): void;
  /**
   * While on, sendMessage calls are held unanswered (and not yet sent); off sends them. A held call
   * whose client goes away (a killed process) is dropped unsent, as if it never reached Telegram.
   */
  holdSends(on: boolean): void;
  /** sendMessage calls held now. */
  readonly heldSends: number;
  close(): Promise<void>;
}

export async function startFakeBotApi(bot = { id: 123456789, username: 'switchboard_test_bot' }): Promise<FakeBotApi> {
  const updates: Update[] = [];
  let nextUpdateId = 1;
  let nextMessageId = 1000;
  let openPolls = 0;
  let failures: { count: number; code: number; description: string } = { count: 0, code: 0, description: '' };
  const waiting = new Set<() => void>();
  const held = new Set<() => void>();
  let holding = false;
  const wake = () => { for (const resolve of waiting) resolve(); waiting.clear(); };

  const fake: FakeBotApi = {
    apiRoot: '',
    bot,
    sent: [],
    sentAt: [],
    polledAt: [],
    chatActions: [],
    maxConcurrentPolls: 0,
    conflicts: 0,
    push(update) {
      const full = { ...update, update_id: nextUpdateId++ } as Update;
      updates.push(full);
      wake();
      return full;
    },
    redeliver(update) {
      updates.push({ ...update, update_id: nextUpdateId++ });
      wake();
    },
    failSends(count, code, description) {
      failures = { count, code, description };
    },
    holdSends(on) {
      holding = on;
      if (!on) for (const resolve of held) resolve();
    },
    get heldSends() {
      return held.size;
    },
    close: () => new Promise((resolve) => {
      wake();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };

  /** `gone` resolves when the client closed the connection: like Telegram, a dropped long poll ends. */
  async function handle(method: string, params: Record<string, unknown>, gone: Promise<void>): Promise<[number, unknown]> {
    switch (method) {
      case 'getMe':
        return [200, { ok: true, result: { id: bot.id, is_bot: true, first_name: 'Switchboard', username: bot.username, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false } }];
      case 'deleteWebhook':
        return [200, { ok: true, result: true }];
      case 'getUpdates': {
        fake.polledAt.push(Date.now());
        if (openPolls > 0 && Number(params.timeout ?? 0) > 0) fake.conflicts++;
        if (openPolls > 0) return [409, { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request' }];
        openPolls++;
        fake.maxConcurrentPolls = Math.max(fake.maxConcurrentPolls, openPolls);
        try {
          const offset = Number(params.offset ?? 0);
          // Like Telegram: asking from an offset confirms (drops) every update before it.
          for (let i = updates.length - 1; i >= 0; i--) if ((updates[i]?.update_id ?? 0) < offset) updates.splice(i, 1);
          const limit = Math.min(Math.max(Number(params.limit ?? 100), 1), 100);
          const due = () => updates.filter((u) => u.update_id >= offset).slice(0, limit);
          if (due().length === 0) {
            const timeoutMs = Math.min(Number(params.timeout ?? 0), 1) * 1000;
            await new Promise<void>((resolve) => {
              waiting.add(resolve);
              setTimeout(resolve, timeoutMs).unref();
              void gone.then(resolve);
            });
          }
          return [200, { ok: true, result: due() }];
        } finally {
          openPolls--;
        }
      }
      case 'sendMessage': {
        if (holding && !(await holdUntilReleased(gone))) return [499, { ok: false, error_code: 499, description: 'client went away' }];
        if (failures.count > 0) {
          failures.count--;
          return [failures.code, { ok: false, error_code: failures.code, description: failures.description }];
        }
        const message = params as unknown as SentMessage;
        fake.sent.push(message);
        fake.sentAt.push(Date.now());
        const chat = { id: Number(message.chat_id), type: Number(message.chat_id) < 0 ? 'supergroup' : 'private' };
        return [200, { ok: true, result: { message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat, text: message.text } }];
      }
      case 'sendChatAction':
        fake.chatActions.push(params as FakeBotApi['chatActions'][number]);
        return [200, { ok: true, result: true }];
      default:
        return [200, { ok: true, result: true }];
    }
  }

  /** True when the hold was lifted, false when the client went away first. */
  function holdUntilReleased(gone: Promise<void>): Promise<boolean> {
    return new Promise((resolve) => {
      const release = () => { held.delete(release); resolve(true); };
      held.add(release);
      void gone.then(() => { if (held.delete(release)) resolve(false); });
    });
  }

  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const match = /^\/bot[^/]+\/([A-Za-z]+)/.exec(req.url ?? '');
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const params = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    const gone = new Promise<void>((resolve) => res.once('close', () => resolve()));
    const [status, payload] = match?.[1]
      ? await handle(match[1], params, gone)
      : [404, { ok: false, error_code: 404, description: 'Not Found' }];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(payload));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  fake.apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

let nextDirectMessageId = 1;

/** An update with a private message from a user, as Telegram sends it (`update_id` is added by `push`). */
export function directMessage(userId: number, text: string, name = `User ${userId}`): Omit<Update, 'update_id'> {
  return {
    message: {
      message_id: nextDirectMessageId++, date: Math.floor(Date.now() / 1000), text,
      chat: { id: userId, type: 'private', first_name: name }, from: { id: userId, is_bot: false, first_name: name },
    },
  } as Omit<Update, 'update_id'>;
}
