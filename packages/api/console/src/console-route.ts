/**
 * The console's pages, addressed by the URL's hash (`#/contacts/<id>`), so a reload or a shared
 * link opens the same page and the server serves one index.html. Ids are encoded in links and
 * decoded here; a hash nobody knows opens the contact list.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'contacts' }
  | { page: 'contact'; id: string }
  | { page: 'owner' }
  | { page: 'session'; id: string }
  | { page: 'memories' }
  | { page: 'pairing' }
  | { page: 'outbox' }
  | { page: 'agents' }
  | { page: 'channels' }
  | { page: 'usage' };

const SIMPLE_PAGES = ['contacts', 'owner', 'memories', 'pairing', 'outbox', 'agents', 'channels', 'usage'] as const;

export function parseRoute(hash: string): Route {
  const [, first = '', second] = hash.replace(/^#/, '').split('/');
  if (first === 'contacts' && second) return { page: 'contact', id: decodeURIComponent(second) };
  if (first === 'sessions' && second) return { page: 'session', id: decodeURIComponent(second) };
  const simple = SIMPLE_PAGES.find((page) => page === first);
  return { page: simple ?? 'contacts' };
}

export const href = {
  contacts: '#/contacts',
  contact: (id: string) => `#/contacts/${encodeURIComponent(id)}`,
  session: (id: string) => `#/sessions/${encodeURIComponent(id)}`,
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    // The hash may have changed between the first render and this effect; that change fired no
    // event this listener heard.
    update();
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
