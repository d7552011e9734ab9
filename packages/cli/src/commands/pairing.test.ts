import { createFakeServer, fakeContact } from '../cli-fake-server';

describe('sb pairing (fake HTTP server responses)', () => {
  const ana = fakeContact();
  const request = { code: 'AB12CD34', contactId: ana.id, createdAt: new Date('2026-05-01T12:00:00Z') };

  it('lists pending codes as a table or JSON', async () => {
    const server = createFakeServer({ pairing: [request] });
    expect((await server.run(['pairing'])).stdout).toMatch(new RegExp(`│ AB12CD34 │ ${ana.id} │ 2026-05-01 12:00:00Z │`));
    expect(JSON.parse((await server.run(['pairing', '--json'])).stdout)).toEqual([{ ...request, createdAt: '2026-05-01T12:00:00.000Z' }]);
  });

  it('approves a code and names the contact it lets in', async () => {
    const server = createFakeServer({ pairing: [request] });
    const result = await server.run(['pairing', 'approve', 'AB12CD34']);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/v1/pairing/approve', body: { code: 'AB12CD34' } });
    expect(result.stdout).toBe(`approved: contact ${ana.id} may now talk to the agents\n`);
  });
});
