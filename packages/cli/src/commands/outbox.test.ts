import { randomUUID } from 'node:crypto';
import type { OutboxItem } from '@switchboard/shared';
import { createFakeServer } from '../cli-fake-server';

const parked = (fields: Partial<OutboxItem> = {}): OutboxItem => ({
  id: randomUUID(), eventId: randomUUID(), contactId: null, channel: 'telegram', accountId: '123456', chatId: '501', threadId: null,
  replyTo: null, text: 'hello', status: 'failed', attempts: 5, lastError: 'Forbidden: bot was blocked by the user',
  createdAt: new Date('2026-05-01T12:00:00Z'), ...fields,
});

describe('sb outbox (fake HTTP server responses)', () => {
  it('lists parked replies with their last error, and retries one', async () => {
    const item = parked();
    const server = createFakeServer({ outbox: [item] });
    const listed = await server.run(['outbox', 'list', '--failed']);
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/v1/outbox' });
    expect(listed.stdout).toMatch(/│ telegram │ 123456\s+│ 501\s+│ 5\s+│ Forbidden: bot was blocked by the user │/);
    expect((await server.run(['outbox'])).stdout).toBe('no pending replies\n');
    expect((await server.run(['outbox', 'retry', item.id])).stdout).toBe('queued again: telegram 501\n');
  });

  it('says which id is not parked, and refuses a malformed one', async () => {
    const server = createFakeServer();
    const unknown = randomUUID();
    expect(await server.run(['outbox', 'retry', unknown])).toMatchObject({ code: 1, stderr: `sb: No parked (failed) outbox item ${unknown}\n` });
    expect(await server.run(['outbox', 'retry', 'nope'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^sb: outbox id: /) });
  });
});
