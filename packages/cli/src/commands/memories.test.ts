import { createFakeServer, fakeContact, fakeMemory } from '../cli-fake-server';

describe('sb memories (fake HTTP server responses)', () => {
  const ana = fakeContact();
  const tea = fakeMemory({ contactId: ana.id, authorContactId: ana.id, content: 'likes tea' });
  const coffee = fakeMemory({ content: 'the owner likes coffee', visibility: 'shared' });

  it('lists every memory of the tenant as a table, the owner\'s marked as owner', async () => {
    const server = createFakeServer({ memories: [tea, coffee] });
    const result = await server.run(['memories']);
    expect(server.requests[0]).toMatchObject({ path: '/v1/memories', query: {} });
    expect(result.stdout.split('\n').find((line) => line.includes(tea.id))).toMatch(new RegExp(`│ ${ana.id} │ private\\s+│ likes tea\\s+│`));
    expect(result.stdout.split('\n').find((line) => line.includes(coffee.id))).toMatch(/│ owner\s+│ shared\s+│ the owner likes coffee │/);
  });

  it('prints the full memory objects with --json', async () => {
    const result = await createFakeServer({ memories: [tea, coffee] }).run(['memories', 'list', '--json']);
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(JSON.stringify([tea, coffee])));
  });

  it('narrows to a contact or the owner, and searches with -q or search', async () => {
    const server = createFakeServer({ memories: [tea, coffee] });
    await server.run(['memories', '--contact', ana.id, '-q', 'tea']);
    await server.run(['memories', 'search', 'coffee', '--owner']);
    expect(server.requests.filter((r) => r.path === '/v1/memories').map((r) => r.query)).toEqual([{ contact: ana.id, q: 'tea' }, { contact: 'owner', q: 'coffee' }]);
  });

  it('refuses --contact together with --owner', async () => {
    const server = createFakeServer();
    const result = await server.run(['memories', '--contact', ana.id, '--owner']);
    expect(result).toMatchObject({ code: 1, stderr: 'sb: --contact and --owner cannot be combined\n' });
    expect(server.requests).toHaveLength(0);
  });

  it('adds the owner\'s memory by default, and a contact\'s shared one with flags', async () => {
    const server = createFakeServer();
    const result = await server.run(['memories', 'add', 'likes jazz']);
    await server.run(['memories', 'add', 'speaks Portuguese', '--contact', ana.id, '--shared']);
    expect(result.stdout).toMatch(/^added memory [0-9a-f-]{36}\n$/);
    expect(server.requests.map((r) => r.body)).toEqual([
      { content: 'likes jazz', contact: null },
      { content: 'speaks Portuguese', contact: ana.id, visibility: 'shared' },
    ]);
  });

  it('removes a memory and shows its history', async () => {
    const server = createFakeServer({
      memories: [tea],
      memoryEvents: [{ memoryId: tea.id, kind: 'edit', oldContent: 'likes tee', newContent: 'likes tea', oldVisibility: 'private', newVisibility: 'private', createdAt: new Date('2026-05-02T08:00:00Z') }],
    });
    expect((await server.run(['memories', 'rm', tea.id])).stdout).toBe(`deleted memory ${tea.id}\n`);
    const history = await server.run(['memories', 'history', tea.id]);
    expect(history.stdout).toMatch(/│ 2026-05-02 08:00:00Z │ edit\s+│ likes tee → likes tea │ private\s+│/);
  });
});
