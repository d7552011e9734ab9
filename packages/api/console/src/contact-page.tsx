/**
 * One contact: identities, access (allow, block, default), merge into another contact and unmerge,
 * sessions, usage, and erasure behind a typed confirmation (the contact's name, or its id when it
 * has none, typed exactly).
 */
import { useState } from 'preact/hooks';
import { ContactAccess, ContactId, type Contact } from '@switchboard/shared';
import { useAction, useLoad } from './console-load';
import { href } from './console-route';
import { ErrorLine, LoadState, Section, UserText, contactLabel, formatTime } from './console-view';
import { SessionsList } from './sessions-list';
import { EraseContact } from './contact-erase';

export function ContactPage({ id }: { id: string }) {
  const contact = useLoad((client) => client.contacts.get(parseContactId(id)), [id]);
  const data = contact.data;
  return (
    <section aria-labelledby="contact-heading">
      <p><a href={href.contacts}>← All contacts</a></p>
      <h1 id="contact-heading">{data ? <UserText>{contactLabel(data)}</UserText> : 'Contact'}</h1>
      <LoadState load={contact} />
      {data && (
        <>
          <p class="muted">A {data.kind}, known since {formatTime(data.createdAt)}. Id <code>{data.id}</code></p>
          <Section title="Identities" id="identities-heading">
            <ul class="identities">
              {data.identities.map((i) => <li key={`${i.channel}:${i.externalId}`}><UserText>{`${i.channel}:${i.externalId}`}</UserText></li>)}
            </ul>
          </Section>
          <AccessForm contact={data} onChanged={contact.reload} />
          <MergeForm contact={data} onChanged={contact.reload} />
          <Section title="Sessions" id="sessions-heading">
            <SessionsList owner={data.id} />
          </Section>
          <EraseContact contact={data} />
        </>
      )}
    </section>
  );
}

function parseContactId(id: string): ContactId {
  const parsed = ContactId.safeParse(id);
  if (!parsed.success) throw new Error(`"${id}" is not a contact id`);
  return parsed.data;
}

function AccessForm({ contact, onChanged }: { contact: Contact; onChanged(): void }) {
  const [access, setAccess] = useState<ContactAccess>(contact.access);
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    action.run((client) => client.contacts.setAccess(contact.id, access), onChanged);
  };
  return (
    <Section title="Access" id="access-heading">
      <form onSubmit={submit} class="row">
        <label for="contact-access">Who may talk to the agents</label>
        <select id="contact-access" value={access} onChange={(e) => setAccess(ContactAccess.parse(e.currentTarget.value))}>
          <option value="default">Default (the agent's policy)</option>
          <option value="allowed">Allowed</option>
          <option value="blocked">Blocked</option>
        </select>
        <button type="submit" disabled={action.busy || access === contact.access}>Save access</button>
      </form>
      <ErrorLine error={action.error} />
    </Section>
  );
}

function MergeForm({ contact, onChanged }: { contact: Contact; onChanged(): void }) {
  const others = useLoad((client) => client.contacts.list(), []);
  const [into, setInto] = useState('');
  const action = useAction();
  const targets = (others.data ?? []).filter((c) => c.id !== contact.id && !c.mergedInto);
  const target = targets.find((c) => c.id === into);
  const merge = (event: Event) => {
    event.preventDefault();
    if (target) action.run((client) => client.contacts.merge(contact.id, target.id), onChanged);
  };
  if (contact.mergedInto) {
    const mergedInto = contact.mergedInto;
    return (
      <Section title="Merge" id="merge-heading">
        <p>Merged into <a href={href.contact(mergedInto)}>another contact</a>.</p>
        <button type="button" disabled={action.busy} onClick={() => action.run((client) => client.contacts.unmerge(contact.id), onChanged)}>Unmerge</button>
        <ErrorLine error={action.error} />
      </Section>
    );
  }
  return (
    <Section title="Merge" id="merge-heading">
      <form onSubmit={merge} class="row">
        <label for="merge-into">Merge this contact into</label>
        <select id="merge-into" value={into} onChange={(e) => setInto(e.currentTarget.value)}>
          <option value="">Choose a contact</option>
          {targets.map((c) => <option key={c.id} value={c.id}>{contactLabel(c)}</option>)}
        </select>
        <button type="submit" disabled={action.busy || !target}>Merge</button>
      </form>
      <ErrorLine error={action.error ?? others.error} />
    </Section>
  );
}
