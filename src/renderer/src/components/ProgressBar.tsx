// The status line at the bottom: one bar for the whole job (job-progress.ts weighs its phases),
// what it is doing, elapsed and remaining time, and Cancel (Esc). Between events the clock keeps
// ticking locally so a slow slice does not look like a hang.
import { useEffect, useState } from 'react';
import { formatDuration } from '../format';
import type { JobState } from '../state/app-state';
import { remainingMs } from '../state/job-progress';

const PHASE_TEXT = { probe: 'Reading the stack', align: 'Aligning the slices', focus: 'Measuring focus', write: 'Writing the composite' } as const;

/** What the job is doing, in words. */
function activity(job: JobState): string {
  if (job.total <= 0) return PHASE_TEXT[job.phase];
  switch (job.phase) {
    // The alignment pre-pass counts slices estimated, the focus pass slices measured.
    case 'align':
      return `${PHASE_TEXT.align}: ${job.done} of ${job.total} estimated`;
    case 'focus':
      return job.done >= job.total ? 'Merging the slices' : `slice ${job.done + 1} of ${job.total}`;
    default:
      return PHASE_TEXT[job.phase];
  }
}

export function ProgressBar({
  job,
  lastEventAt,
  onCancel,
  queueNote,
}: {
  job: JobState | null;
  lastEventAt: number;
  onCancel: () => void;
  /** With no stack shown: what the batch queue is stacking, so an idle line does not say nothing runs. */
  queueNote?: string | null;
}) {
  const running = job?.status === 'running';
  const cancellable = running || job?.status === 'queued';
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [running]);

  let text = queueNote ?? 'No stack running.';
  if (job) {
    const sinceEvent = running ? Math.max(0, now - lastEventAt) : 0;
    const elapsed = job.elapsedMs + sinceEvent;
    switch (job.status) {
      case 'running': {
        const remaining = remainingMs(job.elapsedMs, job.fraction);
        const left = remaining === null ? '' : `, ~${formatDuration(Math.max(0, remaining - sinceEvent))} left`;
        text = `${activity(job)} · ${formatDuration(elapsed)} elapsed${left}`;
        break;
      }
      case 'queued':
        text = job.position ? `Waiting in the queue: ${job.position} job${job.position === 1 ? '' : 's'} ahead` : 'Waiting in the queue';
        break;
      case 'done':
        text = `Done: ${job.total} slices in ${formatDuration(job.elapsedMs)}${job.released ? ' (let go to make room for newer results: run it again to zoom or export)' : ''}`;
        break;
      case 'cancelled':
        text =
          job.total <= 0
            ? 'Cancelled before the slices were read'
            : job.phase === 'align'
              ? `Cancelled while aligning the slices (${job.done} of ${job.total} estimated)`
              : `Cancelled after ${job.done} of ${job.total} slices`;
        break;
      case 'error':
        text = 'Stopped by an error';
        break;
    }
  }
  const percent = job ? Math.round(job.fraction * 100) : 0;

  return (
    <footer className="progress">
      <div
        className="progress-track"
        role="progressbar"
        aria-label="Stacking progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={text}
      >
        <div className="progress-fill" style={{ width: `${job ? job.fraction * 100 : 0}%` }} />
      </div>
      <span className="progress-text" aria-live="polite">
        {text}
      </span>
      <button type="button" onClick={onCancel} disabled={!cancellable} title="Cancel (Esc)">
        Cancel
      </button>
    </footer>
  );
}
