/**
 * The memory tools over MCP (Streamable HTTP, stateless: one server per request) for agent CLIs.
 * Every request authenticates with the bearer turn token of a running turn; the tools act in that
 * turn's scope. An unknown, revoked or expired token gets 401 before any MCP processing.
 */
import { Router, type Request, type Response } from 'express';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import type { MemoryService } from '../memories/memory-service';
import { MEMORY_TOOLS, runMemoryTool } from '../agents/memory-tools';
import type { TurnGrants } from '../agents/turn-grants';
import { turnToolsFor } from '../agents/turn-tools';
import type { TurnTools } from '../agents/agent-provider';
import { MCP_SERVER_NAME } from './mcp-names';

const INPUTS = {
  remember: { content: z.string() },
  recall: { query: z.string() },
  forget: { id: z.string() },
} as const;

export function mcpRoutes(memories: MemoryService, grants: TurnGrants): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const token = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(req.get('authorization') ?? '')?.[1];
    if (!token || !grants.resolve(token)) {
      rpcError(res, 401, -32001, 'Unauthorized: a valid turn token is required');
      return;
    }
    await serve(turnToolsFor(memories, grants, token), req, res);
  });
  router.all('/', (_req, res) => {
    res.set('allow', 'POST');
    rpcError(res, 405, -32000, 'Method not allowed: this server is stateless, use POST');
  });
  return router;
}

async function serve(tools: TurnTools, req: Request, res: Response): Promise<void> {
  const server = new McpServer({ name: MCP_SERVER_NAME, version: '1.0.0' });
  for (const tool of MEMORY_TOOLS) {
    server.registerTool(tool.name, { description: tool.description, inputSchema: INPUTS[tool.name] }, async (args: unknown) => {
      const text = await runMemoryTool(tools, tool.name, args);
      return { content: [{ type: 'text' as const, text }], isError: text.startsWith('error:') };
    });
  }
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, req.body);
}

function rpcError(res: Response, status: number, code: number, message: string): void {
  if (status === 401) res.set('www-authenticate', 'Bearer');
  res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}
