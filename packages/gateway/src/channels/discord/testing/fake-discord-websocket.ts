/**
 * Just enough of RFC 6455 for the fake Discord gateway: accepts an HTTP upgrade (no extensions, so
 * no compression), sends text and close frames, answers pings, and reads the client's masked text
 * and close frames. discord.js sends each JSON payload whole, so fragments are not needed.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OPCODE = { text: 0x1, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface FakeWebSocket {
  send(text: string): void;
  /** Closes with a code the client sees (Discord's 4xxx codes included). */
  close(code: number, reason?: string): void;
}

export interface WebSocketHandlers {
  onText(text: string): void;
  onClose(code: number): void;
}

export function acceptWebSocket(req: IncomingMessage, socket: Duplex, handlers: WebSocketHandlers): FakeWebSocket {
  const accept = createHash('sha1').update(`${String(req.headers['sec-websocket-key'])}${ACCEPT_GUID}`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  let open = true;
  let pending = Buffer.alloc(0);

  const write = (opcode: number, payload: Buffer) => {
    if (open) socket.write(Buffer.concat([frameHeader(opcode, payload.length), payload]));
  };
  const close = (code: number, reason = '') => {
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    write(OPCODE.close, payload);
    open = false;
    socket.end();
  };

  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (let frame = readFrame(pending); frame; frame = readFrame(pending)) {
      pending = pending.subarray(frame.length);
      if (frame.opcode === OPCODE.text) handlers.onText(frame.payload.toString('utf8'));
      if (frame.opcode === OPCODE.ping) write(OPCODE.pong, frame.payload);
      if (frame.opcode === OPCODE.close) {
        const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
        close(code);
        handlers.onClose(code);
      }
    }
  });
  // A client that vanishes (a killed test client) resets the connection; that is its close.
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    if (open) handlers.onClose(1006);
    open = false;
  });
  return { send: (text) => write(OPCODE.text, Buffer.from(text, 'utf8')), close };
}

function frameHeader(opcode: number, length: number): Buffer {
  if (length < 126) return Buffer.from([0x80 | opcode, length]);
  if (length < 65_536) {
    const header = Buffer.from([0x80 | opcode, 126, 0, 0]);
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

/** One complete client frame at the start of `data`, unmasked, or undefined until it has arrived. */
function readFrame(data: Buffer): { opcode: number; payload: Buffer; length: number } | undefined {
  if (data.length < 2) return undefined;
  const opcode = (data[0] ?? 0) & 0x0f;
  const masked = ((data[1] ?? 0) & 0x80) !== 0;
  let length = (data[1] ?? 0) & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(data.readBigUInt64BE(2));
    offset = 10;
  }
  const mask = masked ? data.subarray(offset, offset + 4) : undefined;
  offset += masked ? 4 : 0;
  if (data.length < offset + length) return undefined;
  const payload = Buffer.from(data.subarray(offset, offset + length));
  if (mask) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return { opcode, payload, length: offset + length };
}
