/**
 * A contact's files under its tenant's home (`$SB_HOME`, or `$SB_HOME/tenants/<tenant>`): its
 * workspaces `workspaces/<agent>/<id>`, its CLI home `contacts/<id>` (the CLI's own transcripts and
 * settings) and its run files `run/<id>`. Erasing deletes all three. An id must be a UUID before any path is built from it; symbolic links are
 * removed, never followed; directories a turn made read-only are opened up first.
 */
import { chmod, lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, type ContactId, type TenantId } from '@switchboard/shared';

/** What an erasure removed: the places that existed, and those that could not be deleted. */
export interface ContactFilesErased {
  removed: number;
  failed: string[];
}

/** The file-system side of a contact: erased after its rows. */
export interface ContactFiles {
  erase(tenantId: TenantId, contactIds: readonly ContactId[]): Promise<ContactFilesErased>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `homeOf`: the tenant's home (TenantHomes.of). */
export function createContactFiles(homeOf: (tenantId: TenantId) => string): ContactFiles {
  return {
    async erase(tenantId, contactIds) {
      const erased: ContactFilesErased = { removed: 0, failed: [] };
      const home = homeOf(tenantId);
      for (const id of contactIds) {
        if (!UUID.test(id)) throw new AppError('invalid_input', 'A contact id must be a UUID');
        for (const place of await placesOf(home, id)) {
          try {
            if (await removeTree(place)) erased.removed += 1;
          } catch (error) {
            erased.failed.push(`${place}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
          }
        }
      }
      return erased;
    },
  };
}

/** The contact's places (existing or not): one workspace per agent directory, its CLI home, its run files. */
async function placesOf(home: string, id: string): Promise<string[]> {
  const workspaces = join(home, 'workspaces');
  const agents = await readdir(workspaces, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const perAgent = agents.filter((entry) => entry.isDirectory()).map((entry) => join(workspaces, entry.name, id));
  return [...perAgent, join(home, 'contacts', id), join(home, 'run', id)];
}

/** Deletes a file or a directory tree without following links; false when nothing was there. */
export async function removeTree(path: string): Promise<boolean> {
  const stat = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!stat) return false;
  if (!stat.isDirectory()) {
    await unlink(path);
    return true;
  }
  // A turn may have left a directory without write or search permission for its own user.
  if ((stat.mode & 0o700) !== 0o700) await chmod(path, 0o700);
  for (const name of await readdir(path)) await removeTree(join(path, name));
  await rmdir(path);
  return true;
}
