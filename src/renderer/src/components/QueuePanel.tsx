// The right column's batch queue (issue 17): stacks added from the folder browser (or dialog) and
// the recent stacks, run one after another with the toolbar's options. Its buttons' names stay
// clear of the toolbar's "Run" and the progress line's "Cancel", which tests and screen-reader
// users find by name. Each row says where its
// job stands (waiting and how many are ahead, running and how far, done, failed and why,
// cancelled); a finished row opens its result in the viewer.
import type { QueueRow } from '../hooks/use-queue';
import { fileName } from './Notices';

/** A row's status in words: its button's name and its visible text. */
export function rowStatus(row: QueueRow): string {
  switch (row.state) {
    case 'added':
      return 'ready';
    case 'queued':
      return row.position ? `queued, ${row.position} ahead` : 'queued';
    case 'running':
      return `stacking ${Math.round((row.fraction ?? 0) * 100)}%`;
    case 'done':
      return 'done';
    case 'failed':
      return `failed: ${row.error ?? 'no reason given'}`;
    case 'cancelled':
      return 'cancelled';
    case 'released':
      return 'done, let go for newer results';
  }
}

/** Adds stacks: folders from the browser (or dialog), or one of the recent stacks. */
function AddToQueue({ recent, onAddFolders, onAdd }: { recent: string[]; onAddFolders: () => void; onAdd: (path: string) => void }) {
  return (
    <div className="queue-actions">
      <button type="button" onClick={onAddFolders} title="Add stack folders to the queue">
        Add folders…
      </button>
      <select
        aria-label="Add a recent stack"
        value=""
        disabled={recent.length === 0}
        onChange={(e) => {
          if (e.target.value) onAdd(e.target.value);
        }}
      >
        <option value="">Add recent…</option>
        {recent.map((path) => (
          <option key={path} value={path} title={path}>
            {fileName(path)}
          </option>
        ))}
      </select>
    </div>
  );
}

/** One queued stack: its name and status (opens it once done) and the button that stops or removes it. */
function QueuedStack({ row, shown, onOpen, onRemove }: { row: QueueRow; shown: boolean; onOpen: (row: QueueRow) => void; onRemove: (row: QueueRow) => void }) {
  const status = rowStatus(row);
  const opens = row.state === 'done' || row.state === 'released';
  return (
    <li className={`queue-row state-${row.state}${shown ? ' shown' : ''}`}>
      <button
        type="button"
        className="queue-open"
        aria-label={`${row.name}: ${status}`}
        title={`${row.source.kind === 'folder' ? `${row.source.path}: ` : ''}${status}${row.state === 'released' ? ' (click to stack it again)' : ''}`}
        disabled={!opens}
        aria-current={shown ? true : undefined}
        onClick={() => onOpen(row)}
      >
        <span className="queue-name">{row.name}</span>
        <span className={row.state === 'failed' ? 'queue-status error-text' : 'queue-status muted'}>{status}</span>
        {row.state === 'running' && (
          <span className="queue-bar" aria-hidden="true">
            <span style={{ width: `${(row.fraction ?? 0) * 100}%` }} />
          </span>
        )}
      </button>
      <button
        type="button"
        className="queue-remove"
        aria-label={`${row.state === 'queued' || row.state === 'running' ? 'Stop' : 'Remove'} ${row.name}`}
        title={row.state === 'queued' ? 'Take it out of the queue' : row.state === 'running' ? 'Cancel this job' : 'Take it off the list'}
        onClick={() => onRemove(row)}
      >
        ×
      </button>
    </li>
  );
}

export function QueuePanel({
  rows,
  error,
  sending,
  recent,
  onAddFolders,
  onAdd,
  onRunAll,
  onRemove,
  onOpen,
  shownJobId,
}: {
  rows: QueueRow[];
  error: string | null;
  sending: boolean;
  recent: string[];
  /** Opens the folder browser (or the folder dialog) to add stacks. */
  onAddFolders: () => void;
  onAdd: (path: string) => void;
  onRunAll: () => void;
  onRemove: (row: QueueRow) => void;
  /** A finished row: show its result (or run it again when the host let it go). */
  onOpen: (row: QueueRow) => void;
  shownJobId: string | null;
}) {
  const ready = rows.filter((r) => r.state === 'added').length;
  return (
    <section aria-label="Batch queue" className="queue-panel">
      <h2>Batch queue</h2>
      <AddToQueue recent={recent} onAddFolders={onAddFolders} onAdd={onAdd} />
      {rows.length === 0 ? (
        <p className="muted">Add several folders, then run them one after another with the toolbar’s sigma, method and alignment.</p>
      ) : (
        <ol className="queue-rows" aria-label="Queued stacks">
          {rows.map((row) => (
            <QueuedStack key={row.key} row={row} shown={row.jobId !== undefined && row.jobId === shownJobId} onOpen={onOpen} onRemove={onRemove} />
          ))}
        </ol>
      )}
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      <button type="button" className="primary" aria-label="Start queue" disabled={ready === 0 || sending} onClick={onRunAll} title="Stack every added folder, one after another, with the toolbar's options">
        {ready > 0 ? `Start ${ready} stack${ready === 1 ? '' : 's'}` : 'Start'}
      </button>
    </section>
  );
}
