/**
 * The memory tools of a turn, bound to a turn token: every call resolves the token first, so the
 * tools act in the token's scope and stop working once the turn has ended. Arguments can only name
 * memories; one outside the scope is simply not found.
 */
import { AppError, isAppError, MemoryId, type Memory } from '@switchboard/shared';
import type { MemoryService } from '../memories/memory-service';
import type { TurnTools } from './agent-provider';
import type { TurnGrant, TurnGrants } from './turn-grants';

const RECALL_LIMIT = 50;

export function turnToolsFor(memories: MemoryService, grants: TurnGrants, token: string): TurnTools {
  const grantOf = (): TurnGrant => {
    const grant = grants.resolve(token);
    if (!grant) throw new AppError('unauthorized', 'The turn token is not valid (the turn has ended)');
    return grant;
  };
  return {
    async remember(content: string): Promise<Memory> {
      const grant = grantOf();
      return memories.remember(grant.scope, { content, authorContactId: grant.authorContactId, sourceEventId: grant.eventId });
    },
    async recall(query: string): Promise<Memory[]> {
      const { scope, onRecall } = grantOf();
      const found = await memories.recall(scope, query, { limit: RECALL_LIMIT });
      onRecall?.(found);
      return found;
    },
    async forget(memoryId: string): Promise<boolean> {
      const { scope } = grantOf();
      const id = MemoryId.safeParse(memoryId);
      if (!id.success) return false;
      try {
        await memories.delete(scope, id.data);
        return true;
      } catch (error) {
        if (isAppError(error, 'not_found')) return false;
        throw error;
      }
    },
  };
}
