/**
 * Erasing a contact for good: the button stays disabled until the contact's name (or its id, when
 * it has no name) is typed exactly; then `DELETE /v1/contacts/{id}` and back to the list with the counts.
 */
import { useState } from 'preact/hooks';
import type { Contact } from '@switchboard/shared';
import { useConsole } from './console-context';
import { useAction } from './console-load';
import { href } from './console-route';
import { ErrorLine, Section, UserText } from './console-view';

export function EraseContact({ contact }: { contact: Contact }) {
  const { notify } = useConsole();
  const [typed, setTyped] = useState('');
  const action = useAction();
  const expected = contact.displayName ?? contact.id;
  const erase = (event: Event) => {
    event.preventDefault();
    if (typed !== expected) return;
    action.run(async (client) => {
      const result = await client.contacts.forget(contact.id);
      const rows = Object.values(result.deleted).reduce((sum, n) => sum + n, 0);
      notify(`Erased ${expected}: ${rows} rows removed.`);
      location.hash = href.contacts;
    });
  };
  return (
    <Section title="Erase" id="erase-heading">
      <p>Erasing removes the contact's sessions, messages, memories, history and identities. It cannot be undone.</p>
      <form onSubmit={erase}>
        <label for="erase-confirm">Type <UserText>{expected}</UserText> to confirm</label>
        <input id="erase-confirm" autocomplete="off" spellcheck={false} value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
        <button type="submit" class="danger" disabled={action.busy || typed !== expected}>Erase contact</button>
      </form>
      <ErrorLine error={action.error} />
    </Section>
  );
}
