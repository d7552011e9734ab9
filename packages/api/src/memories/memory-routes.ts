/** HTTP for memories (owner): list and search the tenant's memories, add, show, edit, delete, history. */
import { Router } from 'express';
import { z } from 'zod';
import { ContactId, MemoryContent, MemoryId, MemoryOwnerFilter, Visibility } from '@switchboard/shared';
import { allow, ownerScopeOf } from '../http/auth-middleware';
import type { MemoryService } from './memory-service';

const ListQuery = z.strictObject({
  contact: MemoryOwnerFilter.optional(),
  q: z.string().max(1000).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

const CreateBody = z.strictObject({
  content: MemoryContent,
  contact: ContactId.nullable().optional(),
  visibility: Visibility.optional(),
});

const PatchBody = z
  .strictObject({ content: MemoryContent.optional(), visibility: Visibility.optional() })
  .refine((body) => body.content !== undefined || body.visibility !== undefined, 'Nothing to change');

export function memoryRoutes(memories: MemoryService): Router {
  const router = Router();
  router.use(allow('owner'));

  router.get('/', async (req, res) => {
    res.json({ memories: await memories.list(ownerScopeOf(res), ListQuery.parse(req.query)) });
  });

  router.post('/', async (req, res) => {
    const body = CreateBody.parse(req.body);
    const memory = await memories.remember(ownerScopeOf(res), { content: body.content, contactId: body.contact, visibility: body.visibility });
    res.status(201).json({ memory });
  });

  router.get('/:id', async (req, res) => {
    res.json({ memory: await memories.get(ownerScopeOf(res), MemoryId.parse(req.params.id)) });
  });

  router.patch('/:id', async (req, res) => {
    const change = PatchBody.parse(req.body);
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
