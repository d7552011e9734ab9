import { MessageId } from '@switchboard/shared';
import { createFakeServer, fakeContact, fakeSession } from '../cli-fake-server';

describe('sb sessions (fake HTTP server responses)', () => {
  const ana = fakeContact();
  const owners = fakeSession();
  const anas = fakeSession({ contactId: ana.id, threadKey: '42' });

  it('lists sessions with the agent\'s name, filtered by --contact or --owner', async () => {
    const server = createFakeServer({ sessions: [owners, anas] });
    const all = await server.run(['sessions']);
    const mine = await server.run(['sessions', 'list', '--owner', '--json']);
    expect(all.stdout.split('\n').find((line) => line.includes(anas.id))).toMatch(new RegExp(`│ ${ana.id} │ default │ 42\\s+│ echo\\s+│ open\\s+│`));
    expect(JSON.parse(mine.stdout)).toEqual(JSON.parse(JSON.stringify([owners])));
    expect(server.requests.filter((r) => r.path === '/v1/sessions').map((r) => r.query)).toEqual([{}, { contact: 'owner' }]);
  });

  it('prints a transcript one line per message with time, direction and text', async () => {
    const message = (direction: 'inbound' | 'outbound', text: string, at: string, usage: { inputTokens: number; outputTokens: number } | null = null) => ({
      id: MessageId.parse(crypto.randomUUID()), sessionId: anas.id, contactId: ana.id, senderContactId: direction === 'inbound' ? ana.id : null, direction,
      channel: 'telegram' as const, accountKey: 'default', chatId: '123', platformMessageId: null, text, usage, createdAt: new Date(at),
    });
    const server = createFakeServer({ messages: [message('inbound', 'recall', '2026-05-01T12:00:01Z'), message('outbound', 'likes tea', '2026-05-01T12:00:02Z', { inputTokens: 120, outputTokens: 30 })] });
    const result = await server.run(['sessions', 'show', anas.id]);
    expect(result.stdout).toBe('2026-05-01 12:00:01Z → recall\n2026-05-01 12:00:02Z ← likes tea  (120 in / 30 out tokens)\n');
  });

  it('resets the owner\'s chat by default and a contact\'s thread with flags', async () => {
    const server = createFakeServer({ sessions: [anas] });
    const result = await server.run(['sessions', 'reset']);
    await server.run(['sessions', 'reset', '--contact', ana.id, '--agent', 'helper', '--thread', '42']);
    expect(result.stdout).toBe(`closed session ${anas.id}\n`);
    expect(server.requests.map((r) => r.body)).toEqual([{ contact: 'owner' }, { contact: ana.id, agent: 'helper', thread: '42' }]);
  });
});
