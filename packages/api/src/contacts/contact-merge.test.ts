/**
 * Merging contacts over real HTTP: a merged contact's identities speak as the contact it was merged
 * into (its sessions, memories and access), chains stay one hop long, refusals change nothing, and
 * unmerge gives the contact back exactly what it had. Other contacts see nothing of either.
 */
import { randomUUID } from 'node:crypto';
import type { ContactId, InboundMessage } from '@switchboard/shared';
import { describeEachServer, type TestServer } from '../../../../test/server-harness';

const tag = () => randomUUID().slice(0, 8);

function from(channel: InboundMessage['channel'], sender: string, text: string): InboundMessage {
  return { channel, sender: { id: sender }, messageId: randomUUID(), text };
}

async function mergedInto(server: TestServer, id: ContactId): Promise<string | null> {
  const [row] = await server.admin<{ merged_into: string | null }>('select merged_into from contacts where id = $1', [id]);
  return row!.merged_into;
}

describeEachServer('merging contacts', (server) => {
  const owner = () => server.client();
  const say = async (message: InboundMessage) => {
    const answer = await owner().inbound(message, { wait: true });
    if (answer.status !== 'done') throw new Error(`no turn: ${answer.status}`);
    return answer;
  };

  it('lets a merged identity speak as the contact it was merged into, and unmerge gives it back what it had', async () => {
    const [telegram, whatsapp, stranger] = [`m-${tag()}`, `m-${tag()}`, `m-${tag()}`];
    const a = await say(from('telegram', telegram, 'remember A likes jazz'));
    const b = await say(from('whatsapp', whatsapp, 'remember B parks on level 2'));

    const merged = await owner().contacts.merge(b.contactId!, a.contactId!);
    expect(merged).toMatchObject({ id: b.contactId, mergedInto: a.contactId, identities: [{ channel: 'whatsapp', externalId: whatsapp }] });
    const asA = await say(from('whatsapp', whatsapp, 'recall'));
    expect(asA).toMatchObject({ contactId: a.contactId, reply: { text: 'A likes jazz' } });
    expect(asA.sessionId).toBe(a.sessionId);
    expect((await say(from('telegram', stranger, 'recall'))).reply.text).toBe('no memories');

    const unmerged = await owner().contacts.unmerge(b.contactId!);
    expect(unmerged.mergedInto).toBeNull();
    const asB = await say(from('whatsapp', whatsapp, 'recall'));
    expect(asB).toMatchObject({ contactId: b.contactId, sessionId: b.sessionId, reply: { text: 'B parks on level 2' } });
    expect((await say(from('telegram', telegram, 'recall'))).reply.text).toBe('A likes jazz');
  });

  it('keeps chains one hop long: a contact merged into one that is merged on follows it', async () => {
    const [a, b, c] = await Promise.all([`c-${tag()}`, `c-${tag()}`, `c-${tag()}`].map((id) => say(from('discord', id, 'hello'))));
    const [ida, idb, idc] = [a!.contactId!, b!.contactId!, c!.contactId!];
    await owner().contacts.merge(idc, idb);
    expect((await owner().contacts.merge(idb, ida)).mergedInto).toBe(ida);
    expect(await mergedInto(server, idc)).toBe(ida);
    // Merging into a merged contact goes to the contact it is merged into.
    const d = await say(from('discord', `c-${tag()}`, 'hello'));
    expect((await owner().contacts.merge(d.contactId!, idc)).mergedInto).toBe(ida);
    expect((await owner().contacts.get(idc)).mergedInto).toBe(ida);
  });

  it('refuses merges that make no sense with a clear 4xx, and changes nothing', async () => {
    const [a, b] = await Promise.all([`r-${tag()}`, `r-${tag()}`].map((id) => say(from('telegram', id, 'hi'))));
    const group = await owner().inbound({ ...from('telegram', `r-${tag()}`, 'hi'), chat: { id: `-100${tag()}`, type: 'group' }, mentioned: true }, { wait: true });
    const [ida, idb, idg] = [a!.contactId!, b!.contactId!, group.contactId!];
    await owner().contacts.merge(idb, ida);

    const post = (path: string, body: unknown, token?: string) => server.fetch(path, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(token ? { token } : {}),
    });
    const refusals: [string, unknown, number, string][] = [
      [`/v1/contacts/${ida}/merge`, { into: ida }, 400, 'invalid_input'],
      [`/v1/contacts/${ida}/merge`, { into: idb }, 409, 'conflict'],
      [`/v1/contacts/${ida}/merge`, { into: idg }, 400, 'invalid_input'],
      [`/v1/contacts/${ida}/merge`, { into: randomUUID() }, 404, 'not_found'],
      [`/v1/contacts/${randomUUID()}/merge`, { into: ida }, 404, 'not_found'],
      [`/v1/contacts/${ida}/merge`, {}, 400, 'invalid_input'],
      [`/v1/contacts/${ida}/merge`, { into: 'ana' }, 400, 'invalid_input'],
      [`/v1/contacts/${ida}/merge`, { into: idb, extra: 1 }, 400, 'invalid_input'],
      [`/v1/contacts/not-a-uuid/merge`, { into: ida }, 400, 'invalid_input'],
      [`/v1/contacts/${ida}/unmerge`, {}, 409, 'conflict'],
      [`/v1/contacts/${idb}/unmerge`, { into: ida }, 400, 'invalid_input'],
    ];
    for (const [path, body, status, code] of refusals) {
      const response = await post(path, body);
      expect({ path, body, status: response.status, error: ((await response.json()) as { error: { code: string } }).error.code })
        .toEqual({ path, body, status, error: code });
    }
    expect((await post(`/v1/contacts/${idb}/unmerge`, {}, server.gatewayToken)).status).toBe(403);
    expect((await post(`/v1/contacts/${ida}/merge`, { into: idg }, server.gatewayToken)).status).toBe(403);
    expect([await mergedInto(server, ida), await mergedInto(server, idb), await mergedInto(server, idg)]).toEqual([null, ida, null]);
  });

  it('lets only one of two opposite merges at the same moment win, so no cycle can form', async () => {
    const [a, b] = await Promise.all([`x-${tag()}`, `x-${tag()}`].map((id) => say(from('telegram', id, 'hi'))));
    const [ida, idb] = [a!.contactId!, b!.contactId!];
    const results = await Promise.allSettled([owner().contacts.merge(ida, idb), owner().contacts.merge(idb, ida)]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((result) => result.status === 'rejected')).toMatchObject({ reason: { code: 'conflict' } });
    const links = [await mergedInto(server, ida), await mergedInto(server, idb)];
    expect(links.filter((link) => link !== null)).toHaveLength(1);
  });

  it('never leaves a two-hop chain when a contact is merged into one whose own target is being merged at the same moment', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b, r, c] = await Promise.all([0, 1, 2, 3].map(() => say(from('discord', `h-${tag()}`, 'hi'))));
      const [ida, idb, idr, idc] = [a!.contactId!, b!.contactId!, r!.contactId!, c!.contactId!];
      await owner().contacts.merge(idb, idr);
      const results = await Promise.allSettled([owner().contacts.merge(ida, idb), owner().contacts.merge(idr, idc)]);
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled']);
      const links = await server.admin<{ id: string; merged_into: string | null; target_merged: string | null }>(
        `select c.id, c.merged_into, t.merged_into as target_merged from contacts c left join contacts t on t.id = c.merged_into
         where c.id = any($1)`, [[ida, idb, idr, idc]]);
      expect(links.filter((link) => link.target_merged !== null)).toEqual([]);
    }
  });

  it('erases the contacts merged into a contact together with it', async () => {
    const [a, b] = await Promise.all([`f-${tag()}`, `f-${tag()}`].map((id) => say(from('telegram', id, 'remember a secret'))));
    await owner().contacts.merge(b!.contactId!, a!.contactId!);
    const result = await owner().contacts.forget(a!.contactId!);
    expect(result.deleted.contacts).toBe(2);
    const [row] = await server.admin<{ n: number }>('select count(*)::int as n from contacts where id = any($1)', [[a!.contactId, b!.contactId]]);
    expect(row!.n).toBe(0);
  });
});
