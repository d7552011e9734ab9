/** The events of a `text/event-stream` response body, parsed by eventsource-parser. */
import { EventSourceParserStream } from 'eventsource-parser/stream';

export interface ServerSentEvent {
  event?: string | undefined;
  data: string;
}

export async function* serverSentEvents(response: Response): AsyncGenerator<ServerSentEvent> {
  if (!response.body) return;
  const events = response.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  for await (const event of events as unknown as AsyncIterable<ServerSentEvent>) yield event;
}
