import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { describeEachServer } from '../../../../test/server-harness';

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown } | { type: 'tool_result'; tool_use_id: string; content: string };
interface MessagesRequest { model: string; system: string; stream?: boolean; messages: { role: string; content: string | Block[] }[]; headers: Record<string, string | string[] | undefined> }

/** A local server speaking the Anthropic Messages wire format: `remember X`/`recall`/`forget <id>` become tool_use blocks. */
function startFakeAnthropic(): Promise<{ url: string; requests: MessagesRequest[]; server: Server }> {
  const requests: MessagesRequest[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const request = { ...(JSON.parse(body) as Omit<MessagesRequest, 'headers'>), headers: req.headers };
    requests.push(request);
    const last = request.messages[request.messages.length - 1];
    const content = typeof last?.content === 'string' ? last.content : '';
    const result = Array.isArray(last?.content) ? last.content.find((b) => b.type === 'tool_result') : undefined;
    let blocks: Block[];
    if (result && result.type === 'tool_result') blocks = [{ type: 'text', text: `tool said: ${result.content}` }];
    else if (content.startsWith('remember ')) blocks = [{ type: 'text', text: 'noting' }, { type: 'tool_use', id: 'toolu_1', name: 'remember', input: { content: content.slice(9) } }];
    else if (content === 'recall') blocks = [{ type: 'tool_use', id: 'toolu_2', name: 'recall', input: { query: '' } }];
    else if (content.startsWith('forget ')) blocks = [{ type: 'tool_use', id: 'toolu_3', name: 'forget', input: { id: content.slice(7), tenant: 'other' } }];
    else blocks = [{ type: 'text', text: `claude api heard: ${content}` }];
    if (request.stream) return streamMessage(res, blocks);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', content: blocks, stop_reason: blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn', usage: { input_tokens: 30, output_tokens: 4 } }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests, server })));
}

/** `stream: true`: the message as Messages API events; text in two deltas, tool input as two JSON pieces. */
async function streamMessage(res: import('node:http').ServerResponse, blocks: Block[]): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const events: [string, unknown][] = [['message_start', { type: 'message_start', message: { id: 'msg_1', role: 'assistant', content: [], usage: { input_tokens: 30, output_tokens: 1 } } }]];
  blocks.forEach((block, index) => {
    if (block.type === 'text') {
      const half = Math.ceil(block.text.length / 2);
      events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }]);
      for (const text of [block.text.slice(0, half), block.text.slice(half)]) {
        events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } }]);
      }
    } else if (block.type === 'tool_use') {
      const json = JSON.stringify(block.input);
      events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } }]);
      for (const partial of [json.slice(0, 4), json.slice(4)]) {
        events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: partial } }]);
      }
    }
    events.push(['content_block_stop', { type: 'content_block_stop', index }]);
  });
  events.push(['ping', { type: 'ping' }]);
  events.push(['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 4 } }]);
  events.push(['message_stop', { type: 'message_stop' }]);
  for (const [name, data] of events) {
    res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  res.end();
}

describeEachServer('anthropic agent with memory tools (local fake Messages API server)', (server) => {
  let fake: Awaited<ReturnType<typeof startFakeAnthropic>>;
  const say = async (sender: string, text: string) =>
    (await server.client().inbound({ channel: 'telegram', sender: { id: sender }, messageId: randomUUID(), text }, { wait: true })).reply?.text ?? '';

  beforeAll(async () => {
    fake = await startFakeAnthropic();
    await server.client().agents.update('default', { provider: 'anthropic', baseUrl: fake.url, model: 'fake-claude', systemPrompt: 'Be kind.' });
  });
  afterAll(() => new Promise<void>((resolve) => fake.server.close(() => resolve())));

  it('answers tool_use with the turn\'s own memories and sends the system prompt and API version', async () => {
    expect(await say('901', 'remember D plays chess')).toMatch(/^tool said: \{"id":"[0-9a-f-]{36}","content":"D plays chess"\}$/);
    expect(await say('901', 'recall')).toContain('D plays chess');
    expect(await say('902', 'recall')).toBe('tool said: []');
    const last = fake.requests[fake.requests.length - 1];
    expect(last?.model).toBe('fake-claude');
    expect(last?.system).toBe('Be kind.');
    expect(last?.headers['anthropic-version']).toBe('2023-06-01');
    const [session] = await server.client().sessions.list();
    const messages = session ? await server.client().sessions.messages(session.id) : [];
    // Every reply cost two rounds here (tool_use, then the answer).
    expect(messages.filter((m) => m.direction === 'outbound').map((m) => m.usage)).toContainEqual({ inputTokens: 60, outputTokens: 8 });
  });

  it('changes nothing of another contact when a tool_use names their memory id', async () => {
    const stored = await say('903', 'remember E hides keys');
    const memoryId = /"id":"([0-9a-f-]{36})"/.exec(stored)?.[1] ?? '';
    expect(await say('904', `forget ${memoryId}`)).toBe('tool said: error: no such memory');
    expect((await server.client().memories.list()).map((m) => m.content)).toContain('E hides keys');
  });

  it('sends the stored transcript as alternating user and assistant turns', async () => {
    await say('905', 'hello there');
    await say('905', 'and again');
    const last = fake.requests[fake.requests.length - 1];
    expect(last?.messages).toEqual([
      { role: 'user', content: 'hello there' }, { role: 'assistant', content: 'claude api heard: hello there' }, { role: 'user', content: 'and again' },
    ]);
  });

  it('streams the reply as it is written to a caller who watches, with tool_use rebuilt from its pieces', async () => {
    const seen: string[] = [];
    const answer = await server.client().inboundStream(
      { channel: 'telegram', sender: { id: '905' }, messageId: randomUUID(), text: 'remember I bakes bread' }, (text) => seen.push(text),
    );
    const reply = 'reply' in answer ? answer.reply?.text : undefined;
    expect(reply).toMatch(/^tool said: \{"id":"[0-9a-f-]{36}","content":"I bakes bread"\}$/);
    // The first round's text, then the answer's: a revision the caller sees as a replacement.
    expect(seen.slice(0, 2)).toEqual(['not', 'noting']);
    expect(seen.at(-1)).toBe(reply);
    expect(fake.requests.at(-1)?.stream).toBe(true);
    expect((await server.client().memories.list({ contact: answer.contactId ?? undefined })).map((m) => m.content)).toEqual(['I bakes bread']);
  });
});
