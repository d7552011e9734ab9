/**
 * Small pieces every page uses: the load state line, a contact's name as the owner knows it, a
 * date, and `UserText` — text a stranger wrote, rendered only as text, isolated from the page's
 * direction and wrapped anywhere so it cannot break the layout.
 */
import type { ComponentChildren } from 'preact';
import type { Contact } from '@switchboard/shared';
import type { Loaded } from './console-load';

/** A contact by its display name, else its first identity as `channel:id`, else its id. */
export function contactLabel(contact: Contact): string {
  const identity = contact.identities[0];
  return contact.displayName ?? (identity ? `${identity.channel}:${identity.externalId}` : contact.id);
}

export function UserText({ children, block = false }: { children: string; block?: boolean }) {
  return block ? <p class="user-text">{children}</p> : <span class="user-text">{children}</span>;
}

export function LoadState({ load, empty, isEmpty }: { load: Loaded<unknown>; empty?: string; isEmpty?: boolean }) {
  if (load.error) return <p role="alert" class="error">{load.error}</p>;
  if (load.loading && load.data === undefined) return <p class="muted" aria-live="polite">Loading…</p>;
  if (isEmpty && empty) return <p class="muted">{empty}</p>;
  return null;
}

export function ErrorLine({ error }: { error: string | undefined }) {
  return error ? <p role="alert" class="error">{error}</p> : null;
}

export function formatTime(date: Date): string {
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function Section({ title, id, children }: { title: string; id: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={id} class="panel">
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}
