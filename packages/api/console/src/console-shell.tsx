/**
 * The signed-in console: a header with the navigation landmark and sign-out, the notice line, and
 * the page the URL names. The API client and the tab's one live feed are made here from the token,
 * so a new token (a refreshed Supabase session) reloads the pages and reconnects the feed with it.
 */
import { useCallback, useMemo, useState } from 'preact/hooks';
import { createApiClient } from '@switchboard/shared';
import { ConsoleContext, errorMessage, isUnauthorized, type ConsoleContextValue } from './console-context';
import { useMessageFeed } from './console-live';
import { useRoute, type Route } from './console-route';
import { ContactsPage } from './contacts-page';
import { ContactPage } from './contact-page';
import { OwnerSessionsPage } from './sessions-list';
import { TranscriptPage } from './transcript-page';
import { MemoriesPage } from './memories-page';
import { PairingPage } from './pairing-page';
import { OutboxPage } from './outbox-page';
import { AgentsPage } from './agents-page';
import { ChannelsPage } from './channels-page';
import { UsagePage } from './usage-page';

const NAV: { page: Route['page']; label: string }[] = [
  { page: 'contacts', label: 'Contacts' },
  { page: 'owner', label: 'My chats' },
  { page: 'memories', label: 'Memories' },
  { page: 'pairing', label: 'Pairing' },
  { page: 'outbox', label: 'Outbox' },
  { page: 'agents', label: 'Agents' },
  { page: 'channels', label: 'Channels' },
  { page: 'usage', label: 'Usage' },
];

export function ConsoleShell({ token, onSignOut }: { token: string; onSignOut(why?: string): void }) {
  const route = useRoute();
  const [notice, setNotice] = useState<string>();
  const client = useMemo(() => createApiClient({ baseUrl: location.origin, token, fetch: window.fetch.bind(window), timeoutMs: 30_000 }), [token]);
  const describeError = useCallback((error: unknown) => {
    if (isUnauthorized(error)) onSignOut(`Signed out: ${errorMessage(error)}`);
    return errorMessage(error);
  }, [onSignOut]);
  const feed = useMessageFeed(client, describeError);
  const value = useMemo<ConsoleContextValue>(() => ({ client, describeError, notify: setNotice, feed }), [client, describeError, feed]);
  const current = route.page === 'contact' ? 'contacts' : route.page === 'session' ? undefined : route.page;
  return (
    <ConsoleContext.Provider value={value}>
      <header class="top">
        <p class="brand">Switchboard</p>
        <nav aria-label="Console">
          <ul>
            {NAV.map((item) => (
              <li key={item.page}>
                <a href={`#/${item.page}`} aria-current={current === item.page ? 'page' : undefined}>{item.label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="quiet" onClick={() => onSignOut()}>Sign out</button>
      </header>
      <main>
        {notice && (
          <p role="status" class="notice">
            {notice} <button type="button" class="quiet" onClick={() => setNotice(undefined)}>Dismiss</button>
          </p>
        )}
        <Page route={route} />
      </main>
    </ConsoleContext.Provider>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'contacts': return <ContactsPage />;
    case 'contact': return <ContactPage key={route.id} id={route.id} />;
    case 'owner': return <OwnerSessionsPage />;
    case 'session': return <TranscriptPage key={route.id} id={route.id} />;
    case 'memories': return <MemoriesPage />;
    case 'pairing': return <PairingPage />;
    case 'outbox': return <OutboxPage />;
    case 'agents': return <AgentsPage />;
    case 'channels': return <ChannelsPage />;
    case 'usage': return <UsagePage />;
  }
}
