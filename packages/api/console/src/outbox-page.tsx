/** Replies waiting for or refused delivery: failed ones first, each failed one retryable. */
import { useState } from 'preact/hooks';
import { OutboxStatus } from '@switchboard/shared';
import { useAction, useLoad } from './console-load';
import { ErrorLine, LoadState, UserText, formatTime } from './console-view';

export function OutboxPage() {
  const [status, setStatus] = useState<OutboxStatus>('failed');
  const items = useLoad((client) => client.outbox.list({ status, limit: 200 }), [status]);
  const action = useAction();
  return (
    <section aria-labelledby="outbox-heading">
      <h1 id="outbox-heading">Outbox</h1>
      <div class="field">
        <label for="outbox-status">Status</label>
        <select id="outbox-status" value={status} onChange={(e) => setStatus(OutboxStatus.parse(e.currentTarget.value))}>
          <option value="failed">Failed</option>
          <option value="pending">Pending</option>
          <option value="sent">Sent</option>
        </select>
      </div>
      <LoadState load={items} isEmpty={items.data?.length === 0} empty={`No ${status} replies.`} />
      <ErrorLine error={action.error} />
      <ul class="cards" aria-label="Outbox">
        {(items.data ?? []).map((item) => (
          <li key={item.id}>
            <UserText block>{item.text}</UserText>
            <p class="muted">
              To {item.channel}:<UserText>{item.chatId}</UserText> via <UserText>{item.accountId}</UserText>, {formatTime(item.createdAt)}, {item.attempts} attempts
            </p>
            {item.lastError && <p class="muted">Last error: <UserText>{item.lastError}</UserText></p>}
            {item.status === 'failed' && (
              <button type="button" disabled={action.busy} onClick={() => action.run((client) => client.outbox.retry(item.id), items.reload)}>Retry</button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
