/**
 * `POST /mcp`: the memory tools over MCP (Streamable HTTP, JSON-RPC 2.0) for agent CLIs, with a
 * turn's token. The messages are MCP's; these schemas hold only the JSON-RPC envelope.
 */
import { z } from 'zod';

const RpcId = z.union([z.string(), z.number().int()]);

/** A JSON-RPC request (with `id`) or notification (without). */
export const McpRequest = z.looseObject({
  jsonrpc: z.literal('2.0'),
  method: z.string(),
  id: RpcId.optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});

/** A JSON-RPC response: `result`, or `error` (also the 401 and 405 answers of the route itself). */
export const McpResponse = z.looseObject({
  jsonrpc: z.literal('2.0'),
  id: RpcId.nullable(),
  result: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ code: z.number().int(), message: z.string(), data: z.unknown().optional() }).optional(),
});
