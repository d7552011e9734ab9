/**
 * The built-in `echo` agent: deterministic, no network. `remember <text>` stores a memory in the
 * turn's scope (`not remembered: <why>` when the memory is refused, e.g. too long); `recall
 * [query]` lists the visible memories (one per line, or `no memories`); anything else is echoed.
 */
import { isAppError } from '@switchboard/shared';
import type { AgentProvider, TurnTools } from './agent-provider';

const REMEMBER = /^remember\s+([\s\S]+)$/i;
const RECALL = /^recall(?:\s+([\s\S]*))?$/i;

export function createEchoProvider(): AgentProvider {
  return {
    name: 'echo',
    async run(turn) {
      const text = turn.text.trim();
      const remember = REMEMBER.exec(text);
      if (remember?.[1] && turn.tools) {
        return { text: await rememberOrRefuse(turn.tools, remember[1].trim()), providerSessionId: null };
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

async function rememberOrRefuse(tools: TurnTools, content: string): Promise<string> {
  try {
    return `remembered: ${(await tools.remember(content)).content}`;
  } catch (error) {
    if (!isAppError(error, 'invalid_input')) throw error;
    return `not remembered: ${error.message}`;
  }
}
