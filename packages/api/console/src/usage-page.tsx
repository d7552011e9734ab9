/** Turns and tokens per day, for everyone, the owner's own chats, or one contact; newest day first. */
import { useState } from 'preact/hooks';
import { SessionOwnerFilter } from '@switchboard/shared';
import { useLoad } from './console-load';
import { LoadState, contactLabel } from './console-view';
import { OwnerSelect } from './memories-page';

export function UsagePage() {
  const [owner, setOwner] = useState('');
  const [days, setDays] = useState(30);
  const contacts = useLoad((client) => client.contacts.list(), []);
  const usage = useLoad((client) => client.usage({ days, ...(owner ? { contact: SessionOwnerFilter.parse(owner) } : {}) }), [owner, days]);
  const names = new Map((contacts.data ?? []).map((c): [string, string] => [c.id, contactLabel(c)]));
  return (
    <section aria-labelledby="usage-heading">
      <h1 id="usage-heading">Usage</h1>
      <div class="filters">
        <OwnerSelect id="usage-owner" label="Whose" value={owner} onChange={setOwner} contacts={contacts.data ?? []} />
        <div class="field">
          <label for="usage-days">Days</label>
          <select id="usage-days" value={String(days)} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            <option value="7">7</option>
            <option value="30">30</option>
            <option value="90">90</option>
          </select>
        </div>
      </div>
      <LoadState load={usage} isEmpty={usage.data?.length === 0} empty="No turns in these days." />
      {usage.data && usage.data.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption>Turns and tokens per day</caption>
            <thead><tr><th scope="col">Day</th><th scope="col">Who</th><th scope="col">Turns</th><th scope="col">Input tokens</th><th scope="col">Output tokens</th></tr></thead>
            <tbody>
              {usage.data.map((row) => (
                <tr key={`${row.day}:${row.contactId ?? 'owner'}`}>
                  <td>{row.day}</td>
                  <td class="user-text">{row.contactId ? names.get(row.contactId) ?? row.contactId : 'Me'}</td>
                  <td>{row.turns}</td><td>{row.inputTokens}</td><td>{row.outputTokens}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
