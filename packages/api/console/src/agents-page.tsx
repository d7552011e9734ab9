/** The tenant's agents: provider and policies, with the system prompt and DM policy editable. */
import { useState } from 'preact/hooks';
import { DmPolicy, type Agent } from '@switchboard/shared';
import { useAction, useLoad } from './console-load';
import { ErrorLine, LoadState, UserText } from './console-view';

export function AgentsPage() {
  const agents = useLoad((client) => client.agents.list(), []);
  return (
    <section aria-labelledby="agents-heading">
      <h1 id="agents-heading">Agents</h1>
      <LoadState load={agents} isEmpty={agents.data?.length === 0} empty="No agents." />
      <ul class="cards" aria-label="Agents">
        {(agents.data ?? []).map((agent) => <AgentItem key={agent.id} agent={agent} onChanged={agents.reload} />)}
      </ul>
    </section>
  );
}

function AgentItem({ agent, onChanged }: { agent: Agent; onChanged(): void }) {
  const [prompt, setPrompt] = useState(agent.systemPrompt);
  const current = DmPolicy.catch('open').parse(agent.config.dmPolicy);
  const [dmPolicy, setDmPolicy] = useState(current);
  const action = useAction();
  const save = (event: Event) => {
    event.preventDefault();
    action.run((client) => client.agents.update(agent.name, { systemPrompt: prompt, dmPolicy }), onChanged);
  };
  const id = `agent-${agent.name}`;
  return (
    <li>
      <h2><UserText>{agent.name}</UserText></h2>
      <p class="muted">Provider {agent.provider}</p>
      <form onSubmit={save}>
        <label for={`${id}-prompt`}>System prompt</label>
        <textarea id={`${id}-prompt`} rows={4} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
        <label for={`${id}-dm`}>Direct messages</label>
        <select id={`${id}-dm`} value={dmPolicy} onChange={(e) => setDmPolicy(DmPolicy.parse(e.currentTarget.value))}>
          <option value="open">Open to anyone</option>
          <option value="allowlist">Allowed contacts only</option>
          <option value="pairing">After pairing</option>
        </select>
        <button type="submit" disabled={action.busy || (prompt === agent.systemPrompt && dmPolicy === current)}>Save {agent.name}</button>
      </form>
      <ErrorLine error={action.error} />
    </li>
  );
}
