/**
 * Isolation through the whole pipeline over real HTTP: two Telegram senders and the owner's own
 * chat, each talking to the echo agent; memories, sessions and transcripts stay in their scope.
 */
import { randomUUID } from 'node:crypto';
import type { ContactId, InboundMessage, SessionId } from '@switchboard/shared';
import { describeEachServerWithSupabase, type TestServer } from '../../../../test/server-harness';

const tag = () => randomUUID().slice(0, 8);

/** Posts one message and waits for the reply: a Telegram DM from `sender`, or the owner's own chat. */
async function say(server: TestServer, sender: string | undefined, text: string, messageId = randomUUID()) {
  const message: InboundMessage = sender === undefined
    ? { channel: 'cli', messageId, text }
    : { channel: 'telegram', sender: { id: sender }, messageId, text };
  const answer = await server.client().inbound(message, { wait: true });
  if (answer.status !== 'done') throw new Error(`expected the turn to run, got ${JSON.stringify(answer)}`);
  return answer;
}

/** The shared memories every contact's turn may read (added by any test of the suite). */
async function sharedContents(server: TestServer): Promise<string[]> {
  return (await server.client().memories.list()).filter((m) => m.visibility === 'shared').map((m) => m.content);
}

async function recallLines(server: TestServer, sender: string | undefined): Promise<string[]> {
  const { reply } = await say(server, sender, 'recall');
  return reply.text === 'no memories' ? [] : reply.text.split('\n').sort();
}

describeEachServerWithSupabase('two senders over real HTTP', (server) => {
  it("keeps A's remembered fact out of B's recall and the reverse, and shows both to the owner", async () => {
    const [a, b, t] = [`a-${tag()}`, `b-${tag()}`, tag()];
    expect(await say(server, a, `remember tea ${t}`)).toMatchObject({ reply: { text: `remembered: tea ${t}` } });
    expect(await say(server, b, `remember coffee ${t}`)).toMatchObject({ reply: { text: `remembered: coffee ${t}` } });
    const shared = await sharedContents(server);

    expect(await recallLines(server, b)).toEqual([`coffee ${t}`, ...shared].sort());
    expect(await recallLines(server, a)).toEqual([`tea ${t}`, ...shared].sort());
    expect(await recallLines(server, undefined)).toEqual(expect.arrayContaining([`tea ${t}`, `coffee ${t}`]));
    const all = (await server.client().memories.list()).map((m) => m.content);
    expect(all).toEqual(expect.arrayContaining([`tea ${t}`, `coffee ${t}`]));
  });

  it('filters the owner listing to the owner’s own rows or to one contact’s, and keeps the owner’s chat memories from contacts', async () => {
    const [a, b, t] = [`a-${tag()}`, `b-${tag()}`, tag()];
    const aId = (await say(server, a, `remember a-fact ${t}`)).contactId as ContactId;
    await say(server, a, `remember a-second ${t}`);
    await say(server, b, `remember b-fact ${t}`);
    expect(await say(server, undefined, `remember owner-secret ${t}`)).toMatchObject({ contactId: null, reply: { text: `remembered: owner-secret ${t}` } });

    const ownerRows = await server.client().memories.list({ contact: 'owner' });
    expect(ownerRows.length).toBeGreaterThan(0);
    expect(ownerRows.every((m) => m.contactId === null)).toBe(true);
    expect(ownerRows.map((m) => m.content)).toContain(`owner-secret ${t}`);
    expect(ownerRows.map((m) => m.content)).not.toContain(`a-fact ${t}`);

    const aRows = await server.client().memories.list({ contact: aId });
    expect(aRows.every((m) => m.contactId === aId)).toBe(true);
    expect(aRows.map((m) => m.content).sort()).toEqual([`a-fact ${t}`, `a-second ${t}`]);

    const shared = await sharedContents(server);
    expect(await recallLines(server, a)).toEqual([`a-fact ${t}`, `a-second ${t}`, ...shared].sort());
    expect(await recallLines(server, b)).toEqual([`b-fact ${t}`, ...shared].sort());
  });

  it('shows a memory the owner adds as shared to every contact’s recall', async () => {
    const [a, b, t] = [`a-${tag()}`, `b-${tag()}`, tag()];
    const memory = await server.client().memories.add({ content: `office hours ${t}`, visibility: 'shared' });
    expect(memory).toMatchObject({ contactId: null, visibility: 'shared' });

    expect(await recallLines(server, a)).toContain(`office hours ${t}`);
    expect(await recallLines(server, b)).toContain(`office hours ${t}`);
    expect((await say(server, a, `recall office hours ${t}`)).reply.text.split('\n')).toContain(`office hours ${t}`);
  });

  it('never lets the owner’s chat and a contact’s chat share a session', async () => {
    const a = `a-${tag()}`;
    const owner = await say(server, undefined, 'hello from the owner');
    const contact = await say(server, a, 'hello from A');
    const aId = contact.contactId as ContactId;
    expect(owner.sessionId).not.toBeNull();
    expect(contact.sessionId).not.toBeNull();
    expect(contact.sessionId).not.toBe(owner.sessionId);

    const ownerSessions = await server.client().sessions.list({ contact: 'owner' });
    expect(ownerSessions.every((s) => s.contactId === null)).toBe(true);
    expect(ownerSessions.map((s) => s.id)).toContain(owner.sessionId);
    expect(ownerSessions.map((s) => s.id)).not.toContain(contact.sessionId);

    const aSessions = await server.client().sessions.list({ contact: aId });
    expect(aSessions.map((s) => ({ id: s.id, contactId: s.contactId }))).toEqual([{ id: contact.sessionId, contactId: aId }]);
  });

  it("starts a new session for A after /reset in A's chat and leaves B's and the owner's sessions alone", async () => {
    const [a, b] = [`a-${tag()}`, `b-${tag()}`];
    const aBefore = await say(server, a, 'first');
    const bBefore = await say(server, b, 'first');
    const ownerBefore = await say(server, undefined, 'first');
    expect(await say(server, a, 'again')).toMatchObject({ sessionId: aBefore.sessionId });

    expect(await say(server, a, '/reset')).toMatchObject({ reply: { text: 'Started a new session.' } });

    const aAfter = await say(server, a, 'after the reset');
    expect(aAfter.sessionId).not.toBeNull();
    expect(aAfter.sessionId).not.toBe(aBefore.sessionId);
    expect(await say(server, b, 'still here')).toMatchObject({ sessionId: bBefore.sessionId });
    expect(await say(server, undefined, 'still here')).toMatchObject({ sessionId: ownerBefore.sessionId });

    const aSessions = await server.client().sessions.list({ contact: aAfter.contactId as ContactId });
    const statusOf = (id: SessionId | null) => aSessions.find((s) => s.id === id)?.status;
    expect([statusOf(aBefore.sessionId), statusOf(aAfter.sessionId)]).toEqual(['closed', 'open']);
  });

  it("keeps A's inbound texts and the echo replies in the transcript, in order", async () => {
    const a = `a-${tag()}`;
    const ids = [randomUUID(), randomUUID()];
    const first = await say(server, a, 'hello there', ids[0]);
    const second = await say(server, a, 'how are you', ids[1]);
    expect(second.sessionId).toBe(first.sessionId);

    const transcript = await server.client().sessions.messages(second.sessionId!);
    expect(transcript.map((m) => ({ direction: m.direction, text: m.text, sender: m.senderContactId, platformId: m.platformMessageId }))).toEqual([
      { direction: 'inbound', text: 'hello there', sender: first.contactId, platformId: ids[0] },
      { direction: 'outbound', text: 'echo: hello there', sender: null, platformId: null },
      { direction: 'inbound', text: 'how are you', sender: first.contactId, platformId: ids[1] },
      { direction: 'outbound', text: 'echo: how are you', sender: null, platformId: null },
    ]);
    expect(transcript.every((m) => m.contactId === first.contactId && m.chatId === a && m.channel === 'telegram')).toBe(true);
  });
});
