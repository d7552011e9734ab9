/** One memory: its text (a stranger's, shown as text), an edit form, and its history on request. */
import { useState } from 'preact/hooks';
import { Visibility, type Memory, type MemoryEvent } from '@switchboard/shared';
import { useAction } from './console-load';
import { ErrorLine, UserText, formatTime } from './console-view';

export function MemoryItem({ memory, ownerName, onChanged }: { memory: Memory; ownerName: string; onChanged(): void }) {
  const [editing, setEditing] = useState(false);
  const [history, setHistory] = useState<MemoryEvent[]>();
  const action = useAction();
  const showHistory = () => action.run(async (client) => setHistory(await client.memories.history(memory.id)));
  return (
    <li>
      <UserText block>{memory.content}</UserText>
      <p class="muted">Of <UserText>{ownerName}</UserText>, {memory.visibility}, updated {formatTime(memory.updatedAt)}</p>
      {editing
        ? <MemoryEdit memory={memory} onDone={(changed) => { setEditing(false); if (changed) onChanged(); }} />
        : (
          <div class="row">
            <button type="button" onClick={() => setEditing(true)}>Edit</button>
            <button type="button" onClick={history ? () => setHistory(undefined) : showHistory} disabled={action.busy}>{history ? 'Hide history' : 'History'}</button>
          </div>
        )}
      <ErrorLine error={action.error} />
      {history && (
        <ol class="history" aria-label="History">
          {history.map((event, index) => (
            <li key={index}>
              <span class="muted">{event.kind}, {formatTime(event.createdAt)}{event.newVisibility ? `, ${event.newVisibility}` : ''}: </span>
              <UserText>{event.newContent ?? event.oldContent ?? ''}</UserText>
            </li>
          ))}
        </ol>
      )}
    </li>
  );
}

function MemoryEdit({ memory, onDone }: { memory: Memory; onDone(changed: boolean): void }) {
  const [content, setContent] = useState(memory.content);
  const [visibility, setVisibility] = useState<Visibility>(memory.visibility);
  const action = useAction();
  const fieldId = `memory-${memory.id}`;
  const save = (event: Event) => {
    event.preventDefault();
    action.run((client) => client.memories.update(memory.id, { content, visibility }), () => onDone(true));
  };
  return (
    <form onSubmit={save}>
      <label for={`${fieldId}-text`}>Memory text</label>
      <textarea id={`${fieldId}-text`} rows={3} value={content} onInput={(e) => setContent(e.currentTarget.value)} />
      <label for={`${fieldId}-visibility`}>Visibility</label>
      <select id={`${fieldId}-visibility`} value={visibility} onChange={(e) => setVisibility(Visibility.parse(e.currentTarget.value))}>
        <option value="private">Private</option>
        <option value="shared">Shared</option>
      </select>
      <div class="row">
        <button type="submit" disabled={action.busy || content.trim() === ''}>Save</button>
        <button type="button" class="quiet" onClick={() => onDone(false)}>Cancel</button>
      </div>
      <ErrorLine error={action.error} />
    </form>
  );
}
