import type { AgentId } from '@switchboard/shared';
import { describeEachEngine, type TestEnv } from '../../../../test/engines';
import { contactScope } from '../db/scope';

/** Counts rows of every table in the schema whose text form contains the marker, as the schema owner. */
async function findMarker(env: TestEnv, marker: string): Promise<Record<string, number>> {
  const tables = await env.admin<{ name: string }>(
    `select tablename as name from pg_tables where schemaname in ('public', 'app') order by 1`,
  );
  const found: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await env.admin<{ n: number }>(`select count(*)::int as n from ${name} t where t::text like $1`, [`%${marker}%`]);
    if (row!.n > 0) found[name] = row!.n;
  }
  return found;
}

describeEachEngine('contact erasure', (env) => {
  let agentId: AgentId;

  beforeAll(async () => {
    agentId = (await env.services.agents.getByName(env.owner, 'default')).id;
  });

  async function speak(scope: ReturnType<typeof contactScope>, chatId: string, text: string, sender = scope.principal) {
    const { sessions } = env.services;
    const session = await sessions.openOrResume(scope, { agentId, threadKey: '' }, 'echo');
    const senderContactId = sender.kind === 'contact' ? sender.contactId : null;
    await sessions.appendMessage(scope, session.id, { direction: 'inbound', channel: 'telegram', chatId, senderContactId, text });
    await sessions.appendMessage(scope, session.id, { direction: 'outbound', channel: 'telegram', chatId, text: 'ok' });
  }

  it('removes every trace of the contact from every table and keeps everyone else’s data', async () => {
    const { contacts, memories } = env.services;
    const marker = 'MARKER-7f3a-erase-me';
    const keep = 'KEEP-of-another-contact';

    const a = await contacts.resolve(env.owner, { channel: 'telegram', externalId: 'erase-a', kind: 'person', displayName: marker });
    const a2 = await contacts.resolve(env.owner, { channel: 'whatsapp', externalId: '+15550001', kind: 'person' });
    await env.admin('update contacts set merged_into = $1 where id = $2', [a.contactId, a2.contactId]);
    const b = await contacts.resolve(env.owner, { channel: 'telegram', externalId: 'erase-b', kind: 'person' });
    const g = await contacts.resolveGroupMember(env.owner, { channel: 'telegram', externalId: '-100erase' }, { channel: 'telegram', externalId: 'erase-a' });
    await contacts.resolveGroupMember(env.owner, { channel: 'telegram', externalId: '-100erase' }, { channel: 'telegram', externalId: 'erase-b' });
    const aScope = contactScope(env.tenantId, a.contactId);
    const a2Scope = contactScope(env.tenantId, a2.contactId);
    const bScope = contactScope(env.tenantId, b.contactId);
    const gScope = contactScope(env.tenantId, g.groupId);

    await speak(aScope, 'erase-a', `remember ${marker} in a DM`);
    await speak(a2Scope, '+15550001', `old whatsapp chat ${marker}`);
    await speak(gScope, '-100erase', `${marker} said in the group`, aScope.principal);
    await speak(gScope, '-100erase', `${keep} said in the group`, bScope.principal);
    await speak(bScope, 'erase-b', `${keep} in B's DM`);
    const edited = await memories.remember(aScope, { content: `draft ${marker}` });
    await memories.update(aScope, edited.id, { content: 'edited away' });
    await memories.remember(a2Scope, { content: `whatsapp fact ${marker}` });
    await memories.remember(gScope, { content: `group fact from A ${marker}`, authorContactId: a.contactId });
    await memories.remember(gScope, { content: `group fact from B ${keep}`, authorContactId: b.contactId });
    await memories.remember(env.owner, { content: `owner note about A: ${marker}`, contactId: a.contactId });
    const deleted = await memories.remember(aScope, { content: `deleted ${marker}` });
    await memories.delete(aScope, deleted.id);

    expect(Object.keys(await findMarker(env, marker)).sort()).toEqual(['contacts', 'memories', 'memory_events', 'messages']);

    const result = await contacts.forget(env.owner, a.contactId);

    expect(result.contactId).toBe(a.contactId);
    expect(result.deleted).toMatchObject({ contacts: 2, identities: 2, groupMembers: 1, sessions: 2 });
    expect(result.deleted.messages).toBe(5);
    expect(result.deleted.memories).toBe(4);
    expect(await findMarker(env, marker)).toEqual({});
    expect(await findMarker(env, keep)).toEqual({ memories: 1, memory_events: 1, messages: 2 });
    await expect(contacts.get(env.owner, a.contactId)).rejects.toMatchObject({ code: 'not_found' });
    await expect(contacts.get(env.owner, a2.contactId)).rejects.toMatchObject({ code: 'not_found' });
    expect((await contacts.get(env.owner, g.groupId)).kind).toBe('group');

    // The sender comes back as a brand-new contact with no past.
    const back = await contacts.resolve(env.owner, { channel: 'telegram', externalId: 'erase-a', kind: 'person' });
    expect(back.created).toBe(true);
    expect(await memories.list(contactScope(env.tenantId, back.contactId))).toEqual([]);
  });

  it('answers not-found for an unknown contact and forbids contacts from erasing', async () => {
    const { contacts } = env.services;
    const c = await contacts.resolve(env.owner, { channel: 'discord', externalId: 'erase-c', kind: 'person' });
    await expect(contacts.forget(env.owner, '00000000-0000-4000-8000-000000000000' as never)).rejects.toMatchObject({ code: 'not_found' });
    await expect(contacts.forget(contactScope(env.tenantId, c.contactId), c.contactId)).rejects.toMatchObject({ code: 'forbidden' });
    expect((await contacts.get(env.owner, c.contactId)).id).toBe(c.contactId);
  });
});
