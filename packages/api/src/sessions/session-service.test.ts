import { randomUUID } from 'node:crypto';
import type { AgentId, ContactId } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { runEchoTurn, type EchoMessage } from '../../../../test/echo-turns';
import { contactScope, type Scope } from '../db/scope';

describeEachEngine('session service', (env) => {
  let agentId: AgentId;
  let contact: Scope;
  let contactId: ContactId;

  /** A turn of contact s-1 in its DM, or of the owner in its own chat, in the thread. */
  const fromContact = (text: string, thread: string, extra: Partial<EchoMessage> = {}) =>
    runEchoTurn(env, { channel: 'telegram', sender: { id: 's-1' }, thread: { id: thread }, text, ...extra });
  const fromOwner = (text: string, thread: string) => runEchoTurn(env, { channel: 'cli', thread: { id: thread }, text });

  beforeAll(async () => {
    agentId = (await env.services.agents.getByName(env.owner, 'default')).id;
    contactId = (await env.services.contacts.resolve(env.owner, { channel: 'telegram', externalId: 's-1', kind: 'person' })).contactId;
    contact = contactScope(env.tenantId, contactId);
  });

  it("resumes the contact's open session for the same thread and opens another for another thread", async () => {
    const first = await fromContact('hello', 'resume');
    const again = await fromContact('hello again', 'resume');
    const otherThread = await fromContact('hello elsewhere', 'resume-2');
    expect(first.contactId).toBe(contactId);
    expect(again.sessionId).toBe(first.sessionId);
    expect(otherThread.sessionId).not.toBe(first.sessionId);
    expect(await env.services.sessions.get(contact, first.sessionId!)).toMatchObject({ contactId, threadKey: 'resume', status: 'open' });
  });

  it("never returns a contact's session to the owner, nor the owner's to a contact", async () => {
    const { sessions } = env.services;
    const ownerTurn = await fromOwner('hello from the owner', 'shared-key');
    const contactTurn = await fromContact('hello from s-1', 'shared-key');
    expect(ownerTurn.contactId).toBeNull();
    expect((await sessions.get(env.owner, ownerTurn.sessionId!)).contactId).toBeNull();
    expect((await sessions.get(contact, contactTurn.sessionId!)).contactId).toBe(contactId);
    expect(contactTurn.sessionId).not.toBe(ownerTurn.sessionId);
    expect((await fromOwner('the owner again', 'shared-key')).sessionId).toBe(ownerTurn.sessionId);
    await expect(sessions.get(contact, ownerTurn.sessionId!)).rejects.toMatchObject({ code: 'not_found' });
    expect((await sessions.list(env.owner, { contact: 'owner' })).map((s) => s.contactId)).not.toContain(contactId);
    expect((await sessions.list(env.owner, { contact: contactId })).every((s) => s.contactId === contactId)).toBe(true);
    expect((await sessions.list(contact)).every((s) => s.contactId === contactId)).toBe(true);
  });

  it("lets the owner reset a contact's session but resets only that chat", async () => {
    const { sessions } = env.services;
    const key = { agentId, threadKey: 'owner-reset' };
    const contactTurn = await fromContact('hello', 'owner-reset');
    const ownerTurn = await fromOwner('hello', 'owner-reset');
    const closed = await sessions.reset(env.owner, { ...key, contact: contactId });
    expect(closed?.id).toBe(contactTurn.sessionId);
    expect((await sessions.get(env.owner, ownerTurn.sessionId!)).status).toBe('open');
    expect(await sessions.reset(env.owner, { ...key, contact: contactId })).toBeUndefined();
    expect((await sessions.reset(env.owner, key))?.id).toBe(ownerTurn.sessionId);
    expect((await fromContact('after the reset', 'owner-reset')).sessionId).not.toBe(contactTurn.sessionId);
  });

  it('refuses a contact that names another contact in a reset', async () => {
    const other = (await env.services.contacts.resolve(env.owner, { channel: 'telegram', externalId: 's-2', kind: 'person' })).contactId;
    await expect(env.services.sessions.reset(contact, { agentId, threadKey: '', contact: other })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('stores an inbound platform message once and lists the transcript in order', async () => {
    const { sessions, inbound } = env.services;
    const repeated = randomUUID();
    const first = await fromContact('one', 'transcript', { messageId: repeated });
    const again = await inbound.accept(
      { kind: 'owner', tenantId: env.tenantId },
      { channel: 'telegram', sender: { id: 's-1' }, thread: { id: 'transcript' }, messageId: repeated, text: 'one' },
    );
    expect(again).toMatchObject({ status: 'duplicate', eventId: first.eventId });
    await fromContact('three', 'transcript');
    // The same platform id received by another bot account in the same chat is another message.
    const viaOtherBot = await fromContact('one', 'transcript', { messageId: repeated, accountId: 'second-bot' });
    expect(viaOtherBot.sessionId).toBe(first.sessionId);

    const transcript = await sessions.messages(contact, first.sessionId!);
    expect(transcript.map((m) => [m.direction, m.text, m.accountKey])).toEqual([
      ['inbound', 'one', 'default'], ['outbound', 'echo: one', 'default'],
      ['inbound', 'three', 'default'], ['outbound', 'echo: three', 'default'],
      ['inbound', 'one', 'second-bot'], ['outbound', 'echo: one', 'second-bot'],
    ]);
    expect(transcript.every((m) => m.contactId === contactId)).toBe(true);
    expect((await sessions.messages(contact, first.sessionId!, { limit: 2 })).map((m) => m.text)).toEqual(['one', 'echo: one']);
  });
});
