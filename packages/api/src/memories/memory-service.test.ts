import type { ContactId } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { contactScope, type Scope } from '../db/scope';

describeEachEngine('memory service', (env) => {
  let a: Scope;
  let b: Scope;
  let group: Scope;
  let aId: ContactId;
  let bId: ContactId;

  beforeAll(async () => {
    const { contacts, memories } = env.services;
    aId = (await contacts.resolve(env.owner, { channel: 'discord', externalId: 'mem-a', kind: 'person' })).contactId;
    bId = (await contacts.resolve(env.owner, { channel: 'discord', externalId: 'mem-b', kind: 'person' })).contactId;
    const g = await contacts.resolveGroupMember(env.owner, { channel: 'discord', externalId: 'mem-g' }, { channel: 'discord', externalId: 'mem-a' });
    a = contactScope(env.tenantId, aId);
    b = contactScope(env.tenantId, bId);
    group = contactScope(env.tenantId, g.groupId);
    await memories.remember(a, { content: 'A has a cat named Miso' });
    await memories.remember(a, { content: 'A prefers tea over coffee' });
    await memories.remember(b, { content: 'B is allergic to cats' });
    await memories.remember(group, { content: 'the group meets on Fridays', authorContactId: aId });
    await memories.remember(env.owner, { content: 'owner private: the wifi password is hunter2' });
    await memories.remember(env.owner, { content: 'shared: the shop opens at nine', visibility: 'shared' });
  });

  const contents = (list: { content: string }[]) => list.map((memory) => memory.content).sort();

  it('lets the owner see every memory of the tenant and narrow to the owner or one contact', async () => {
    const { memories } = env.services;
    const all = contents(await memories.list(env.owner));
    expect(all).toEqual(expect.arrayContaining(['A has a cat named Miso', 'B is allergic to cats', 'the group meets on Fridays', 'owner private: the wifi password is hunter2']));
    expect(contents(await memories.list(env.owner, { contact: 'owner' }))).toEqual([
      'owner private: the wifi password is hunter2',
      'shared: the shop opens at nine',
    ]);
    expect(contents(await memories.list(env.owner, { contact: aId }))).toEqual(['A has a cat named Miso', 'A prefers tea over coffee']);
  });

  it('shows a contact its own memories plus the shared ones, never the owner’s private ones', async () => {
    const { memories } = env.services;
    expect(contents(await memories.list(a))).toEqual(['A has a cat named Miso', 'A prefers tea over coffee', 'shared: the shop opens at nine']);
    expect(contents(await memories.list(b))).toEqual(['B is allergic to cats', 'shared: the shop opens at nine']);
    // A contact's filter cannot widen its view.
    expect(contents(await memories.list(b, { contact: aId }))).toEqual(contents(await memories.list(b)));
  });

  it('recalls matching memories best first, within scope only', async () => {
    const { memories } = env.services;
    const forA = await memories.recall(a, 'cat');
    expect(forA.map((m) => m.content)).toEqual(['A has a cat named Miso']);
    const forB = await memories.recall(b, 'cats allergy');
    expect(forB[0]?.content).toBe('B is allergic to cats');
    expect(forB.map((m) => m.content)).not.toContain('A has a cat named Miso');
    const forOwner = await memories.recall(env.owner, 'cat');
    expect(contents(forOwner)).toEqual(['A has a cat named Miso', 'B is allergic to cats']);
    expect((await memories.recall(a, 'coffee or tea')).map((m) => m.content)[0]).toBe('A prefers tea over coffee');
  });

  it('finds a memory by a query word that misses one letter, and ranks exact words first', async () => {
    const { memories } = env.services;
    expect((await memories.recall(b, 'alergic')).map((m) => m.content)).toEqual(['B is allergic to cats']);
    expect((await memories.recall(env.owner, 'cat')).map((m) => m.content)).toEqual(['A has a cat named Miso', 'B is allergic to cats']);
    // Two letters off, or a letter too many, is no match.
    expect(await memories.recall(b, 'alegic')).toEqual([]);
    expect(await memories.recall(b, 'allergics')).toEqual([]);
  });

  it('stores and finds a memory holding long pasted tokens (no near misses for words over 30 letters)', async () => {
    const { memories } = env.services;
    const token = 'k'.repeat(1000) + 'x'.repeat(1000);
    const content = `${token} ${'q'.repeat(300)} the parcel locker code`;
    const stored = await memories.remember(a, { content });
    expect((await memories.recall(a, 'locker')).map((m) => m.id)).toEqual([stored.id]);
    expect((await memories.recall(a, token)).map((m) => m.id)).toEqual([stored.id]);
    expect(await memories.recall(a, token.slice(1))).toEqual([]);
    await memories.delete(a, stored.id);
  });

  it('searches each kind of scope only where it may look', async () => {
    const { memories } = env.services;
    const search = async (scope: Scope, q: string, contact?: ContactId | 'owner') => contents(await memories.list(scope, { q, contact }));
    // A contact: its own memories and the shared ones; never another contact's or the owner's private ones.
    expect(await search(a, 'cat shop wifi')).toEqual(['A has a cat named Miso', 'shared: the shop opens at nine']);
    expect(await search(b, 'cat shop wifi')).toEqual(['B is allergic to cats', 'shared: the shop opens at nine']);
    expect(await search(b, 'cat shop', aId)).toEqual(await search(b, 'cat shop'));
    expect(await search(group, 'cat fridays')).toEqual(['the group meets on Fridays']);
    // The owner: the whole tenant, its own memories, or one contact's.
    expect(await search(env.owner, 'cat shop wifi')).toEqual([
      'A has a cat named Miso', 'B is allergic to cats', 'owner private: the wifi password is hunter2', 'shared: the shop opens at nine',
    ]);
    expect(await search(env.owner, 'cat shop wifi', 'owner')).toEqual(['owner private: the wifi password is hunter2', 'shared: the shop opens at nine']);
    expect(await search(env.owner, 'cat shop wifi', bId)).toEqual(['B is allergic to cats']);
  });

  it('recalls the most recent visible memories for an empty query and respects the limit', async () => {
    const recent = await env.services.memories.recall(a, '', { limit: 2 });
    expect(recent).toHaveLength(2);
    expect(recent.every((m) => m.contactId === aId || m.visibility === 'shared')).toBe(true);
  });

  it('treats query punctuation and SQL as plain text', async () => {
    const found = await env.services.memories.recall(a, "cat'); drop table memories; -- & | !");
    expect(found.map((m) => m.content)).toContain('A has a cat named Miso');
    const [row] = await env.admin<{ n: number }>('select count(*)::int as n from memories');
    expect(row!.n).toBeGreaterThan(0);
  });

  it('keeps a group’s memories apart from its members’ private memories', async () => {
    const { memories } = env.services;
    expect(contents(await memories.list(group))).toEqual(['shared: the shop opens at nine', 'the group meets on Fridays']);
    expect(contents(await memories.list(a))).not.toContain('the group meets on Fridays');
  });

  it('refuses to let a contact share a memory or write one for another contact', async () => {
    const { memories } = env.services;
    await expect(memories.remember(a, { content: 'x', visibility: 'shared' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(memories.remember(a, { content: 'planted', contactId: bId })).rejects.toMatchObject({ code: 'not_found' });
    expect(contents(await memories.list(b))).not.toContain('planted');
    const own = await memories.remember(a, { content: 'own note' });
    await expect(memories.update(a, own.id, { visibility: 'shared' })).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('records add, edit and delete in the history, which outlives the memory', async () => {
    const { memories } = env.services;
    const memory = await memories.remember(a, { content: 'favourite colour is green' });
    await memories.update(a, memory.id, { content: 'favourite colour is blue' });
    await memories.update(env.owner, memory.id, { visibility: 'shared' });
    await memories.delete(a, memory.id);
    await expect(memories.get(a, memory.id)).rejects.toMatchObject({ code: 'not_found' });
    const history = await memories.history(a, memory.id);
    expect(history.map((e) => [e.kind, e.oldContent, e.newContent, e.oldVisibility, e.newVisibility])).toEqual([
      ['add', null, 'favourite colour is green', null, 'private'],
      ['edit', 'favourite colour is green', 'favourite colour is blue', 'private', 'private'],
      ['edit', 'favourite colour is blue', 'favourite colour is blue', 'private', 'shared'],
      ['delete', 'favourite colour is blue', null, 'shared', null],
    ]);
    await expect(memories.history(b, memory.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('lets a contact read a shared memory but not change or delete it', async () => {
    const { memories } = env.services;
    const shared = await memories.remember(env.owner, { content: 'shared: closed on Sundays', visibility: 'shared' });
    expect((await memories.get(b, shared.id)).content).toBe('shared: closed on Sundays');
    await expect(memories.update(b, shared.id, { content: 'open on Sundays' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(memories.delete(b, shared.id)).rejects.toMatchObject({ code: 'not_found' });
    expect((await memories.get(env.owner, shared.id)).content).toBe('shared: closed on Sundays');
  });
});
