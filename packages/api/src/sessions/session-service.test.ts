import type { AgentId, ContactId } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { contactScope, type Scope } from '../db/scope';

describeEachEngine('session service', (env) => {
  let agentId: AgentId;
  let contact: Scope;
  let contactId: ContactId;

  beforeAll(async () => {
    agentId = (await env.services.agents.getByName(env.owner, 'default')).id;
    contactId = (await env.services.contacts.resolve(env.owner, { channel: 'telegram', externalId: 's-1', kind: 'person' })).contactId;
    contact = contactScope(env.tenantId, contactId);
  });

  it('resumes the same open session for the same scope, agent and thread', async () => {
    const { sessions } = env.services;
    const first = await sessions.openOrResume(contact, { agentId, threadKey: 'resume' }, 'echo');
    const again = await sessions.openOrResume(contact, { agentId, threadKey: 'resume' }, 'echo');
    const otherThread = await sessions.openOrResume(contact, { agentId, threadKey: 'resume-2' }, 'echo');
    expect(again.id).toBe(first.id);
    expect(otherThread.id).not.toBe(first.id);
    expect(first.contactId).toBe(contactId);
  });

  it("never returns a contact's session to the owner, nor the owner's to a contact", async () => {
    const { sessions } = env.services;
    const ownerSession = await sessions.openOrResume(env.owner, { agentId, threadKey: 'shared-key' }, 'echo');
    const contactSession = await sessions.openOrResume(contact, { agentId, threadKey: 'shared-key' }, 'echo');
    expect(ownerSession.contactId).toBeNull();
    expect(contactSession.contactId).toBe(contactId);
    expect(contactSession.id).not.toBe(ownerSession.id);
    expect((await sessions.openOrResume(env.owner, { agentId, threadKey: 'shared-key' }, 'echo')).id).toBe(ownerSession.id);
    expect((await sessions.list(env.owner, { contact: 'owner' })).map((s) => s.contactId)).not.toContain(contactId);
    expect((await sessions.list(env.owner, { contact: contactId })).every((s) => s.contactId === contactId)).toBe(true);
    expect((await sessions.list(contact)).every((s) => s.contactId === contactId)).toBe(true);
  });

  it('keeps at most one open session per key when many turns open it at once', async () => {
    const { sessions } = env.services;
    const opened = await Promise.all(
      Array.from({ length: 20 }, () => sessions.openOrResume(contact, { agentId, threadKey: 'race' }, 'echo')),
    );
    expect(new Set(opened.map((s) => s.id)).size).toBe(1);
    const [row] = await env.admin<{ n: number }>(
      `select count(*)::int as n from sessions where contact_id = $1 and thread_key = 'race' and status = 'open'`,
      [contactId],
    );
    expect(row!.n).toBe(1);
  });

  it('after a reset stores the new provider session id and resumes it, never the discarded one', async () => {
    const { sessions } = env.services;
    const key = { agentId, threadKey: 'reset' };
    const old = await sessions.openOrResume(contact, key, 'claude');
    expect(await sessions.setProviderSessionId(contact, old.id, null, 'provider-old')).toBe(true);

    // A turn that read the old session before the reset ...
    const staleRead = await sessions.openOrResume(contact, key, 'claude');
    const closed = await sessions.reset(contact, key);
    expect(closed?.id).toBe(old.id);

    // ... cannot write its provider id back once the session is closed.
    expect(await sessions.setProviderSessionId(contact, staleRead.id, 'provider-old', 'provider-stale')).toBe(false);

    const fresh = await sessions.openOrResume(contact, key, 'claude');
    expect(fresh.id).not.toBe(old.id);
    expect(fresh.providerSessionId).toBeNull();
    expect(await sessions.setProviderSessionId(contact, fresh.id, null, 'provider-new')).toBe(true);
    // Compare-and-set: a second writer that read null loses.
    expect(await sessions.setProviderSessionId(contact, fresh.id, null, 'provider-other')).toBe(false);

    const resumed = await sessions.openOrResume(contact, key, 'claude');
    expect(resumed.id).toBe(fresh.id);
    expect(resumed.providerSessionId).toBe('provider-new');
    expect((await sessions.get(contact, old.id)).providerSessionId).toBe('provider-old');
  });

  it("lets the owner reset a contact's session but resets only that chat", async () => {
    const { sessions } = env.services;
    const key = { agentId, threadKey: 'owner-reset' };
    const contactSession = await sessions.openOrResume(contact, key, 'echo');
    const ownerSession = await sessions.openOrResume(env.owner, key, 'echo');
    const closed = await sessions.reset(env.owner, { ...key, contact: contactId });
    expect(closed?.id).toBe(contactSession.id);
    expect((await sessions.get(env.owner, ownerSession.id)).status).toBe('open');
    expect(await sessions.reset(env.owner, { ...key, contact: contactId })).toBeUndefined();
    expect((await sessions.reset(env.owner, key))?.id).toBe(ownerSession.id);
  });

  it('refuses a contact that names another contact in a reset', async () => {
    const other = (await env.services.contacts.resolve(env.owner, { channel: 'telegram', externalId: 's-2', kind: 'person' })).contactId;
    await expect(env.services.sessions.reset(contact, { agentId, threadKey: '', contact: other })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('stores an inbound platform message once and lists the transcript in order', async () => {
    const { sessions } = env.services;
    const session = await sessions.openOrResume(contact, { agentId, threadKey: 'transcript' }, 'echo');
    const inbound = { direction: 'inbound' as const, channel: 'telegram' as const, chatId: 's-1', senderContactId: contactId };
    const first = await sessions.appendMessage(contact, session.id, { ...inbound, platformMessageId: '77', text: 'one' });
    const repeat = await sessions.appendMessage(contact, session.id, { ...inbound, platformMessageId: '77', text: 'one' });
    await sessions.appendMessage(contact, session.id, { direction: 'outbound', channel: 'telegram', chatId: 's-1', text: 'two' });
    await sessions.appendMessage(contact, session.id, { ...inbound, platformMessageId: '78', text: 'three' });
    expect(first.duplicate).toBe(false);
    expect(repeat.duplicate).toBe(true);
    // The same platform id received by another bot account in the same chat is another message.
    const viaOtherBot = await sessions.appendMessage(contact, session.id, { ...inbound, accountKey: 'second-bot', platformMessageId: '77', text: 'one' });
    expect(viaOtherBot.duplicate).toBe(false);
    const transcript = await sessions.messages(contact, session.id);
    expect(transcript.map((m) => m.text)).toEqual(['one', 'two', 'three', 'one']);
    expect(transcript.every((m) => m.contactId === contactId)).toBe(true);
    expect((await sessions.messages(contact, session.id, { limit: 2 })).map((m) => m.text)).toEqual(['three', 'one']);
  });
});
