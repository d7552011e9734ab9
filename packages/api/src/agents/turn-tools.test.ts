import { randomUUID } from 'node:crypto';
import { describeEachEngine } from '../../../../test/engines';
import { contactScope } from '../db/scope';
import { createTurnGrants } from './turn-grants';
import { turnToolsFor } from './turn-tools';

describeEachEngine('memory tools bound to a turn token (what HTTP providers call)', (env) => {
  it('act in the token\'s scope and stop working once the token is revoked', async () => {
    const { contactId } = await env.services.contacts.resolve(env.owner, { channel: 'discord', externalId: 'tools-a', kind: 'person' });
    const scope = contactScope(env.tenantId, contactId);
    const grants = createTurnGrants();
    const { token, revoke } = grants.mint({ scope, authorContactId: null, eventId: null }, 60_000);
    const tools = turnToolsFor(env.services.memories, grants, token);
    const memory = await tools.remember('A sails on weekends');
    expect(memory.contactId).toBe(contactId);
    expect((await tools.recall('sails')).map((m) => m.id)).toEqual([memory.id]);
    revoke();
    await expect(tools.remember('written after the turn')).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(tools.recall('')).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(tools.forget(memory.id)).rejects.toMatchObject({ code: 'unauthorized' });
    expect((await env.services.memories.list(scope)).map((m) => m.content)).toEqual(['A sails on weekends']);
  });

  it('remember the same content once per turn, so a turn run again after a crash adds nothing twice', async () => {
    const { contactId } = await env.services.contacts.resolve(env.owner, { channel: 'discord', externalId: 'tools-rerun', kind: 'person' });
    const scope = contactScope(env.tenantId, contactId);
    const grants = createTurnGrants();
    const eventId = randomUUID();
    const toolsOf = (id: string) => turnToolsFor(env.services.memories, grants, grants.mint({ scope, authorContactId: null, eventId: id }, 60_000).token);

    const firstRun = toolsOf(eventId);
    const stored = await firstRun.remember('B keeps bees');
    const rerun = toolsOf(eventId);
    expect(await rerun.remember('B keeps bees')).toEqual(stored);
    expect((await rerun.remember('B keeps two hives')).id).not.toBe(stored.id);
    // The next message's turn is another event: saying it again there is a new memory.
    expect((await toolsOf(randomUUID()).remember('B keeps bees')).id).not.toBe(stored.id);

    const contents = (await env.services.memories.list(scope)).map((m) => m.content).sort();
    expect(contents).toEqual(['B keeps bees', 'B keeps bees', 'B keeps two hives']);
    expect((await env.services.memories.history(scope, stored.id)).map((event) => event.kind)).toEqual(['add']);

    // The owner may edit one of the turn's memories to read like another of them.
    const hives = (await env.services.memories.list(scope)).find((m) => m.content === 'B keeps two hives')!;
    expect((await env.services.memories.update(env.owner, hives.id, { content: 'B keeps bees' })).content).toBe('B keeps bees');

    // Another contact's turn never gets this memory back, even under the same event id.
    const other = await env.services.contacts.resolve(env.owner, { channel: 'discord', externalId: 'tools-rerun-b', kind: 'person' });
    const otherScope = contactScope(env.tenantId, other.contactId);
    const otherTools = turnToolsFor(env.services.memories, grants, grants.mint({ scope: otherScope, authorContactId: null, eventId }, 60_000).token);
    const own = await otherTools.remember('B keeps bees');
    expect(own.id).not.toBe(stored.id);
    expect(own.contactId).toBe(other.contactId);
    expect((await env.services.memories.list(otherScope)).map((m) => m.id)).toEqual([own.id]);
  });
});
