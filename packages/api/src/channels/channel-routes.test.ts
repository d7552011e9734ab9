import { randomUUID } from 'node:crypto';
import { contactScope, ownerScope } from '../db/scope';
import { describeEachServer } from '../../../../test/server-harness';

const TELEGRAM_TOKEN = '123456789:AAFakeTokenForTests_abcdefghijklmnop';
const DISCORD_ID = '112233445566778899';
const DISCORD_TOKEN = `${Buffer.from(DISCORD_ID).toString('base64')}.GhIjKl.fake-discord-token-for-tests`;

describeEachServer('channel accounts and channel state', (server) => {
  it('adds accounts with the id read from the token, lists them without tokens, and gives the gateway the tokens', async () => {
    const owner = server.client();
    const telegram = await owner.channels.add({ channel: 'telegram', token: TELEGRAM_TOKEN, apiRoot: 'http://127.0.0.1:9' });
    expect(telegram).toMatchObject({ channel: 'telegram', accountId: '123456789', agent: 'default', apiRoot: 'http://127.0.0.1:9' });
    expect(await owner.channels.add({ channel: 'discord', token: DISCORD_TOKEN })).toMatchObject({ accountId: DISCORD_ID });
    expect(await owner.channels.add({ channel: 'whatsapp' })).toMatchObject({ accountId: 'default', apiRoot: null });

    const listed = await owner.channels.list();
    expect(listed.map((a) => `${a.channel}:${a.accountId}`)).toEqual(['discord:112233445566778899', 'telegram:123456789', 'whatsapp:default']);
    expect(JSON.stringify(listed)).not.toContain('AAFakeToken');

    const forGateway = await server.client(server.gatewayToken).channels.forGateway();
    expect(forGateway.find((a) => a.channel === 'telegram')?.token).toBe(TELEGRAM_TOKEN);
    expect(forGateway.find((a) => a.channel === 'whatsapp')?.token).toBeNull();
  });

  it('refuses bad tokens, duplicates, unknown agents, and the gateway token on owner routes', async () => {
    const owner = server.client();
    await expect(owner.channels.add({ channel: 'telegram', token: 'not-a-token' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(owner.channels.add({ channel: 'discord', token: 'abc.def.ghi' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(owner.channels.add({ channel: 'telegram' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(owner.channels.add({ channel: 'whatsapp', token: 'x' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(owner.channels.add({ channel: 'telegram', token: TELEGRAM_TOKEN })).rejects.toMatchObject({ code: 'conflict' });
    await expect(owner.channels.add({ channel: 'whatsapp', accountId: 'second', agent: 'nosuch' })).rejects.toMatchObject({ code: 'not_found' });
    const gateway = server.client(server.gatewayToken);
    await expect(gateway.channels.add({ channel: 'whatsapp', accountId: 'planted' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(gateway.channels.list()).rejects.toMatchObject({ code: 'forbidden' });
    await expect(gateway.channels.remove('whatsapp', 'default')).rejects.toMatchObject({ code: 'forbidden' });
    expect((await owner.channels.list()).map((a) => a.accountId)).not.toContain('planted');
  });

  it('stores channel state atomically, key by key, for the gateway; removing the account erases it', async () => {
    const gateway = server.client(server.gatewayToken);
    await server.client().channels.add({ channel: 'whatsapp', accountId: 'state-test' });
    expect(await gateway.channels.writeState('whatsapp', 'state-test', { set: { creds: { me: 'x' }, 'pre-key-1': { k: 1 }, 'pre-key-2': { k: 2 } } }))
      .toEqual({ written: 3 });
    expect(await gateway.channels.writeState('whatsapp', 'state-test', { set: { 'pre-key-1': null, creds: { me: 'y' } } })).toEqual({ written: 2 });
    expect(await gateway.channels.readState('whatsapp', 'state-test')).toEqual({ creds: { me: 'y' }, 'pre-key-2': { k: 2 } });
    await expect(gateway.channels.readState('whatsapp', 'nosuch')).rejects.toMatchObject({ code: 'not_found' });
    await expect(gateway.channels.writeState('whatsapp', 'nosuch', { set: { a: 1 } })).rejects.toMatchObject({ code: 'not_found' });

    await server.client().channels.remove('whatsapp', 'state-test');
    expect(await server.admin("select count(*)::int as n from channel_state where account_key = 'state-test'")).toEqual([{ n: 0 }]);
    await expect(server.client().channels.remove('whatsapp', 'state-test')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('leases an account to one gateway at a time: renewed by its holder, taken over once it expires or is given up', async () => {
    const gateway = server.client(server.gatewayToken);
    await server.client().channels.add({ channel: 'whatsapp', accountId: 'lease-test' });
    const first = await gateway.channels.takeLease('whatsapp', 'lease-test', { holder: 'gw-one', ttlMs: 60_000 });
    expect(first.granted).toBe(true);
    const refused = await gateway.channels.takeLease('whatsapp', 'lease-test', { holder: 'gw-two', ttlMs: 60_000 });
    expect(refused).toEqual({ granted: false, expiresAt: first.expiresAt });
    const renewed = await gateway.channels.takeLease('whatsapp', 'lease-test', { holder: 'gw-one', ttlMs: 60_000 });
    expect(renewed.granted).toBe(true);
    expect(renewed.expiresAt.getTime()).toBeGreaterThanOrEqual(first.expiresAt.getTime());

    expect(await gateway.channels.releaseLease('whatsapp', 'lease-test', 'gw-two')).toBe(false);
    expect(await gateway.channels.releaseLease('whatsapp', 'lease-test', 'gw-one')).toBe(true);
    const short = await gateway.channels.takeLease('whatsapp', 'lease-test', { holder: 'gw-two', ttlMs: 1000 });
    expect(short.granted).toBe(true);
    expect((await gateway.channels.takeLease('whatsapp', 'lease-test', { holder: 'gw-one', ttlMs: 60_000 })).granted).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await gateway.channels.takeLease('whatsapp', 'lease-test', { holder: 'gw-one', ttlMs: 60_000 })).granted).toBe(true);

    await expect(gateway.channels.takeLease('whatsapp', 'nosuch', { holder: 'gw-one', ttlMs: 60_000 })).rejects.toMatchObject({ code: 'not_found' });
    await expect(gateway.channels.takeLease('whatsapp', 'lease-test', { holder: 'has space', ttlMs: 60_000 })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(gateway.channels.takeLease('whatsapp', 'lease-test', { holder: 'gw-one', ttlMs: 5 })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(gateway.channels.takeLease('fax', 'lease-test', { holder: 'gw-one', ttlMs: 60_000 })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await server.admin("select holder from channel_leases where account_key = 'lease-test'")).toEqual([{ holder: 'gw-one' }]);

    await server.client().channels.remove('whatsapp', 'lease-test');
    expect(await server.admin("select count(*)::int as n from channel_leases where account_key = 'lease-test'")).toEqual([{ n: 0 }]);
  });

  it('shows channel accounts, state and leases to no contact and to no scope (row-level security)', async () => {
    await server.client().channels.add({ channel: 'whatsapp', accountId: 'rls-test' });
    await server.client(server.gatewayToken).channels.writeState('whatsapp', 'rls-test', { set: { creds: { secret: 'keys' } } });
    await server.client(server.gatewayToken).channels.takeLease('whatsapp', 'rls-test', { holder: 'gw-rls', ttlMs: 60_000 });
    const { id: contactId } = await server.client().contacts.resolve({ channel: 'telegram', externalId: `rls-${randomUUID()}` });
    const asContact = contactScope(server.tenantId, contactId);
    for (const table of ['channel_accounts', 'channel_state', 'channel_leases']) {
      const seen = await server.db.transaction(asContact, (tx) => tx.query(`select * from ${table}`));
      expect({ table, rows: seen.rows.length }).toEqual({ table, rows: 0 });
      const none = await server.db.unscopedTransaction((tx) => tx.query(`select * from ${table}`));
      expect({ table, rows: none.rows.length }).toEqual({ table, rows: 0 });
      const owner = await server.db.transaction(ownerScope(server.tenantId), (tx) => tx.query(`select * from ${table}`));
      expect(owner.rows.length).toBeGreaterThan(0);
    }
    await expect(server.db.transaction(asContact, (tx) =>
      tx.query("insert into channel_state (tenant_id, channel, account_key, key, value) values ($1, 'whatsapp', 'rls-test', 'planted', '1')", [server.tenantId]),
    )).rejects.toThrow(/row-level security/);
    await expect(server.db.transaction(asContact, (tx) =>
      tx.query("update channel_leases set holder = 'planted' where account_key = 'rls-test'"),
    )).resolves.toMatchObject({ rowCount: 0 });
    expect(await server.admin("select holder from channel_leases where account_key = 'rls-test'")).toEqual([{ holder: 'gw-rls' }]);
  });
});
