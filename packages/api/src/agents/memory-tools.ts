/**
 * The memory tools every model provider offers, as JSON-schema function definitions, and their
 * execution against a turn's own tools. Arguments are parsed with zod; a bad call is answered with
 * an error text for the model, never an exception, and can only reach the turn's own scope.
 */
import { z } from 'zod';
import type { TurnTools } from './agent-provider';

export const MEMORY_TOOLS = [
  {
    name: 'remember',
    description: 'Store a fact about the person you are talking to, for later conversations.',
    parameters: { type: 'object', properties: { content: { type: 'string' } }, required: ['content'], additionalProperties: false },
  },
  {
    name: 'recall',
    description: 'Search what you remember about the person you are talking to (empty query: the most recent).',
    parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'], additionalProperties: false },
  },
  {
    name: 'forget',
    description: 'Delete one remembered fact by its id (as returned by recall).',
    parameters: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'], additionalProperties: false },
  },
] as const;

const Args = {
  remember: z.object({ content: z.string().trim().min(1).max(8000) }),
  recall: z.object({ query: z.string().max(500) }),
  forget: z.object({ id: z.string() }),
};

/** A function call's arguments as sent by the model: JSON text, or undefined when it is not JSON. */
export function parseToolArguments(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined; // answered as bad arguments by runMemoryTool
  }
}

/** Runs one tool call; the result is the text the model sees. A failed call's text starts with `error:`. */
export async function runMemoryTool(tools: TurnTools | null, name: string, input: unknown): Promise<string> {
  if (!tools) return 'error: memory tools are off for this agent';
  switch (name) {
    case 'remember': {
      const args = Args.remember.safeParse(input);
      if (!args.success) return 'error: remember needs {"content": string}';
      const memory = await tools.remember(args.data.content);
      return JSON.stringify({ id: memory.id, content: memory.content });
    }
    case 'recall': {
      const args = Args.recall.safeParse(input);
      if (!args.success) return 'error: recall needs {"query": string}';
      const found = await tools.recall(args.data.query);
      return JSON.stringify(found.map((memory) => ({ id: memory.id, content: memory.content })));
    }
    case 'forget': {
      const args = Args.forget.safeParse(input);
      if (!args.success) return 'error: forget needs {"id": string}';
      return (await tools.forget(args.data.id)) ? 'forgotten' : 'error: no such memory';
    }
    default:
      return `error: unknown tool ${name}`;
  }
}
