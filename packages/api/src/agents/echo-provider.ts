/**
 * The built-in `echo` agent: deterministic, no network. `remember <text>` stores a memory in the
 * turn's scope; `recall [query]` lists the visible memories (one per line, or `no memories`);
 * anything else is echoed.
 */
import type { AgentProvider } from './agent-provider';

const REMEMBER = /^remember\s+([\s\S]+)$/i;
const RECALL = /^recall(?:\s+([\s\S]*))?$/i;

export function createEchoProvider(): AgentProvider {
  return {
    name: 'echo',
    async run(turn) {
      const text = turn.text.trim();
      const remember = REMEMBER.exec(text);
      if (remember?.[1] && turn.tools) {
        const memory = await turn.tools.remember(remember[1].trim());
        return { text: `remembered: ${memory.content}`, providerSessionId: null };
      }
      const recall = RECALL.exec(text);
      if (recall && turn.tools) {
        const memories = await turn.tools.recall(recall[1]?.trim() ?? '');
        const lines = memories.map((memory) => memory.content);
        return { text: lines.length === 0 ? 'no memories' : lines.join('\n'), providerSessionId: null };
      }
      return { text: `echo: ${turn.text}`, providerSessionId: null };
    },
  };
}
