import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { describeEachServer } from '../../../../test/server-harness';

interface ChatRequest { messages: { role: string; content: string | null }[]; stream?: boolean }
type Reply = { content: string } | { tool: string; args: Record<string, unknown> };

/** A local server speaking the OpenAI chat-completions wire format, answering from a script. */
function startFakeOpenai(script: (request: ChatRequest) => Reply): Promise<{ url: string; requests: ChatRequest[]; server: Server }> {
  const requests: ChatRequest[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const request = JSON.parse(body) as ChatRequest;
    requests.push(request);
    const reply = script(request);
    if (request.stream) return streamReply(res, reply, `call_${requests.length}`);
    const message = 'content' in reply
      ? { role: 'assistant', content: reply.content }
      : { role: 'assistant', content: null, tool_calls: [{ id: `call_${requests.length}`, type: 'function', function: { name: reply.tool, arguments: JSON.stringify(reply.args) } }] };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({
      id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message, finish_reason: 'stop' }], usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 },
    }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests, server })));
}

/** `stream: true`: the reply as chat.completion.chunk events, text in three pieces, a tool call's arguments in two. */
async function streamReply(res: import('node:http').ServerResponse, reply: Reply, callId: string): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (delta: unknown) => ({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] });
  const events: unknown[] = [];
  if ('content' in reply) {
    const third = Math.ceil(reply.content.length / 3);
    for (let at = 0; at < reply.content.length; at += third) events.push(chunk({ content: reply.content.slice(at, at + third) }));
  } else {
    const args = JSON.stringify(reply.args);
    events.push(chunk({ tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: reply.tool, arguments: '' } }] }));
    events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, 5) } }] }));
    events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(5) } }] }));
  }
  events.push({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 } });
  for (const event of events) {
    res.write(`data: ${JSON.stringify(event)}\n\n`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  res.end('data: [DONE]\n\n');
}

/** The script: `remember X`, `recall`, `forget <id>` become tool calls; a tool result is echoed back. */
function script(request: ChatRequest): Reply {
  const last = request.messages[request.messages.length - 1];
  if (last?.role === 'tool') return { content: `tool said: ${last.content}` };
  const text = last?.content ?? '';
  const forget = /^forget (\S+)$/.exec(text);
  if (forget) return { tool: 'forget', args: { id: forget[1], contact: 'someone-else' } };
  if (text.startsWith('remember ')) return { tool: 'remember', args: { content: text.slice(9) } };
  if (text === 'recall') return { tool: 'recall', args: { query: '' } };
  return { content: `model heard: ${text}` };
}

describeEachServer('openai-compatible agent with memory tools (local fake chat-completions server)', (server) => {
  let fake: Awaited<ReturnType<typeof startFakeOpenai>>;
  const say = async (sender: string, text: string) =>
    (await server.client().inbound({ channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text }, { wait: true })).reply?.text ?? '';

  beforeAll(async () => {
    fake = await startFakeOpenai(script);
    await server.client().agents.update('default', { provider: 'openai', baseUrl: fake.url, model: 'fake-model' });
  });
  afterAll(() => new Promise<void>((resolve) => fake.server.close(() => resolve())));

  it('runs remember and recall as tool calls in the turn\'s own scope', async () => {
    expect(await say('801', 'remember B likes jazz')).toMatch(/^tool said: \{"id":"[0-9a-f-]{36}","content":"B likes jazz"\}$/);
    expect(await say('801', 'recall')).toContain('B likes jazz');
    expect(await say('802', 'recall')).toBe('tool said: []');
  });

  it('changes nothing of another contact when a tool call names their memory id', async () => {
    const stored = await say('803', 'remember C keeps a secret');
    const memoryId = /"id":"([0-9a-f-]{36})"/.exec(stored)?.[1] ?? '';
    expect(await say('804', `forget ${memoryId}`)).toBe('tool said: error: no such memory');
    const all = await server.client().memories.list();
    expect(all.map((m) => m.content)).toContain('C keeps a secret');
    expect(await say('803', `forget ${memoryId}`)).toBe('tool said: forgotten');
    expect((await server.client().memories.list()).map((m) => m.content)).not.toContain('C keeps a secret');
  });

  it('runs with a key variable of any name the agent settings accept, lowercase included', async () => {
    await server.client().agents.update('default', { apiKeyEnv: 'my_openai_key' });
    try {
      expect(await say('806', 'hello')).toBe('model heard: hello');
    } finally {
      await server.client().agents.update('default', { apiKeyEnv: 'OPENAI_API_KEY' });
    }
  });

  it('sends the stored transcript as history and the model name', async () => {
    await say('805', 'first words');
    await say('805', 'second words');
    const last = fake.requests[fake.requests.length - 1] as ChatRequest & { model?: string };
    expect(last.model).toBe('fake-model');
    expect(last.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'first words'], ['assistant', 'model heard: first words'], ['user', 'second words'],
    ]);
  });

  it('sends only the most recent transcript that fits the agent\'s history budget', async () => {
    await server.client().agents.update('default', { historyChars: 60 });
    try {
      await say('810', 'an older message that will not fit any more');
      await say('810', 'short one');
      await say('810', 'now');
      const last = fake.requests[fake.requests.length - 1] as ChatRequest;
      expect(last.messages.map((m) => [m.role, m.content])).toEqual([
        ['user', 'short one'], ['assistant', 'model heard: short one'], ['user', 'now'],
      ]);
    } finally {
      await server.client().agents.update('default', { historyChars: 24_000 });
    }
  });

  it('records what a reply cost, summed over its tool rounds', async () => {
    const answer = await server.client().inbound({ channel: 'telegram', sender: { id: '807' }, messageId: randomUUID(), text: 'remember G grows figs' }, { wait: true });
    const sessionId = 'sessionId' in answer ? answer.sessionId : null;
    expect(sessionId).not.toBeNull();
    const messages = await server.client().sessions.messages(sessionId ?? ('' as never));
    expect(messages.map((m) => [m.direction, m.usage])).toEqual([['inbound', null], ['outbound', { inputTokens: 40, outputTokens: 10 }]]);
  });

  it('streams the reply as it is written to a caller who watches, tool rounds included', async () => {
    const seen: string[] = [];
    const message = { channel: 'telegram' as const, sender: { id: '808' }, messageId: randomUUID(), text: 'remember H hikes on Sundays' };
    const answer = await server.client().inboundStream(message, (text) => seen.push(text));
    expect(answer).toMatchObject({ status: 'done', reply: { text: expect.stringMatching(/^tool said: \{"id":"[0-9a-f-]{36}","content":"H hikes on Sundays"\}$/) } });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.at(-1)).toBe('reply' in answer ? answer.reply?.text : undefined);
    seen.forEach((text, i) => expect(text.startsWith(seen[i - 1] ?? '')).toBe(true));
    expect(fake.requests.at(-1)?.stream).toBe(true);
    const memories = await server.client().memories.list({ contact: answer.contactId ?? undefined });
    expect(memories.map((m) => m.content)).toEqual(['H hikes on Sundays']);
  });

  it('answers a message that starts no turn with its status, even when asked to stream', async () => {
    const message = { channel: 'telegram' as const, sender: { id: '809' }, messageId: randomUUID(), text: 'once' };
    await server.client().inbound(message);
    const again = await server.client().inboundStream(message, () => undefined);
    expect(again).toMatchObject({ status: 'duplicate' });
  });

  it('offers no tools with memory in context only, and neither tools nor memories with memory off', async () => {
    await say('806', 'remember F flies kites');
    try {
      await server.client().agents.update('default', { memory: 'context' });
      await say('806', 'kites');
      const inContext = fake.requests[fake.requests.length - 1] as ChatRequest & { tools?: unknown };
      expect(inContext.tools).toBeUndefined();
      expect(inContext.messages[0]).toEqual({ role: 'system', content: expect.stringContaining('F flies kites') });

      await server.client().agents.update('default', { memory: 'off' });
      await say('806', 'kites');
      const off = fake.requests[fake.requests.length - 1] as ChatRequest & { tools?: unknown };
      expect(off.tools).toBeUndefined();
      expect(JSON.stringify(off.messages.filter((m) => m.role === 'system'))).not.toContain('F flies kites');
    } finally {
      await server.client().agents.update('default', { memory: 'tools' });
    }
  });
});
