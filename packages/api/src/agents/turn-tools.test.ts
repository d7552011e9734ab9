import { describeEachEngine } from '../../../../test/engines';
import { contactScope } from '../db/scope';
import { createTurnGrants } from './turn-grants';
import { turnToolsFor } from './turn-tools';

describeEachEngine('memory tools bound to a turn token (what HTTP providers call)', (env) => {
  it('act in the token\'s scope and stop working once the token is revoked', async () => {
    const { contactId } = await env.services.contacts.resolve(env.owner, { channel: 'discord', externalId: 'tools-a', kind: 'person' });
    const scope = contactScope(env.tenantId, contactId);
    const grants = createTurnGrants();
    const { token, revoke } = grants.mint({ scope, authorContactId: null }, 60_000);
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
});
