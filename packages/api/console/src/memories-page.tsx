/**
 * Memories of the tenant, narrowed by whose they are (a contact, the owner), by visibility and by
 * a search; each can be edited (text and visibility) and shows its history on request.
 */
import { useState } from 'preact/hooks';
import { z } from 'zod';
import { MemoryOwnerFilter, Visibility, type Contact, type MemoryListQuery } from '@switchboard/shared';
import { useLoad } from './console-load';
import { LoadState, contactLabel } from './console-view';
import { MemoryItem } from './memory-item';

export function MemoriesPage() {
  const [owner, setOwner] = useState('');
  const [visibility, setVisibility] = useState<'' | Visibility>('');
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const contacts = useLoad((client) => client.contacts.list(), []);
  const filter: MemoryListQuery = {
    ...(owner ? { contact: MemoryOwnerFilter.parse(owner) } : {}),
    ...(visibility ? { visibility } : {}),
    ...(q ? { q } : {}),
    limit: 200,
  };
  const memories = useLoad((client) => client.memories.list(filter), [owner, visibility, q]);
  const names = new Map((contacts.data ?? []).map((c): [string, string] => [c.id, contactLabel(c)]));
  const submit = (event: Event) => {
    event.preventDefault();
    setQ(search.trim());
  };
  return (
    <section aria-labelledby="memories-heading">
      <h1 id="memories-heading">Memories</h1>
      <form class="filters" onSubmit={submit}>
        <OwnerSelect id="memory-owner" label="Whose" value={owner} onChange={setOwner} contacts={contacts.data ?? []} />
        <div class="field">
          <label for="memory-visibility">Visibility</label>
          <select id="memory-visibility" value={visibility} onChange={(e) => setVisibility(Visibility.or(z.literal('')).parse(e.currentTarget.value))}>
            <option value="">Any</option>
            <option value="private">Private</option>
            <option value="shared">Shared</option>
          </select>
        </div>
        <div class="field">
          <label for="memory-search">Search</label>
          <input id="memory-search" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </div>
        <button type="submit">Search</button>
      </form>
      <LoadState load={memories} isEmpty={memories.data?.length === 0} empty="No memories." />
      <ul class="cards" aria-label="Memories">
        {(memories.data ?? []).map((memory) => (
          <MemoryItem key={memory.id} memory={memory} ownerName={memory.contactId ? names.get(memory.contactId) ?? 'a contact' : 'you'} onChanged={memories.reload} />
        ))}
      </ul>
    </section>
  );
}

interface OwnerSelectProps {
  id: string;
  label: string;
  value: string;
  contacts: Contact[];
  onChange(value: string): void;
}

/** All, the owner's own, or one contact's. */
export function OwnerSelect({ id, label, value, contacts, onChange }: OwnerSelectProps) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">Everyone</option>
        <option value="owner">Mine (the owner's)</option>
        {contacts.map((c) => <option key={c.id} value={c.id}>{contactLabel(c)}</option>)}
      </select>
    </div>
  );
}
