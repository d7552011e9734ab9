import { createFakeServer, fakeContact } from '../cli-fake-server';

describe('sb contacts (fake HTTP server responses)', () => {
  const ana = fakeContact({ displayName: 'Ana', identities: [{ channel: 'telegram', externalId: '123' }, { channel: 'discord', externalId: '9' }] });
  const group = fakeContact({ kind: 'group', access: 'blocked', identities: [{ channel: 'telegram', externalId: '-100' }] });

  it('lists contacts as a table with full ids, names, access and identities', async () => {
    const result = await createFakeServer({ contacts: [ana, group] }).run(['contacts']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[1]).toMatch(/│ id\s+│ kind\s+│ name\s+│ access\s+│ identities\s+│ created\s+│/);
    expect(lines.find((line) => line.includes(ana.id))).toMatch(/│ person │ Ana\s+│ default │ telegram:123, discord:9 │ 2026-05-01 12:00:00Z │/);
    // A contact without a display name is named by its identity.
    expect(lines.find((line) => line.includes(group.id))).toMatch(/│ group\s+│ telegram:-100\s+│ blocked │ telegram:-100\s+│/);
  });

  it('prints the full contact objects as JSON with --json, before or after the subcommand', async () => {
    const server = createFakeServer({ contacts: [ana, group] });
    const expected = JSON.parse(JSON.stringify([ana, group]));
    expect(JSON.parse((await server.run(['contacts', '--json'])).stdout)).toEqual(expected);
    expect(JSON.parse((await server.run(['--json', 'contacts', 'list'])).stdout)).toEqual(expected);
  });

  it('says so when there are no contacts', async () => {
    expect((await createFakeServer().run(['contacts'])).stdout).toBe('no contacts\n');
  });

  it('shows one contact', async () => {
    const result = await createFakeServer({ contacts: [ana] }).run(['contacts', 'show', ana.id]);
    expect(result.stdout).toContain(`id          ${ana.id}\n`);
    expect(result.stdout).toContain('identities  telegram:123, discord:9\n');
  });

  it('forgets a contact and prints the deleted counts', async () => {
    const server = createFakeServer({ contacts: [ana] });
    const result = await server.run(['contacts', 'forget', ana.id]);
    expect(server.requests[0]).toMatchObject({ method: 'DELETE', path: `/v1/contacts/${ana.id}` });
    expect(result.stdout).toBe(`forgot contact ${ana.id}: 1 sessions, 4 messages, 2 memories\n`);
  });

  it('warns about each file of the contact the server could not delete', async () => {
    const place = `/srv/sb/contacts/${ana.id}: EACCES`;
    const server = createFakeServer({ contacts: [ana], filesNotDeleted: [place] });
    const result = await server.run(['contacts', 'forget', ana.id]);
    expect(result).toMatchObject({ code: 0, stdout: `forgot contact ${ana.id}: 1 sessions, 4 messages, 2 memories\n`, stderr: `could not delete ${place}: delete it by hand\n` });
  });

  it.each([
    ['allow', 'allowed'],
    ['block', 'blocked'],
    ['unblock', 'default'],
  ])('%s sets the contact\'s access to %s', async (command, access) => {
    const server = createFakeServer({ contacts: [ana] });
    const result = await server.run(['contacts', command, ana.id]);
    expect(server.requests[0]).toMatchObject({ method: 'PATCH', path: `/v1/contacts/${ana.id}`, body: { access } });
    expect(result.stdout).toBe(`contact ${ana.id}: access ${access}\n`);
  });

  it('merges a contact into another, shows the merge in the list, and unmerges it', async () => {
    const whatsapp = fakeContact({ identities: [{ channel: 'whatsapp', externalId: '4915550001' }] });
    const server = createFakeServer({ contacts: [ana, whatsapp] });
    const merged = await server.run(['contacts', 'merge', whatsapp.id, '--into', ana.id]);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: `/v1/contacts/${whatsapp.id}/merge`, body: { into: ana.id } });
    expect(merged.stdout).toBe(`contact ${whatsapp.id} (whatsapp:4915550001) is merged into ${ana.id}\n`);
    const unmerged = await server.run(['contacts', 'unmerge', whatsapp.id]);
    expect(server.requests[1]).toMatchObject({ method: 'POST', path: `/v1/contacts/${whatsapp.id}/unmerge` });
    expect(unmerged.stdout).toBe(`contact ${whatsapp.id} (whatsapp:4915550001) speaks as itself again\n`);

    const listed = await createFakeServer({ contacts: [ana, { ...whatsapp, mergedInto: ana.id }] }).run(['contacts']);
    expect(listed.stdout.split('\n')[1]).toMatch(/│ identities\s+│ merged into\s+│ created\s+│/);
    expect(listed.stdout.split('\n').find((line) => line.includes('whatsapp:'))).toMatch(/│ Ana\s+│ 2026-05-01 12:00:00Z │$/);
  });

  it('needs --into to merge, and checks both ids before calling the server', async () => {
    const server = createFakeServer({ contacts: [ana] });
    expect(await server.run(['contacts', 'merge', ana.id])).toMatchObject({ code: 1, stderr: expect.stringContaining("required option '--into <id>'") });
    expect(await server.run(['contacts', 'merge', ana.id, '--into', 'ana'])).toMatchObject({ code: 1, stderr: 'sb: --into: expected an id or the start of one (hex digits, e.g. 3f2a)\n' });
    expect(server.requests).toHaveLength(0);
  });

  it('rejects an id that is neither a uuid nor the start of one before calling the server', async () => {
    const server = createFakeServer();
    const result = await server.run(['contacts', 'show', 'ana']);
    expect(result).toMatchObject({ code: 1, stderr: 'sb: contact id: expected an id or the start of one (hex digits, e.g. 3f2a)\n' });
    expect(server.requests).toHaveLength(0);
  });

  it('prints the server\'s not-found message in one line', async () => {
    const result = await createFakeServer().run(['contacts', 'show', ana.id]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `sb: Contact ${ana.id} not found\n` });
  });
});
