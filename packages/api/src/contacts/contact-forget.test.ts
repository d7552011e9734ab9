import { describeEachEngine, type TestEnv } from '../../../../test/engines';
import { runEchoTurn } from '../../../../test/echo-turns';
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
  /** A turn of the sender with the echo agent, in its direct chat or in the group chat `group`. */
  const speak = (channel: 'telegram' | 'whatsapp', sender: string, text: string, group?: string) =>
    runEchoTurn(env, { channel, sender: { id: sender }, text, ...(group ? { chat: { id: group, type: 'group' as const }, mentioned: true } : {}) });

  it('removes every trace of the contact from every table and keeps everyone else’s data', async () => {
    const { contacts, memories } = env.services;
    const marker = 'MARKER-7f3a-erase-me';
    const keep = 'KEEP-of-another-contact';

    const a = await contacts.resolve(env.owner, { channel: 'telegram', externalId: 'erase-a', kind: 'person', displayName: marker });
    const a2 = await contacts.resolve(env.owner, { channel: 'whatsapp', externalId: '+15550001', kind: 'person' });
    const b = await contacts.resolve(env.owner, { channel: 'telegram', externalId: 'erase-b', kind: 'person' });
    const g = await contacts.resolveGroupMember(env.owner, { channel: 'telegram', externalId: '-100erase' }, { channel: 'telegram', externalId: 'erase-a' });
    await contacts.resolveGroupMember(env.owner, { channel: 'telegram', externalId: '-100erase' }, { channel: 'telegram', externalId: 'erase-b' });
    const aScope = contactScope(env.tenantId, a.contactId);
    const a2Scope = contactScope(env.tenantId, a2.contactId);
    const gScope = contactScope(env.tenantId, g.groupId);

    const turns = [
      await speak('telegram', 'erase-a', `${marker} in a DM`),
      await speak('whatsapp', '+15550001', `old whatsapp chat ${marker}`), // its own session, from before the merge
      await speak('telegram', 'erase-a', `${marker} said in the group`, '-100erase'),
      await speak('telegram', 'erase-b', `${keep} said in the group`, '-100erase'),
      await speak('telegram', 'erase-b', `${keep} in B's DM`),
    ];
    expect(turns.map((turn) => turn.contactId)).toEqual([a.contactId, a2.contactId, g.groupId, g.groupId, b.contactId]);
    await env.admin('update contacts set merged_into = $1 where id = $2', [a.contactId, a2.contactId]);
    const edited = await memories.remember(aScope, { content: `draft ${marker}` });
    await memories.update(aScope, edited.id, { content: 'edited away' });
    await memories.remember(a2Scope, { content: `whatsapp fact ${marker}` });
    await memories.remember(gScope, { content: `group fact from A ${marker}`, authorContactId: a.contactId });
    await memories.remember(gScope, { content: `group fact from B ${keep}`, authorContactId: b.contactId });
    await memories.remember(env.owner, { content: `owner note about A: ${marker}`, contactId: a.contactId });
    const deleted = await memories.remember(aScope, { content: `deleted ${marker}` });
    await memories.delete(aScope, deleted.id);

    expect(Object.keys(await findMarker(env, marker)).sort()).toEqual(['contacts', 'inbound_events', 'memories', 'memory_events', 'messages', 'outbox']);

    const result = await contacts.forget(env.owner, a.contactId);

    expect(result.contactId).toBe(a.contactId);
    expect(result.deleted).toMatchObject({ contacts: 2, identities: 2, groupMembers: 1, sessions: 2 });
    // Its DM (message and reply), its old WhatsApp chat (both), and in the group its message and the reply to it.
    expect(result.deleted.messages).toBe(6);
    expect(result.deleted.memories).toBe(4);
    expect(await findMarker(env, marker)).toEqual({});
    expect(await findMarker(env, keep)).toEqual({ inbound_events: 2, memories: 1, memory_events: 1, messages: 4, outbox: 2 });
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
