/**
 * Erasure beyond the contact's own rows: its files in all three places (workspaces, CLI home, run
 * files), what it said while merged into another contact, and the replies of a group whose turns
 * were shown its memories (redacted). Everyone else's files and rows stay.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDACTED_REPLY, type ContactId } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { runEchoTurn } from '../../../../test/echo-turns';
import { contactScope } from '../db/scope';
import { createServices, type Services } from '../services';
import { createContactFiles, type ContactFiles } from './contact-files';
import { captureLog } from '../ops/ops-log-capture';

/** What a CLI turn of the contact leaves: a workspace per agent, its CLI home with a transcript, a run file. */
function leaveFiles(home: string, id: ContactId, marker: string): string[] {
  const places = [
    join(home, 'workspaces', 'default', id), join(home, 'workspaces', 'coder', id), join(home, 'contacts', id), join(home, 'run', id),
  ];
  for (const place of places) mkdirSync(join(place, 'deep'), { recursive: true });
  writeFileSync(join(places[0]!, 'notes.md'), marker);
  mkdirSync(join(places[2]!, '.claude', 'projects'), { recursive: true });
  writeFileSync(join(places[2]!, '.claude', 'projects', 'session.jsonl'), `{"text":"${marker}"}\n`);
  writeFileSync(join(places[3]!, 'mcp.json'), '{}');
  return places;
}

describeEachEngine('contact erasure of files, merged speech and quoting replies', (env) => {
  let home: string;
  let services: Services;
  const captured = captureLog();

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'sb-forget-files-'));
    services = createServices(env.db, { contactFiles: createContactFiles(() => home), log: captured.log });
  });

  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const person = async (externalId: string) =>
    (await services.contacts.resolve(env.owner, { channel: 'telegram', externalId, kind: 'person' })).contactId;

  it('deletes the workspaces, CLI home and run files of the contact and of contacts merged into it, and nothing else', async () => {
    const [x, x2, keep] = [await person(`x-${randomUUID()}`), await person(`x2-${randomUUID()}`), await person(`k-${randomUUID()}`)];
    await services.contacts.merge(env.owner, x2, x);
    const erased = [...leaveFiles(home, x, 'X'), ...leaveFiles(home, x2, 'X2')];
    const kept = leaveFiles(home, keep, 'KEEP');
    // A turn may leave a directory without permissions, and a link to a file outside its workspace.
    const outside = join(home, 'outside.txt');
    writeFileSync(outside, 'not the contact’s');
    symlinkSync(outside, join(erased[0]!, 'link'));
    chmodSync(join(erased[0]!, 'deep'), 0o000);

    const result = await services.contacts.forget(env.owner, x);

    expect(result.deleted).toMatchObject({ contacts: 2, files: 8 });
    expect(result.filesNotDeleted).toBeUndefined();
    expect(erased.filter((place) => existsSync(place))).toEqual([]);
    expect(kept.filter((place) => !existsSync(place))).toEqual([]);
    expect(readFileSync(outside, 'utf8')).toBe('not the contact’s');
  });

  it('refuses an id that is not a UUID before it builds any path from it', async () => {
    const victim = join(home, 'contacts', 'victim');
    mkdirSync(victim, { recursive: true });
    for (const id of ['..', '../contacts/victim', 'victim', '']) {
      await expect(createContactFiles(() => join(home, 'workspaces')).erase(env.tenantId, [id as ContactId])).rejects.toMatchObject({ code: 'invalid_input' });
    }
    expect(existsSync(victim)).toBe(true);
  });

  it('erases what the contact said while merged into another, and what its turns remembered there', async () => {
    const [x, target] = [`x-${randomUUID()}`, `t-${randomUUID()}`];
    const xId = await person(x);
    const tId = await person(target);
    await services.contacts.merge(env.owner, xId, tId);
    const marker = `MERGED-${randomUUID()}`;
    const said = await runEchoTurn(env, { channel: 'telegram', sender: { id: x }, text: `${marker} said` });
    expect(said.contactId).toBe(tId);
    const [event] = await env.admin<{ origin: string; sender: string }>(
      'select origin_contact_id::text as origin, sender_contact_id::text as sender from inbound_events where id = $1', [said.eventId],
    );
    expect(event).toEqual({ origin: xId, sender: tId });

    const tScope = contactScope(env.tenantId, tId);
    await services.memories.remember(tScope, { content: `${marker} fact`, sourceEventId: said.eventId });
    const own = await runEchoTurn(env, { channel: 'telegram', sender: { id: target }, text: 'the target’s own words' });
    expect(own.sessionId).toBe(said.sessionId);
    await services.memories.remember(tScope, { content: 'the target’s own fact' });

    const result = await services.contacts.forget(env.owner, xId);

    // What x said while merged and the reply to it; the target's own exchange stays.
    expect(result.deleted).toMatchObject({ contacts: 1, inboundEvents: 1, messages: 2, memories: 1 });
    expect(await env.admin(`select 1 from messages m where m::text like $1`, [`%${marker}%`])).toEqual([]);
    expect(await env.admin(`select 1 from memories m where m::text like $1`, [`%${marker}%`])).toEqual([]);
    expect(await env.admin(`select 1 from inbound_events e where e::text like $1 or e::text like $2`, [`%${marker}%`, `%${xId}%`])).toEqual([]);
    expect((await services.sessions.messages(tScope, own.sessionId!)).map((m) => m.text)).toEqual(['the target’s own words', 'echo: the target’s own words']);
    expect((await services.memories.list(tScope)).map((m) => m.content)).toEqual(['the target’s own fact']);
  });

  it('redacts the group replies whose turns were shown the erased member’s memories, and keeps the others', async () => {
    const chat = { channel: 'telegram' as const, externalId: `-100${Date.now()}` };
    const [x, b] = [`x-${randomUUID()}`, `b-${randomUUID()}`];
    const group = await services.contacts.resolveGroupMember(env.owner, chat, { channel: 'telegram', externalId: x });
    const xId = group.memberId;
    const bId = (await services.contacts.resolveGroupMember(env.owner, chat, { channel: 'telegram', externalId: b })).memberId;
    const gScope = contactScope(env.tenantId, group.groupId);
    const fromB = (text: string) =>
      runEchoTurn(env, { channel: 'telegram', chat: { id: chat.externalId, type: 'group' }, sender: { id: b }, text, mentioned: true });
    const marker = `GROUPFACT-${randomUUID()}`;
    await services.memories.remember(gScope, { content: marker, authorContactId: xId });
    // B's recall shows the group what x left: its reply quotes x.
    const quotingX = await fromB('recall');
    expect(quotingX.replyText).toBe(marker);
    await services.memories.remember(gScope, { content: 'B grows figs', authorContactId: bId });
    // A reply whose turn was shown only B's memory (recalled for the text) quotes B alone.
    await fromB('any figs?');
    const quoted = await env.admin<{ text: string; quoted: string[] }>(
      `select text, quoted_contact_ids::text[] as quoted from messages where session_id = $1 and direction = 'outbound' order by seq`,
      [quotingX.sessionId],
    );
    expect(quoted).toEqual([{ text: marker, quoted: [xId] }, { text: 'echo: any figs?', quoted: [bId] }]);

    const result = await services.contacts.forget(env.owner, xId);

    expect(result.deleted).toMatchObject({ memories: 1, redactedReplies: 1 });
    expect((await services.sessions.messages(gScope, quotingX.sessionId!)).map((m) => m.text))
      .toEqual(['recall', REDACTED_REPLY, 'any figs?', 'echo: any figs?']);
    expect(await env.admin(`select 1 from messages m where m::text like $1 or m::text like $2`, [`%${marker}%`, `%${xId}%`])).toEqual([]);
    const leftElsewhere = `select 1 from inbound_events e where e::text like $1 union all select 1 from outbox o where o::text like $1`;
    expect(await env.admin(leftElsewhere, [`%${marker}%`])).toEqual([]);
  });

  it('reports files it could not delete, after the rows are gone', async () => {
    const failing: ContactFiles = { erase: async () => { throw new Error('disk on fire'); } };
    const withFailingFiles = createServices(env.db, { contactFiles: failing, log: captured.log });
    const x = await person(`x-${randomUUID()}`);

    const result = await withFailingFiles.contacts.forget(env.owner, x);

    expect(result.deleted).toMatchObject({ contacts: 1, files: 0 });
    expect(result.filesNotDeleted).toEqual([`${x}: Error: disk on fire`]);
    expect(captured.entries()).toContainEqual(expect.objectContaining({ level: 50, contactId: x, failure: `${x}: Error: disk on fire` }));
    await expect(services.contacts.get(env.owner, x)).rejects.toMatchObject({ code: 'not_found' });
  });
});
