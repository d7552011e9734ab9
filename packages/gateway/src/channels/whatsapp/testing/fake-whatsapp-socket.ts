/**
 * A fake baileys socket for tests: an EventEmitter-backed `ev`, recorded `sendMessage` and
 * `sendPresenceUpdate` calls, and `end`. Unlike baileys it never cleans up after itself, so tests
 * see whether the code under test removed the listeners and ended the socket. The factory numbers
 * its sockets and writes creations, listener removals and ends into one journal, in order.
 */
import { EventEmitter } from 'node:events';
import type { BaileysEventMap, WAMessage } from '@whiskeysockets/baileys' with { 'resolution-mode': 'import' };
import type { WhatsAppSocket } from '../whatsapp-connect';

export const ME = { id: '15550001111:7@s.whatsapp.net', lid: '204050607080901:7@lid' };

export interface FakeWhatsAppSocket extends WhatsAppSocket {
  readonly number: number;
  readonly sent: { jid: string; text: string }[];
  readonly presences: { type: string; jid: string | undefined }[];
  ended: boolean;
  /** Listeners still attached, over every event. */
  listenerCount(): number;
  emit<E extends keyof BaileysEventMap>(event: E, arg: BaileysEventMap[E]): void;
  /** WhatsApp closing the connection with a Boom status code. */
  close(statusCode: number): void;
  open(): void;
  receive(messages: WAMessage[], type?: 'notify' | 'append'): void;
  /** The next `sendMessage` calls fail with this error. */
  failSends(error: Error): void;
}

/** An error shaped like baileys' Boom errors. */
export function boomError(statusCode: number, message = `closed with ${statusCode}`, data?: number): Error {
  return Object.assign(new Error(message), { isBoom: true, output: { statusCode }, data });
}

export function createFakeWhatsAppSocket(number: number, journal: string[]): FakeWhatsAppSocket {
  const emitter = new EventEmitter();
  let failure: Error | undefined;
  const sock = {
    number,
    user: { id: ME.id, lid: ME.lid },
    sent: [] as { jid: string; text: string }[],
    presences: [] as { type: string; jid: string | undefined }[],
    ended: false,
    ev: {
      on: (event: string, listener: (arg: unknown) => void) => void emitter.on(event, listener),
      off: (event: string, listener: (arg: unknown) => void) => void emitter.off(event, listener),
      removeAllListeners: (event: string) => {
        journal.push(`removeAllListeners #${number} ${event}`);
        emitter.removeAllListeners(event);
      },
    },
    listenerCount: () => emitter.eventNames().reduce((sum, event) => sum + emitter.listenerCount(event), 0),
    emit: (event: string, arg: unknown) => void emitter.emit(event, arg),
    async end() {
      journal.push(`end #${number}`);
      sock.ended = true;
    },
    async sendMessage(jid: string, content: { text: string }) {
      if (failure) throw failure;
      sock.sent.push({ jid, text: content.text });
      return undefined;
    },
    async sendPresenceUpdate(type: string, jid?: string) {
      sock.presences.push({ type, jid });
    },
    close: (statusCode: number) => sock.emit('connection.update', {
      connection: 'close', lastDisconnect: { error: boomError(statusCode), date: new Date() },
    }),
    open: () => sock.emit('connection.update', { connection: 'open' }),
    receive: (messages: WAMessage[], type: 'notify' | 'append' = 'notify') => sock.emit('messages.upsert', { messages, type }),
    failSends: (error: Error) => {
      failure = error;
    },
  };
  return sock as unknown as FakeWhatsAppSocket;
}

export interface FakeSocketFactory {
  create: () => FakeWhatsAppSocket;
  readonly sockets: FakeWhatsAppSocket[];
  readonly journal: string[];
  latest(): FakeWhatsAppSocket;
  /** Sockets not ended yet. */
  live(): FakeWhatsAppSocket[];
}

export function createFakeSocketFactory(): FakeSocketFactory {
  const sockets: FakeWhatsAppSocket[] = [];
  const journal: string[] = [];
  return {
    sockets,
    journal,
    create: () => {
      const sock = createFakeWhatsAppSocket(sockets.length + 1, journal);
      journal.push(`create #${sock.number}`);
      sockets.push(sock);
      return sock;
    },
    latest: () => {
      const sock = sockets.at(-1);
      if (!sock) throw new Error('no socket was created');
      return sock;
    },
    live: () => sockets.filter((sock) => !sock.ended),
  };
}
