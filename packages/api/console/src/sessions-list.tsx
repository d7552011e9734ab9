/** The sessions of one contact, or the owner's own chats, each a link to its transcript. */
import type { SessionOwnerFilter } from '@switchboard/shared';
import { useLoad } from './console-load';
import { href } from './console-route';
import { LoadState, UserText, formatTime } from './console-view';

export function SessionsList({ owner }: { owner: SessionOwnerFilter }) {
  const sessions = useLoad((client) => client.sessions.list({ contact: owner, limit: 200 }), [owner]);
  const list = sessions.data ?? [];
  return (
    <>
      <LoadState load={sessions} isEmpty={sessions.data !== undefined && list.length === 0} empty="No sessions." />
      <ul class="cards" aria-label="Sessions">
        {list.map((session) => (
          <li key={session.id}>
            <a href={href.session(session.id)}>Session of {formatTime(session.createdAt)}</a>
            <span class="muted"> {session.provider}, {session.status}</span>
            {session.threadKey && <span class="muted"> thread <UserText>{session.threadKey}</UserText></span>}
          </li>
        ))}
      </ul>
    </>
  );
}

export function OwnerSessionsPage() {
  return (
    <section aria-labelledby="owner-heading">
      <h1 id="owner-heading">My chats</h1>
      <SessionsList owner="owner" />
    </section>
  );
}
