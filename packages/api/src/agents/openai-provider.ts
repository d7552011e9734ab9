/**
 * OpenAI-compatible chat completions (OpenAI, Ollama, vLLM, LM Studio, OpenRouter): the history is
 * our stored transcript, the memory tools are function calls answered with the turn's own tools
 * (bound to its scope: arguments cannot name another contact), and the loop ends with the first
 * answer without tool calls, or fails after a few rounds. When someone watches the turn live, the
 * rounds stream (`stream: true`) and the text so far is reported as it grows. The API key is read
 * from the environment variable the agent's config names.
 */
import { z } from 'zod';
import { AppError, EnvName, timeoutSignal } from '@switchboard/shared';
import type { AgentProvider, Turn } from './agent-provider';
import { MEMORY_TOOLS, parseToolArguments, runMemoryTool } from './memory-tools';
import { boundedHistory } from './history-budget';
import { serverSentEvents } from './sse';

export interface OpenaiProviderOptions {
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

const OpenaiConfig = z.object({
  baseUrl: z.url().default('https://api.openai.com/v1'),
  model: z.string().min(1).default('gpt-4o-mini'),
  apiKeyEnv: EnvName.default('OPENAI_API_KEY'),
  timeoutMs: z.number().int().min(1000).max(3_600_000).default(120_000),
});

const ToolCall = z.object({ id: z.string(), type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.string() }) });
const Completion = z.object({
  usage: z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int() }).optional(),
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable().optional(), tool_calls: z.array(ToolCall).optional() }) })).min(1),
});

type ChatMessage =
  | { role: 'system' | 'user' | 'assistant'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls: z.infer<typeof ToolCall>[] }
  | { role: 'tool'; tool_call_id: string; content: string };

const MAX_ROUNDS = 5;

export function createOpenaiProvider(options: OpenaiProviderOptions): AgentProvider {
  const fetchImpl = options.fetch ?? fetch;
  return {
    name: 'openai',
    async run(turn, { signal, onText }) {
      const config = OpenaiConfig.parse(turn.agent.config);
      const apiKey = options.env[config.apiKeyEnv];
      const messages = initialMessages(turn);
      const tools = turn.tools ? { tools: MEMORY_TOOLS.map((tool) => ({ type: 'function', function: tool })) } : {};
      const streaming = onText ? { stream: true, stream_options: { include_usage: true } } : {};
      const usage = { inputTokens: 0, outputTokens: 0 };
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const limit = timeoutSignal(config.timeoutMs, signal);
        let result: RoundResult;
        try {
          const response = await fetchImpl(`${config.baseUrl.replace(/\/+$/, '')}/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
            body: JSON.stringify({ model: config.model, messages, ...tools, ...streaming }),
            signal: limit.signal,
          });
          if (!response.ok) throw new AppError('upstream_failed', `${config.baseUrl} answered HTTP ${response.status}: ${(await response.text()).slice(0, 500)}`);
          result = onText ? await readStream(response, onText) : readCompletion(await response.json());
        } finally {
          limit.clear();
        }
        usage.inputTokens += result.usage.inputTokens;
        usage.outputTokens += result.usage.outputTokens;
        const calls = result.toolCalls;
        if (calls.length === 0) return { text: result.content ?? '', providerSessionId: null, usage };
        messages.push({ role: 'assistant', content: result.content, tool_calls: calls });
        for (const call of calls) {
          messages.push({ role: 'tool', tool_call_id: call.id, content: await runMemoryTool(turn.tools, call.function.name, parseToolArguments(call.function.arguments)) });
        }
      }
      throw new AppError('upstream_failed', `the model kept calling tools for ${MAX_ROUNDS} rounds`);
    },
  };
}

interface RoundResult {
  content: string | null;
  toolCalls: z.infer<typeof ToolCall>[];
  usage: { inputTokens: number; outputTokens: number };
}

function readCompletion(body: unknown): RoundResult {
  const completion = Completion.parse(body);
  const message = completion.choices[0]?.message;
  return {
    content: message?.content ?? null,
    toolCalls: message?.tool_calls ?? [],
    usage: { inputTokens: completion.usage?.prompt_tokens ?? 0, outputTokens: completion.usage?.completion_tokens ?? 0 },
  };
}

const StreamChunk = z.object({
  choices: z.array(z.object({
    delta: z.object({
      content: z.string().nullable().optional(),
      tool_calls: z.array(z.object({
        index: z.number().int(),
        id: z.string().optional(),
        function: z.object({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
      })).optional(),
    }).optional(),
  })).default([]),
  usage: z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int() }).nullable().optional(),
});

/** A streamed round: text deltas reported as they come, tool calls assembled from their pieces. */
async function readStream(response: Response, onText: (textSoFar: string) => void): Promise<RoundResult> {
  let content: string | null = null;
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  const usage = { inputTokens: 0, outputTokens: 0 };
  for await (const event of serverSentEvents(response)) {
    if (event.data === '[DONE]') break;
    const chunk = StreamChunk.parse(JSON.parse(event.data));
    if (chunk.usage) {
      usage.inputTokens = chunk.usage.prompt_tokens;
      usage.outputTokens = chunk.usage.completion_tokens;
    }
    const delta = chunk.choices[0]?.delta;
    if (delta?.content) {
      content = (content ?? '') + delta.content;
      onText(content);
    }
    for (const piece of delta?.tool_calls ?? []) {
      const call = calls.get(piece.index) ?? { id: '', name: '', arguments: '' };
      calls.set(piece.index, {
        id: piece.id ?? call.id, name: call.name + (piece.function?.name ?? ''), arguments: call.arguments + (piece.function?.arguments ?? ''),
      });
    }
  }
  const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b)
    .map(([, call]) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } }));
  return { content, toolCalls, usage };
}

function initialMessages(turn: Turn): ChatMessage[] {
  const memories = turn.memories.map((memory) => `- ${memory.content}`).join('\n');
  const system = [turn.agent.systemPrompt, memories ? `What you remember that may matter here:\n${memories}` : '']
    .filter(Boolean).join('\n\n');
  return [
    ...(system ? [{ role: 'system' as const, content: system }] : []),
    ...boundedHistory(turn).map((m) => ({ role: m.direction === 'inbound' ? ('user' as const) : ('assistant' as const), content: m.text })),
    { role: 'user', content: turn.text },
  ];
}
