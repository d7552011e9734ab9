/**
 * Erasure leaves nothing behind, against a real server process (`node packages/api/dist/main.js`,
 * echo agent) on both engines: a contact that talked in its DM, in a group (where another member's
 * `recall` reply repeated its group memory) and, merged into another contact, as that contact, and
 * whose CLI turns left files in all three places, is forgotten. Afterwards no file under SB_HOME
 * and no row in any table carries its id or its words; the group reply that repeated its memory
 * reads as redacted; the other contacts keep their files, words and memories.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Client } from 'pg';
import { REDACTED_REPLY, type ApiClient, type ContactId, type InboundMessage, type InboundResult } from '@switchboard/shared';
import { createPgliteDb } from '@switchboard/api';
import { availableEngines, createEmptyPostgresDatabase } from '../engines';
import { useServerProcesses, type ServerProcess } from '../server-process';

const tag = () => randomBytes(4).toString('hex');

/** What CLI turns of the contact leave: a workspace per agent, its CLI home with the CLI's transcript, a run file. */
function leaveCliFiles(home: string, id: ContactId, words: string): string[] {
  const places = [join(home, 'workspaces', 'default', id), join(home, 'workspaces', 'helper', id), join(home, 'contacts', id), join(home, 'run', id)];
  for (const place of places) mkdirSync(place, { recursive: true });
  writeFileSync(join(places[0]!, 'notes.md'), words);
  mkdirSync(join(places[2]!, '.claude', 'projects', '-ws'), { recursive: true });
  writeFileSync(join(places[2]!, '.claude', 'projects', '-ws', `${randomUUID()}.jsonl`), `{"message":"${words}"}\n`);
  writeFileSync(join(places[3]!, `mcp-${randomUUID()}.json`), '{"mcpServers":{}}');
  return places;
}

/** Every path under `dir` (relative), and the files among them whose content contains `needle`. */
function scanFiles(dir: string, needle: string, skip: string[]): { paths: string[]; containing: string[] } {
  const paths: string[] = [];
  const containing: string[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      const rel = relative(dir, full);
      if (skip.some((prefix) => rel === prefix || rel.startsWith(`${prefix}/`))) continue;
      paths.push(rel);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && readFileSync(full).includes(needle)) containing.push(rel);
    }
  };
  walk(dir);
  return { paths, containing };
}

type Query = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** Rows per table (schemas public and app) whose whole text form contains any of the needles. */
async function rowsContaining(query: Query, needles: string[]): Promise<Record<string, number>> {
  const tables = await query(`select schemaname || '.' || tablename as name from pg_tables where schemaname in ('public', 'app') order by 1`);
  const found: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await query(`select count(*)::int as n from ${String(name)} t where t::text like any($1)`, [needles.map((n) => `%${n}%`)]);
    if (Number(row!.n) > 0) found[String(name)] = Number(row!.n);
  }
  return found;
}

for (const engine of availableEngines()) {
  describe(`erasure leaves no file and no row, real server process [${engine}]`, () => {
    const servers = useServerProcesses();
    const ownerToken = randomBytes(24).toString('hex');
    let home = '';
    let databaseUrl = '';
    let dropDatabase: (() => Promise<void>) | undefined;
    let server: ServerProcess;
    let client: ApiClient;

    beforeAll(async () => {
      home = mkdtempSync(join(tmpdir(), 'sb-erasure-'));
      let env: Record<string, string> = { SB_HOME: home, SB_PORT: '0', SB_OWNER_TOKEN: ownerToken };
      if (engine === 'postgres') {
        const database = await createEmptyPostgresDatabase();
        [databaseUrl, dropDatabase] = [database.url, database.drop];
        env = { ...env, DATABASE_URL: database.url };
      }
      server = await servers.start(`erasure-${engine}`, env);
      client = server.client(ownerToken);
    }, 120_000);

    afterAll(async () => {
      await server?.kill();
      await dropDatabase?.();
      if (home) rmSync(home, { recursive: true, force: true });
    }, 60_000);

    /** SQL as the schema owner: PostgreSQL beside the running server; PGlite's directory once the server stopped. */
    async function withOwnerSql<T>(fn: (query: Query) => Promise<T>): Promise<T> {
      if (engine === 'postgres') {
        const pg = new Client({ connectionString: databaseUrl });
        await pg.connect();
        try {
          return await fn(async (sql, params) => (await pg.query(sql, params)).rows);
        } finally {
          await pg.end();
        }
      }
      await server.kill('SIGTERM');
      const db = await createPgliteDb({ kind: 'directory', path: join(home, 'data') });
      try {
        return await fn(async (sql, params) => (await db.adminTransaction((tx) => tx.query(sql, params))).rows);
      } finally {
        await db.close();
      }
    }

    it('forgets a contact’s files in all three places, its merged speech and the group reply quoting its memory', async () => {
      const ask = async (message: Omit<InboundMessage, 'channel' | 'messageId'>): Promise<InboundResult & { contactId: ContactId }> => {
        const answer = await client.inbound({ channel: 'telegram', messageId: randomUUID(), ...message }, { wait: true });
        expect({ text: message.text, status: answer.status }).toEqual({ text: message.text, status: 'done' });
        return answer as InboundResult & { contactId: ContactId };
      };
      const [x, target, member, chat] = [`x${tag()}`, `t${tag()}`, `b${tag()}`, `-100${Date.now()}`];
      const words = `XWORDS${tag()}`;
      const keep = `KEEP${tag()}`;
      const inGroup = (sender: string, text: string) => ({ sender: { id: sender }, chat: { id: chat, type: 'group' as const }, mentioned: true, text });

      // X in its DM and in a group, where B's recall repeats X's group memory (B's own fact came first).
      const xId = (await ask({ sender: { id: x }, text: `remember ${words} in my DM` })).contactId;
      const groupId = (await ask(inGroup(member, `remember ${keep} is B's group fact`))).contactId;
      await ask(inGroup(x, `remember ${words} is the group's secret`));
      const recall = await ask(inGroup(member, 'recall'));
      expect(recall.reply?.text).toContain(words);
      expect(recall.reply?.text).toContain(keep);

      // X merged into T speaks as T (T's session, T's memories), and T speaks for itself.
      const tId = (await ask({ sender: { id: target }, text: `${keep} T's own words` })).contactId;
      await client.contacts.merge(xId, tId);
      expect((await ask({ sender: { id: x }, text: `${words} said while merged` })).contactId).toBe(tId);
      await ask({ sender: { id: x }, text: `remember ${words} while merged` });
      await ask({ sender: { id: target }, text: `remember ${keep} T's own fact` });

      const xFiles = leaveCliFiles(home, xId, words);
      const tFiles = leaveCliFiles(home, tId, keep);
      expect(scanFiles(home, words, ['data']).containing).toHaveLength(2);

      const result = await client.contacts.forget(xId);
      expect(result).toMatchObject({ contactId: xId, deleted: { contacts: 1, files: 4, redactedReplies: 1 } });
      expect(result.filesNotDeleted).toBeUndefined();

      // Over the API: the group's recall reply is redacted, T keeps only its own words and memory.
      const [groupSession] = await client.sessions.list({ contact: groupId });
      const groupLines = (await client.sessions.messages(groupSession!.id)).map((m) => m.text);
      expect(groupLines.filter((text) => text.includes(words))).toEqual([]);
      expect(groupLines).toContain(REDACTED_REPLY);
      expect(groupLines).toContain(`remembered: ${keep} is B's group fact`);
      const [tSession] = await client.sessions.list({ contact: tId });
      expect((await client.sessions.messages(tSession!.id)).map((m) => m.text)).toEqual([
        `${keep} T's own words`, `echo: ${keep} T's own words`, `remember ${keep} T's own fact`, `remembered: ${keep} T's own fact`,
      ]);
      expect((await client.memories.list({ contact: tId })).map((m) => m.content)).toEqual([`${keep} T's own fact`]);
      const outbox = (await client.outbox.list({ limit: 1000 })).map((item) => item.text);
      expect(outbox.filter((text) => text.includes(words))).toEqual([]);
      expect(outbox).toContain(REDACTED_REPLY);

      // On disk: no path names X and no file holds its words (the database's own files are checked by SQL below).
      const files = scanFiles(home, words, ['data']);
      expect({ paths: files.paths.filter((path) => path.includes(xId)), containing: files.containing }).toEqual({ paths: [], containing: [] });
      expect(xFiles.map((place) => relative(home, place)).filter((place) => files.paths.includes(place))).toEqual([]);
      expect(tFiles.map((place) => relative(home, place)).filter((place) => !files.paths.includes(place))).toEqual([]);

      // In the database: no row carries X's id or words; everyone else's rows are there.
      const left = await withOwnerSql(async (query) => ({ erased: await rowsContaining(query, [xId, words]), kept: await rowsContaining(query, [keep]) }));
      expect(left.erased).toEqual({});
      expect(Object.keys(left.kept)).toEqual(expect.arrayContaining(['public.inbound_events', 'public.messages', 'public.memories']));
    }, 120_000);
  });
}
