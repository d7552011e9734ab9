/**
 * The Anthropic Messages API: the history is our stored transcript, the memory tools are `tools`
 * answered with the turn's own tools (bound to its scope), and the loop ends with the first answer
 * that asks for no tool, or fails after a few rounds. When someone watches the turn live, rounds
 * stream (`stream: true`) and the text so far is reported as it grows. The API key is read from
 * the environment variable the agent's config names.
 */
import { z } from 'zod';
import { AppError, EnvName, timeoutSignal } from '@switchboard/shared';
import type { AgentProvider, Turn } from './agent-provider';
import { MEMORY_TOOLS, runMemoryTool } from './memory-tools';
import { boundedHistory } from './history-budget';
import { serverSentEvents } from './sse';

export interface AnthropicProviderOptions {
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

const AnthropicConfig = z.object({
  baseUrl: z.url().default('https://api.anthropic.com/v1'),
  model: z.string().min(1).default('claude-sonnet-4-5'),
  apiKeyEnv: EnvName.default('ANTHROPIC_API_KEY'),
  maxTokens: z.number().int().min(1).max(64_000).default(1024),
  timeoutMs: z.number().int().min(1000).max(3_600_000).default(120_000),
});

const Block = z.union([
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }),
  z.object({ type: z.string() }),
]);
const MessageResponse = z.object({
  content: z.array(Block),
  stop_reason: z.string().nullable().optional(),
  usage: z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() }).optional(),
});
/** The same content, kept as sent, to hand back to the API in the next round. */
const RawContent = z.object({ content: z.array(z.record(z.string(), z.unknown())) });

type Content = string | Record<string, unknown>[];
interface ApiMessage { role: 'user' | 'assistant'; content: Content }

const MAX_ROUNDS = 5;
const API_VERSION = '2023-06-01';

export function createAnthropicProvider(options: AnthropicProviderOptions): AgentProvider {
  const fetchImpl = options.fetch ?? fetch;
  return {
    name: 'anthropic',
    async run(turn, { signal, onText }) {
      const config = AnthropicConfig.parse(turn.agent.config);
      const apiKey = options.env[config.apiKeyEnv] ?? '';
      const messages = historyOf(turn);
      const tools = turn.tools
        ? { tools: MEMORY_TOOLS.map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.parameters })) }
        : {};
      const usage = { inputTokens: 0, outputTokens: 0 };
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const limit = timeoutSignal(config.timeoutMs, signal);
        let body: unknown;
        try {
          const response = await fetchImpl(`${config.baseUrl.replace(/\/+$/, '')}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'anthropic-version': API_VERSION },
            body: JSON.stringify({ model: config.model, max_tokens: config.maxTokens, system: systemOf(turn), messages, ...tools, ...(onText ? { stream: true } : {}) }),
            signal: limit.signal,
          });
          if (!response.ok) throw new AppError('upstream_failed', `${config.baseUrl} answered HTTP ${response.status}: ${(await response.text()).slice(0, 500)}`);
          body = onText ? await readStream(response, onText) : await response.json();
        } finally {
          limit.clear();
        }
        const parsed = MessageResponse.parse(body);
        const content = parsed.content;
        usage.inputTokens += parsed.usage?.input_tokens ?? 0;
        usage.outputTokens += parsed.usage?.output_tokens ?? 0;
        const uses = content.filter((block): block is { type: 'tool_use'; id: string; name: string; input: unknown } => block.type === 'tool_use');
        if (uses.length === 0) {
          const text = content.map((block) => ('text' in block && typeof block.text === 'string' ? block.text : '')).join('');
          return { text, providerSessionId: null, usage };
        }
        messages.push({ role: 'assistant', content: RawContent.parse(body).content });
        const results = [];
        for (const use of uses) {
          results.push({ type: 'tool_result', tool_use_id: use.id, content: await runMemoryTool(turn.tools, use.name, use.input) });
        }
        messages.push({ role: 'user', content: results });
      }
      throw new AppError('upstream_failed', `the model kept calling tools for ${MAX_ROUNDS} rounds`);
    },
  };
}

const StreamEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('message_start'), message: z.object({ usage: z.object({ input_tokens: z.number().int() }).partial().optional() }) }),
  z.object({ type: z.literal('content_block_start'), index: z.number().int(), content_block: z.record(z.string(), z.unknown()) }),
  z.object({
    type: z.literal('content_block_delta'), index: z.number().int(),
    delta: z.object({ type: z.string(), text: z.string().optional(), partial_json: z.string().optional() }),
  }),
  z.object({ type: z.literal('message_delta'), usage: z.object({ output_tokens: z.number().int() }).partial().optional() }),
  z.object({ type: z.enum(['content_block_stop', 'message_stop', 'ping']) }),
  z.object({ type: z.literal('error'), error: z.object({ message: z.string() }) }),
]);

/**
 * A streamed response rebuilt as the message the non-streaming API returns: text blocks grow by
 * `text_delta` (reported as the text so far), tool_use inputs by `input_json_delta`.
 */
async function readStream(response: Response, onText: (textSoFar: string) => void): Promise<unknown> {
  const blocks: Record<string, unknown>[] = [];
  const json: string[] = [];
  const usage = { input_tokens: 0, output_tokens: 0 };
  // Blocks stream one after another, so the text so far is the running sum of the text deltas.
  let textSoFar = '';
  for await (const event of serverSentEvents(response)) {
    const parsed = StreamEvent.safeParse(JSON.parse(event.data));
    if (!parsed.success) continue; // an event type this reader does not need
    const data = parsed.data;
    if (data.type === 'error') throw new AppError('upstream_failed', `the stream failed: ${data.error.message}`);
    if (data.type === 'message_start') usage.input_tokens = data.message.usage?.input_tokens ?? 0;
    if (data.type === 'message_delta') usage.output_tokens = data.usage?.output_tokens ?? usage.output_tokens;
    if (data.type === 'content_block_start') {
      blocks[data.index] = { ...data.content_block };
      json[data.index] = '';
    }
    if (data.type === 'content_block_delta') {
      const block = blocks[data.index];
      if (!block) continue;
      if (data.delta.text !== undefined) {
        block.text = `${String(block.text ?? '')}${data.delta.text}`;
        textSoFar += data.delta.text;
        onText(textSoFar);
      }
      if (data.delta.partial_json !== undefined) json[data.index] = `${json[data.index] ?? ''}${data.delta.partial_json}`;
    }
  }
  blocks.forEach((block, index) => {
    if (block.type === 'tool_use') block.input = json[index] ? JSON.parse(json[index] ?? '{}') : {};
  });
  return { content: blocks, usage };
}

function systemOf(turn: Turn): string {
  const memories = turn.memories.map((memory) => `- ${memory.content}`).join('\n');
  return [turn.agent.systemPrompt, memories ? `What you remember that may matter here:\n${memories}` : ''].filter(Boolean).join('\n\n');
}

/** The transcript as alternating turns (consecutive messages of one side are joined), then this message. */
function historyOf(turn: Turn): ApiMessage[] {
  const messages: ApiMessage[] = [];
  const add = (role: 'user' | 'assistant', text: string) => {
    const last = messages[messages.length - 1];
    if (last && last.role === role && typeof last.content === 'string') last.content = `${last.content}\n\n${text}`;
    else messages.push({ role, content: text });
  };
  for (const message of boundedHistory(turn)) add(message.direction === 'inbound' ? 'user' : 'assistant', message.text);
  add('user', turn.text);
  while (messages[0]?.role === 'assistant') messages.shift();
  return messages;
}
