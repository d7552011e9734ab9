/** Pending pairing requests (contacts asking to talk to a pairing-only agent), each approvable. */
import { useLoad, useAction } from './console-load';
import { useConsole } from './console-context';
import { href } from './console-route';
import { ErrorLine, LoadState, formatTime } from './console-view';

export function PairingPage() {
  const { notify } = useConsole();
  const requests = useLoad((client) => client.pairing.list(), []);
  const action = useAction();
  const approve = (code: string) =>
    action.run((client) => client.pairing.approve(code), () => {
      notify(`Approved pairing code ${code}.`);
      requests.reload();
    });
  return (
    <section aria-labelledby="pairing-heading">
      <h1 id="pairing-heading">Pairing requests</h1>
      <LoadState load={requests} isEmpty={requests.data?.length === 0} empty="No pending requests." />
      <ErrorLine error={action.error} />
      <ul class="cards" aria-label="Pairing requests">
        {(requests.data ?? []).map((request) => (
          <li key={request.code}>
            <p>Code <code>{request.code}</code> from <a href={href.contact(request.contactId)}>a contact</a>, {formatTime(request.createdAt)}</p>
            <button type="button" disabled={action.busy} onClick={() => approve(request.code)}>Approve {request.code}</button>
          </li>
        ))}
      </ul>
    </section>
  );
}
