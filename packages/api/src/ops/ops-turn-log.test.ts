import { randomUUID } from 'node:crypto';
import { describeEachServer, type TestServer } from '../../../../test/server-harness';
import { captureLog, type CapturedLog } from './ops-log-capture';

/** Posts one message and waits for its turn; returns the answer and the text it sent. */
async function turn(server: TestServer): Promise<{ answer: Record<string, unknown>; text: string }> {
  const text = `private words ${randomUUID()}`;
  const response = await server.fetch('/v1/inbound?wait=true', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'telegram', sender: { id: `log-${randomUUID()}` }, messageId: 'm1', text }),
  });
  expect(response.status).toBe(200);
  return { answer: await response.json() as Record<string, unknown>, text };
}

function turnLines(captured: CapturedLog, eventId: unknown): Record<string, unknown>[] {
  return captured.entries().filter((entry) => entry.msg === 'turn finished' && entry.eventId === eventId);
}

const quiet = captureLog();
describeEachServer('the turn log', (server) => {
  it('writes one JSON line per turn with its ids, provider, status and duration, and not what was said', async () => {
    const { answer, text } = await turn(server);
    const lines = turnLines(quiet, answer.eventId);
    expect(lines).toEqual([expect.objectContaining({
      level: 30, tenantId: server.tenantId, contactId: answer.contactId, sessionId: answer.sessionId,
      provider: 'echo', status: 'done', attempt: 1, durationMs: expect.any(Number),
    })]);
    expect(JSON.stringify(quiet.entries())).not.toContain(text);
    expect(lines[0]).not.toHaveProperty('text');
    expect(lines[0]).not.toHaveProperty('reply');
  });
}, {}, quiet.log);

const loud = captureLog({ content: true });
describeEachServer('the turn log with content logging on', (server) => {
  it('adds the message and the reply text', async () => {
    const { answer, text } = await turn(server);
    expect(turnLines(loud, answer.eventId)).toEqual([expect.objectContaining({ text, reply: `echo: ${text}`, error: null, status: 'done' })]);
  });
}, {}, loud.log);
