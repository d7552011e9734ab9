/** The tenant's channel accounts (bots and WhatsApp logins) and the agent each answers with; removable. */
import { useState } from 'preact/hooks';
import type { ChannelAccount } from '@switchboard/shared';
import { useAction, useLoad } from './console-load';
import { ErrorLine, LoadState, UserText, formatTime } from './console-view';

export function ChannelsPage() {
  const accounts = useLoad((client) => client.channels.list(), []);
  return (
    <section aria-labelledby="channels-heading">
      <h1 id="channels-heading">Channel accounts</h1>
      <p class="muted">Accounts are added with <code>sb channels add</code>, which takes the bot token.</p>
      <LoadState load={accounts} isEmpty={accounts.data?.length === 0} empty="No channel accounts." />
      <ul class="cards" aria-label="Channel accounts">
        {(accounts.data ?? []).map((account) => (
          <AccountItem key={`${account.channel}:${account.accountId}`} account={account} onChanged={accounts.reload} />
        ))}
      </ul>
    </section>
  );
}

function AccountItem({ account, onChanged }: { account: ChannelAccount; onChanged(): void }) {
  const [confirming, setConfirming] = useState(false);
  const action = useAction();
  const remove = () => action.run((client) => client.channels.remove(account.channel, account.accountId), onChanged);
  return (
    <li>
      <p>{account.channel}:<UserText>{account.accountId}</UserText></p>
      <p class="muted">Agent <UserText>{account.agent}</UserText>, added {formatTime(account.createdAt)}{account.apiRoot ? `, API ${account.apiRoot}` : ''}</p>
      {confirming
        ? (
          <div class="row">
            <button type="button" class="danger" disabled={action.busy} onClick={remove}>Remove {account.channel} account for good</button>
            <button type="button" class="quiet" onClick={() => setConfirming(false)}>Keep it</button>
          </div>
        )
        : <button type="button" onClick={() => setConfirming(true)}>Remove…</button>}
      <ErrorLine error={action.error} />
    </li>
  );
}
