/**
 * The landing page: every contact of the tenant by name or `channel:id`, searchable by name, by
 * identity or by id. A new message anywhere in the tenant reloads the list (it may be a new contact).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Contact } from '@switchboard/shared';
import { useLoad } from './console-load';
import { useLiveMessages } from './console-live';
import { href } from './console-route';
import { LoadState, UserText, contactLabel } from './console-view';

const RELOAD_PAUSE_MS = 1000;

export function ContactsPage() {
  const contacts = useLoad((client) => client.contacts.list(), []);
  const [query, setQuery] = useState('');
  // A burst of messages reloads the list once a second at most.
  const pending = useRef<number | undefined>(undefined);
  useEffect(() => () => clearTimeout(pending.current), []);
  useLiveMessages(() => {
    pending.current ??= setTimeout(() => {
      pending.current = undefined;
      contacts.reload();
    }, RELOAD_PAUSE_MS);
  });
  const shown = (contacts.data ?? []).filter((contact) => matchesContact(contact, query));
  return (
    <section aria-labelledby="contacts-heading">
      <h1 id="contacts-heading">Contacts</h1>
      <div class="field">
        <label for="contact-search">Search by name or identity</label>
        <input id="contact-search" type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
      </div>
      <LoadState load={contacts} isEmpty={contacts.data !== undefined && shown.length === 0} empty={query ? 'No contact matches.' : 'No contacts yet.'} />
      <ul class="cards" aria-label="Contacts">
        {shown.map((contact) => (
          <li key={contact.id}>
            <a href={href.contact(contact.id)}><UserText>{contactLabel(contact)}</UserText></a>
            <span class="muted">
              {contact.kind}{contact.access === 'default' ? '' : `, ${contact.access}`}{contact.mergedInto ? ', merged' : ''}
            </span>
            <ul class="identities">
              {contact.identities.map((identity) => (
                <li key={`${identity.channel}:${identity.externalId}`}><UserText>{`${identity.channel}:${identity.externalId}`}</UserText></li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function matchesContact(contact: Contact, query: string): boolean {
  const needle = query.trim().toLowerCase();
  if (needle === '') return true;
  const haystack = [contact.displayName ?? '', contact.id, ...contact.identities.map((i) => `${i.channel}:${i.externalId}`)];
  return haystack.some((text) => text.toLowerCase().includes(needle));
}
