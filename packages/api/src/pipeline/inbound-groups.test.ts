/**
 * Group chats over real HTTP: a group is its own contact (linked to the people who speak in it),
 * its memories stay apart from its members' DMs, and it is answered only when addressed (mentioned
 * or a chat command) unless the agent answers every group message.
 */
import { randomUUID } from 'node:crypto';
import type { ContactId, InboundMessage } from '@switchboard/shared';
import { describeEachServerWithSupabase, type TestServer } from '../../../../test/server-harness';

const tag = () => randomUUID().slice(0, 8);

function inGroup(group: string, sender: string, text: string, mentioned?: boolean): InboundMessage {
  return {
    channel: 'telegram', chat: { id: group, type: 'group' }, sender: { id: sender, displayName: `member ${sender}` },
    messageId: randomUUID(), text, ...(mentioned === undefined ? {} : { mentioned }),
  };
}

function direct(sender: string, text: string): InboundMessage {
  return { channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text };
}

async function answered(server: TestServer, message: InboundMessage) {
  const answer = await server.client().inbound(message, { wait: true });
  if (answer.status !== 'done') throw new Error(`expected the turn to run, got ${JSON.stringify(answer)}`);
  return answer;
}

async function personOf(server: TestServer, externalId: string): Promise<ContactId> {
  const contact = (await server.client().contacts.list()).find((c) =>
    c.identities.some((i) => i.channel === 'telegram' && i.externalId === externalId));
  if (!contact) throw new Error(`no contact for telegram:${externalId}`);
  return contact.id;
}

async function count(server: TestServer, sql: string, params: unknown[]): Promise<number> {
  const [row] = await server.admin<{ n: number }>(`select count(*)::int as n from ${sql}`, params);
  return row!.n;
}

function lines(text: string): string[] {
  return text === 'no memories' ? [] : text.split('\n').sort();
}

describeEachServerWithSupabase('group chats over real HTTP', (server) => {
  const groupId = () => `-100${Math.floor(Math.random() * 1e9)}`;
  const sharedContents = async () =>
    (await server.client().memories.list()).filter((m) => m.visibility === 'shared').map((m) => m.content);

  it('creates a group contact and a person contact for the sender, links them, and answers as the group', async () => {
    const [group, sender] = [groupId(), `p-${tag()}`];
    const answer = await answered(server, inGroup(group, sender, 'hello group', true));
    expect(answer.reply.text).toBe('echo: hello group');

    const groupContact = await server.client().contacts.get(answer.contactId!);
    expect(groupContact).toMatchObject({ kind: 'group', identities: [{ channel: 'telegram', externalId: group }] });
    const personId = await personOf(server, sender);
    expect(personId).not.toBe(groupContact.id);
    expect(await server.client().contacts.get(personId)).toMatchObject({
      kind: 'person', displayName: `member ${sender}`, identities: [{ channel: 'telegram', externalId: sender }],
    });
    const members = await server.admin<{ member: string }>(
      'select member_contact_id::text as member from group_members where group_contact_id = $1', [groupContact.id],
    );
    expect(members).toEqual([{ member: personId }]);

    const transcript = await server.client().sessions.messages(answer.sessionId!);
    expect(transcript.map((m) => [m.direction, m.contactId, m.senderContactId, m.chatId])).toEqual([
      ['inbound', groupContact.id, personId, group],
      ['outbound', groupContact.id, null, group],
    ]);
    const outbox = await server.client().outbox.list({ channel: 'telegram' });
    expect(outbox.filter((item) => item.eventId === answer.eventId)).toEqual([
      expect.objectContaining({ contactId: groupContact.id, chatId: group, text: 'echo: hello group' }),
    ]);
  });

  it('keeps the group’s memories out of the member’s DM recall and the member’s DM memories out of the group’s', async () => {
    const [group, sender, t] = [groupId(), `p-${tag()}`, tag()];
    await answered(server, inGroup(group, sender, `remember group plan ${t}`, true));
    await answered(server, direct(sender, `remember my own secret ${t}`));
    const shared = await sharedContents();

    const dmRecall = await answered(server, direct(sender, 'recall'));
    expect(lines(dmRecall.reply.text)).toEqual([`my own secret ${t}`, ...shared].sort());
    const groupRecall = await answered(server, inGroup(group, sender, 'recall', true));
    expect(lines(groupRecall.reply.text)).toEqual([`group plan ${t}`, ...shared].sort());

    const personId = await personOf(server, sender);
    const groupMemory = (await server.client().memories.list({ contact: groupRecall.contactId! })).map((m) => [m.content, m.authorContactId]);
    expect(groupMemory).toEqual([[`group plan ${t}`, personId]]);
  });

  it('stores an unmentioned group message as ignored and runs no turn for it', async () => {
    const [group, sender] = [groupId(), `p-${tag()}`];
    const message = inGroup(group, sender, 'just chatting among ourselves');
    const ignored = await server.client().inbound(message, { wait: true });
    expect(ignored).toMatchObject({ status: 'ignored', reason: 'not_mentioned' });
    expect(ignored.contactId).not.toBeNull();
    expect('reply' in ignored).toBe(false);

    // A later addressed message in the same lane runs only after anything queued before it.
    const later = await answered(server, inGroup(group, sender, 'and now to the bot', true));
    expect(later.contactId).toBe(ignored.contactId);
    const [event] = await server.admin<{ status: string; reason: string; session_id: string | null; text: string }>(
      'select status, reason, session_id, text from inbound_events where id = $1', [ignored.eventId],
    );
    expect(event).toEqual({ status: 'ignored', reason: 'not_mentioned', session_id: null, text: 'just chatting among ourselves' });
    expect(await count(server, 'turn_queue where event_id = $1', [ignored.eventId])).toBe(0);
    expect(await count(server, 'outbox where event_id = $1', [ignored.eventId])).toBe(0);
    expect(await count(server, 'messages where platform_message_id = $1', [message.messageId])).toBe(0);
    const transcript = await server.client().sessions.messages(later.sessionId!);
    expect(transcript.map((m) => m.text)).toEqual(['and now to the bot', 'echo: and now to the bot']);
  });

  it('ignores mentioned: false the same as an absent mention', async () => {
    const answer = await server.client().inbound(inGroup(groupId(), `p-${tag()}`, 'hi', false));
    expect(answer).toMatchObject({ status: 'ignored', reason: 'not_mentioned' });
  });

  it("answers unmentioned group messages while the agent's groupReplies is 'all', and stops again once restored", async () => {
    const [group, sender] = [groupId(), `p-${tag()}`];
    const client = server.client();
    expect(await client.inbound(inGroup(group, sender, 'before'))).toMatchObject({ status: 'ignored' });
    try {
      await client.agents.update('default', { groupReplies: 'all' });
      const answer = await answered(server, inGroup(group, sender, 'anyone there?'));
      expect(answer.reply.text).toBe('echo: anyone there?');
    } finally {
      await client.agents.update('default', { groupReplies: 'mention' });
    }
    expect(await client.inbound(inGroup(group, sender, 'after'))).toMatchObject({ status: 'ignored', reason: 'not_mentioned' });
  });

  it('names the group contact, its identity and the speaking member on /whoami in the group, without a mention', async () => {
    const [group, sender] = [groupId(), `p-${tag()}`];
    const answer = await answered(server, inGroup(group, sender, '/whoami'));
    const personId = await personOf(server, sender);
    expect(answer.reply.text).toBe(`This group is contact ${answer.contactId} (telegram:${group}); you are member ${personId}`);
    expect((await server.client().contacts.get(answer.contactId!)).kind).toBe('group');
  });

  it('runs /reset in a group on the group’s session only', async () => {
    const [group, sender] = [groupId(), `p-${tag()}`];
    const inTheGroup = await answered(server, inGroup(group, sender, 'first', true));
    const inTheDm = await answered(server, direct(sender, 'first'));
    expect(await answered(server, inGroup(group, sender, '/reset'))).toMatchObject({ reply: { text: 'Started a new session.' } });
    const groupAfter = await answered(server, inGroup(group, sender, 'second', true));
    const dmAfter = await answered(server, direct(sender, 'second'));
    expect(groupAfter.sessionId).not.toBe(inTheGroup.sessionId);
    expect(dmAfter.sessionId).toBe(inTheDm.sessionId);
  });

  describe('chat.title', () => {
    const titled = (group: string, sender: string, title: string | undefined, text = 'hi'): InboundMessage => {
      const message = inGroup(group, sender, text, true);
      return { ...message, chat: { id: group, type: 'group', ...(title === undefined ? {} : { title }) } };
    };
    const post = (body: unknown) => server.fetch('/v1/inbound', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

    it('names the group contact on creation, follows a new title, and keeps the name when a message has none', async () => {
      const [group, sender] = [groupId(), `p-${tag()}`];
      const first = await server.client().inbound(titled(group, sender, 'Book club'));
      expect(await server.client().contacts.get(first.contactId!)).toMatchObject({ kind: 'group', displayName: 'Book club' });
      await server.client().inbound(titled(group, sender, 'Book club 2026'));
      expect((await server.client().contacts.get(first.contactId!)).displayName).toBe('Book club 2026');
      await server.client().inbound(titled(group, sender, undefined));
      expect((await server.client().contacts.get(first.contactId!)).displayName).toBe('Book club 2026');
      expect((await server.client().contacts.get(await personOf(server, sender))).displayName).toBe(`member ${sender}`);
    });

    it('stores a hostile title exactly as sent (escapes, bidi overrides, SQL)', async () => {
      const hostile = `\u001b]52;c;ZXZpbA==\u0007\u001b[2J\u202eevil'); drop table contacts; --`;
      const answer = await server.client().inbound(titled(groupId(), `p-${tag()}`, hostile));
      expect((await server.client().contacts.get(answer.contactId!)).displayName).toBe(hostile);
    });

    it('refuses a title over 200 characters, a blank one, and one on a direct chat, storing nothing', async () => {
      const [group, sender] = [groupId(), `p-${tag()}`];
      for (const chat of [{ id: group, type: 'group', title: 'x'.repeat(201) }, { id: group, type: 'group', title: '   ' }, { id: sender, type: 'direct', title: 'me' }]) {
        const response = await post({ channel: 'telegram', chat, sender: { id: sender }, messageId: randomUUID(), text: 'hi' });
        expect(response.status).toBe(400);
        expect(((await response.json()) as { error: { details: { path: string[] }[] } }).error.details.map((d) => d.path.join('.'))).toEqual(['chat.title']);
      }
      expect(await count(server, 'contact_identities where external_id = any($1)', [[group, sender]])).toBe(0);
    });
  });
});
