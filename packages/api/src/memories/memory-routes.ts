/** HTTP for memories (owner): list and search the tenant's memories, add, show, edit, delete, history. */
import { Router } from 'express';
import { MemoryCreate, MemoryId, MemoryListQuery, MemoryPatch } from '@switchboard/shared';
import { allow, ownerScopeOf } from '../http/auth-middleware';
import type { MemoryService } from './memory-service';

export function memoryRoutes(memories: MemoryService): Router {
  const router = Router();
  router.use(allow('owner'));

  router.get('/', async (req, res) => {
    res.json({ memories: await memories.list(ownerScopeOf(res), MemoryListQuery.parse(req.query)) });
  });

  router.post('/', async (req, res) => {
    const body = MemoryCreate.parse(req.body);
    const memory = await memories.remember(ownerScopeOf(res), { content: body.content, contactId: body.contact, visibility: body.visibility });
    res.status(201).json({ memory });
  });

  router.get('/:id', async (req, res) => {
    res.json({ memory: await memories.get(ownerScopeOf(res), MemoryId.parse(req.params.id)) });
  });

  router.patch('/:id', async (req, res) => {
    const change = MemoryPatch.parse(req.body);
    res.json({ memory: await memories.update(ownerScopeOf(res), MemoryId.parse(req.params.id), change) });
  });

  router.delete('/:id', async (req, res) => {
    res.json({ memory: await memories.delete(ownerScopeOf(res), MemoryId.parse(req.params.id)) });
  });

  router.get('/:id/history', async (req, res) => {
    res.json({ events: await memories.history(ownerScopeOf(res), MemoryId.parse(req.params.id)) });
  });

  return router;
}
