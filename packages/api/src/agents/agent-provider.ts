/**
 * The agent provider port: one turn in, one reply out. A provider gets the turn's context (the
 * session's recent transcript and the memories recalled for the message, both read in the turn's
 * scope) and memory tools bound to the turn token of that scope; it cannot name another scope.
 */
import type { Agent, Memory, Message, Provider, Session, TenantId, TokenUsage } from '@switchboard/shared';

/** Memory tools of one turn, bound to the turn's scope. */
export interface TurnTools {
  remember(content: string): Promise<Memory>;
  /** Ranked matches for a query; the most recent visible memories without one. */
  recall(query: string): Promise<Memory[]>;
  /** Deletes one of the scope's own memories; false when the id names nothing the scope owns. */
  forget(memoryId: string): Promise<boolean>;
}

/** Where an agent CLI reaches the memory tools: the MCP endpoint and the turn token it sends. */
export interface McpAccess {
  url: string;
  token: string;
}

export interface Turn {
  /** Whose installation-wide files the turn's directories sit under (see home/tenant-homes). */
  tenantId: TenantId;
  agent: Agent;
  session: Session;
  text: string;
  /** The session's recent messages, oldest first (this message not included). */
  history: Message[];
  /** Memories recalled for this message in the turn's scope, best first (none with memory off). */
  memories: Memory[];
  /** The memory tools; null when the agent's memory mode offers none. */
  tools: TurnTools | null;
  /** The same tools over MCP for agent CLIs; null without tools or without a listening server. */
  mcp: McpAccess | null;
  /** A fresh session of an agent that forks on reset: the provider session it continues from. */
  forkFrom: string | null;
}

export interface ProviderReply {
  text: string;
  /** The provider's own session id after this turn (null for stateless providers). */
  providerSessionId: string | null;
  /** What the turn cost, when the provider reports it. */
  usage?: TokenUsage;
}

export interface RunOptions {
  signal: AbortSignal;
  /**
   * Someone is watching this turn live: a provider that can stream calls this with the reply's
   * text so far as it grows. The returned reply is still the whole, final text.
   */
  onText?: ((textSoFar: string) => void) | undefined;
}

export interface AgentProvider {
  readonly name: Provider;
  run(turn: Turn, options: RunOptions): Promise<ProviderReply>;
}
