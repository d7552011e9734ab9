/**
 * A session's transcript, oldest first, a page at a time: the newest page first, "Load older
 * messages" prepends the page before it. New messages of this session arrive over the live stream
 * and are appended once (a message already shown is not added again).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { SessionId, type Message } from '@switchboard/shared';
import { useConsole } from './console-context';
import { useAction } from './console-load';
import { useLiveMessages } from './console-live';
import { href } from './console-route';
import { ErrorLine, UserText, formatTime } from './console-view';

export const TRANSCRIPT_PAGE_SIZE = 50;

export function TranscriptPage({ id }: { id: string }) {
  const { client, describeError } = useConsole();
  const [messages, setMessages] = useState<Message[]>();
  const [older, setOlder] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const more = useAction();
  const sessionId = SessionId.safeParse(id);

  useEffect(() => {
    if (!sessionId.success) return;
    client.sessions.messagesPage(sessionId.data, { limit: TRANSCRIPT_PAGE_SIZE }).then((page) => {
      setMessages(early.current.reduce(withMessage, page.messages));
      setOlder(page.older);
    }, (failure: unknown) => setError(describeError(failure)));
  }, [client, id]);
  // A message that arrives before the first page is kept for it: the page may have been read before it was stored.
  const early = useRef<Message[]>([]);
  const list = useRef<HTMLOListElement>(null);
  useLiveMessages((message) => {
    if (message.sessionId !== id) return;
    if (messages === undefined) early.current.push(message);
    else setMessages((shown) => withMessage(shown ?? [], message));
  });

  const loadOlder = () => {
    if (!sessionId.success || older === null) return;
    more.run(async (api) => {
      const page = await api.sessions.messagesPage(sessionId.data, { before: older, limit: TRANSCRIPT_PAGE_SIZE });
      setMessages((shown) => [...page.messages, ...(shown ?? [])]);
      setOlder(page.older);
      // The button goes with the last older page: keyboard focus moves to the transcript instead of the page's start.
      if (page.older === null) list.current?.focus();
    });
  };
  const contactId = messages?.find((m) => m.contactId)?.contactId;
  return (
    <section aria-labelledby="transcript-heading">
      <p>{contactId ? <a href={href.contact(contactId)}>← The contact</a> : <a href="#/owner">← My chats</a>}</p>
      <h1 id="transcript-heading">Transcript</h1>
      {!sessionId.success && <p role="alert" class="error">Not a session id.</p>}
      <ErrorLine error={error} />
      {older !== null && <button type="button" onClick={loadOlder} disabled={more.busy}>Load older messages</button>}
      <ErrorLine error={more.error} />
      {messages && messages.length === 0 && <p class="muted">No messages yet.</p>}
      <ol class="transcript" aria-label="Messages" tabIndex={-1} ref={list}>
        {(messages ?? []).map((message) => (
          <li key={message.id} class={message.direction}>
            <p class="meta">
              {message.direction === 'inbound' ? 'Received' : 'Replied'} {formatTime(message.createdAt)} via {message.channel}
              {message.usage && ` · ${message.usage.inputTokens} in / ${message.usage.outputTokens} out tokens`}
            </p>
            <UserText block>{message.text}</UserText>
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The transcript with `message` added at the end, unless it is shown already. */
function withMessage(shown: Message[], message: Message): Message[] {
  return shown.some((m) => m.id === message.id) ? shown : [...shown, message];
}
