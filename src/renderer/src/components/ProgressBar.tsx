// The status line at the bottom: slice n of N, elapsed and remaining time, and Cancel (Esc).
// Between events the clock keeps ticking locally so a slow slice does not look like a hang.
import { useEffect, useState } from 'react';
import { estimateRemainingMs, formatDuration } from '../format';
import type { JobState } from '../state/app-state';

const PHASE_TEXT = { probe: 'Reading the stack', align: 'Aligning the slices', focus: 'Measuring focus', write: 'Writing the composite' } as const;

export function ProgressBar({ job, lastEventAt, onCancel }: { job: JobState | null; lastEventAt: number; onCancel: () => void }) {
  const running = job?.status === 'running';
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [running]);

  let text = 'No stack running.';
  if (job) {
    const sinceEvent = running ? Math.max(0, now - lastEventAt) : 0;
    const elapsed = job.elapsedMs + sinceEvent;
    switch (job.status) {
      case 'running': {
        const remaining = estimateRemainingMs(job.elapsedMs, job.done, job.total);
        const left = remaining === null ? '' : `, ~${formatDuration(Math.max(0, remaining - sinceEvent))} left`;
        // The alignment pre-pass counts slices estimated, the focus pass slices measured.
        const counted =
          job.total <= 0 ? PHASE_TEXT[job.phase]
          : job.phase === 'align' ? `${PHASE_TEXT.align}: ${job.done} of ${job.total} estimated`
          : `slice ${Math.min(job.done + 1, job.total)} of ${job.total}`;
        text = `${job.phase === 'write' ? PHASE_TEXT.write : counted} · ${formatDuration(elapsed)} elapsed${left}`;
        break;
      }
      case 'done':
        text = `Done: ${job.total} slices in ${formatDuration(job.elapsedMs)}`;
        break;
      case 'cancelled':
        text =
          job.phase === 'align'
            ? `Cancelled while aligning the slices (${job.done} of ${job.total} estimated)`
            : `Cancelled after ${job.done} of ${job.total} slices`;
        break;
      case 'error':
        text = 'Stopped by an error';
        break;
    }
  }

  return (
    <footer className="progress">
      <div
        className="progress-track"
        role="progressbar"
        aria-label="Stacking progress"
        aria-valuemin={0}
        aria-valuemax={job?.total || 1}
        aria-valuenow={job?.done ?? 0}
        aria-valuetext={text}
      >
        <div className="progress-fill" style={{ width: `${job && job.total > 0 ? (100 * job.done) / job.total : 0}%` }} />
      </div>
      <span className="progress-text" aria-live="polite">
        {text}
      </span>
      <button type="button" onClick={onCancel} disabled={!running} title="Cancel (Esc)">
        Cancel
      </button>
    </footer>
  );
}
