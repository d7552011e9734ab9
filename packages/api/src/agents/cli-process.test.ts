import { tmpdir } from 'node:os';
import { runCliProcess } from './cli-process';

describe('runCliProcess', () => {
  it('hands streamed lines over whole, even when a character is split between two chunks of output', async () => {
    // The child writes "é" (0xC3 0xA9) as two writes, a moment apart, so they arrive as two chunks.
    const script = `
      process.stdout.write(Buffer.from([0x63, 0x61, 0x66, 0xc3]));
      setTimeout(() => process.stdout.write(Buffer.from([0xa9, 0x0a, 0x6f, 0x6b, 0x0a])), 100);
    `;
    const lines: string[] = [];
    const result = await runCliProcess({
      bin: process.execPath, args: ['-e', script], cwd: tmpdir(), env: { PATH: process.env.PATH }, timeoutMs: 10_000,
      signal: new AbortController().signal, onStdoutLine: (line) => lines.push(line),
    });
    expect(result.code).toBe(0);
    expect(lines).toEqual(['café', 'ok']);
    expect(result.stdout).toBe('café\nok\n');
  });
});
