/**
 * `deliver: false` over real HTTP: the message goes through the whole pipeline (contact, policy,
 * turn, transcript) and the caller gets the reply, but no outbox row is written, so no channel
 * account is asked to send it. This is how `sb chat --sender telegram:123` tests the pipeline.
 */
import { randomUUID } from 'node:crypto';
import type { InboundMessage } from '@switchboard/shared';
import { describeEachServerWithSupabase, type TestServer } from '../../../../test/server-harness';

const tag = () => randomUUID().slice(0, 8);

function dm(sender: string, text: string, extra: Partial<InboundMessage> = {}): InboundMessage {
  return { channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text, ...extra };
}

async function outboxRows(server: TestServer, eventId: string): Promise<number> {
  const [row] = await server.admin<{ n: number }>('select count(*)::int as n from outbox where event_id = $1', [eventId]);
  return row!.n;
}

describeEachServerWithSupabase('inbound messages whose reply is not delivered', (server) => {
  const post = (message: InboundMessage) => server.client().inbound(message, { wait: true });

  it('answers the caller and keeps the transcript, but queues nothing for the channel', async () => {
    const sender = `t-${tag()}`;
    const tested = await post(dm(sender, 'remember I test things', { deliver: false }));
    expect(tested).toMatchObject({ status: 'done', reply: { text: 'remembered: I test things' } });
    expect(await outboxRows(server, tested.eventId)).toBe(0);

    // The same sender through the channel: same contact and session, and this reply is queued.
    const real = await post(dm(sender, 'recall'));
    expect(real).toMatchObject({ status: 'done', contactId: tested.contactId, reply: { text: 'I test things' } });
    expect(await outboxRows(server, real.eventId)).toBe(1);
    const [session] = await server.client().sessions.list({ contact: tested.contactId! });
    const transcript = await server.client().sessions.messages(session!.id);
    expect(transcript.map((m) => m.text)).toEqual(['remember I test things', 'remembered: I test things', 'recall', 'I test things']);
  });

  it('still answers a repeated message id as a duplicate, without a second turn', async () => {
    const message = dm(`t-${tag()}`, 'once', { deliver: false });
    const first = await post(message);
    expect(await server.client().inbound(message)).toEqual({ eventId: first.eventId, contactId: first.contactId, status: 'duplicate' });
    expect(await outboxRows(server, first.eventId)).toBe(0);
  });

  it('returns a pairing code to the caller without sending it through the channel', async () => {
    const client = server.client();
    await client.agents.update('default', { dmPolicy: 'pairing' });
    try {
      const blocked = await post(dm(`t-${tag()}`, 'hello', { deliver: false }));
      expect(blocked).toMatchObject({ status: 'blocked', reason: 'pairing_pending', reply: { text: expect.stringContaining('pairing code') } });
      expect(await outboxRows(server, blocked.eventId)).toBe(0);
      expect((await client.pairing.list()).map((request) => request.contactId)).toContain(blocked.contactId);
    } finally {
      await client.agents.update('default', { dmPolicy: 'open' });
    }
  });

  it('refuses a deliver flag that is not a boolean with 400', async () => {
    const response = await server.fetch('/v1/inbound', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...dm(`t-${tag()}`, 'hi'), deliver: 'no' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_input', details: [expect.objectContaining({ path: ['deliver'] })] } });
  });
});
