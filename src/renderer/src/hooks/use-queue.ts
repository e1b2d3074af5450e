// The batch queue (issue 17): folders added one by one (the folder browser, the folder dialog or
// the recent stacks), then run one after another with the toolbar's options. They go to the
// host's job queue, the one every run waits in (host/job-registry.ts: one job at a time, in
// order), on the same engine `deepfield batch` drives; each row follows its job's events. Jobs
// submitted elsewhere (the toolbar's Run, another page) show up here too, so the queue is the
// host's, as it is.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { DeepfieldApi, JobEvent, JobState, QueuedJob, StackSource } from '../../../shared/api';
import type { StackOptionsInput } from '../../../shared/options';
import type { StackPhase } from '../../../shared/types';
import { fileName } from '../components/Notices';
import type { Settings } from '../settings';
import { jobFraction } from '../state/job-progress';
import { describeError } from './describe-error';
import { alignOptions, sigmaFrom } from './use-job';

/** 'added': in the list, not sent yet; 'released': done, but the host let its result go. */
export type QueueRowState = 'added' | JobState | 'released';

export interface QueueRow {
  /** The job id once submitted; before, a key of its own. */
  key: string;
  name: string;
  source: StackSource;
  jobId?: string;
  state: QueueRowState;
  /** Queued: jobs ahead of it. */
  position?: number;
  /** Running: the whole job's progress, 0..1. */
  fraction?: number;
  /** Failed: the one-line reason. */
  error?: string;
  /** Whether the job aligns (its progress bar weighs the alignment pre-pass). */
  aligned: boolean;
}

export interface QueueControls {
  rows: QueueRow[];
  /** Set when the toolbar's options cannot be used for the batch. */
  error: string | null;
  /** Run was pressed and the rows are still being sent. */
  sending: boolean;
  /** A folder, less the files named in `exclude`. */
  add: (path: string, exclude?: string[]) => void;
  /** Sends every added row to the host, in order, with the toolbar's options. */
  runAll: () => Promise<void>;
  /** Takes an added row out, cancels a queued or running job (a queued one leaves the list), or clears a finished row. */
  remove: (row: QueueRow) => void;
}

/**
 * The toolbar's options for a batch: sigma, method, alignment and RAW colour. The slice range and the
 * reference slice are left out: each was typed for one folder and means nothing in another.
 */
export function batchOptions(settings: Settings): StackOptionsInput {
  return { sigma: sigmaFrom(settings.sigma), method: settings.method, ...alignOptions({ ...settings, reference: '' }), rawColour: settings.rawColour };
}

function rowOfJob(job: QueuedJob): QueueRow {
  return { key: job.jobId, jobId: job.jobId, name: job.name, source: job.source, state: job.state, position: job.position, error: job.error, aligned: true };
}

/** A row brought up to date by one of its job's events; null when the row leaves the list. */
function applyEvent(row: QueueRow, event: JobEvent): QueueRow | null {
  switch (event.type) {
    case 'queued':
      return { ...row, state: 'queued', position: event.position };
    case 'progress': {
      const fraction = Math.max(row.fraction ?? 0, jobFraction(event.phase as StackPhase, event.done, event.total, row.aligned));
      return { ...row, state: 'running', position: undefined, fraction };
    }
    case 'started':
      return { ...row, state: 'running', position: undefined };
    case 'done':
      return { ...row, state: 'done', fraction: 1 };
    case 'error':
      return { ...row, state: 'failed', error: event.message };
    case 'cancelled':
      // A queued job cancelled never ran: it leaves the queue, and the list.
      return row.state === 'queued' ? null : { ...row, state: 'cancelled' };
    case 'released':
      return row.state === 'done' ? { ...row, state: 'released' } : row;
  }
}

/**
 * Keeps the rows in step with the host's queue: the jobs in it when the page opens (a reload keeps
 * them), then every job's events, including jobs this page did not send.
 */
function useHostQueue(api: DeepfieldApi, update: (change: (rows: QueueRow[]) => QueueRow[]) => void) {
  useEffect(() => {
    let live = true;
    api.listJobs().then(
      (jobs) => {
        if (!live) return;
        const running = jobs.filter((j) => j.state === 'running' || j.state === 'queued');
        const finished = jobs.filter((j) => j.state !== 'running' && j.state !== 'queued').reverse();
        update((current) => [...[...finished, ...running].filter((j) => !current.some((r) => r.jobId === j.jobId)).map(rowOfJob), ...current]);
      },
      () => undefined, // an older host without a queue: the panel starts empty
    );
    const off = api.onJobEvent((event) =>
      update((current) => {
        const index = current.findIndex((r) => r.jobId === event.jobId);
        if (index < 0) {
          // A job this page did not send (the toolbar's Run sends its own): shown from its first event.
          return event.type === 'queued' ? [...current, { key: event.jobId, jobId: event.jobId, name: event.name, source: event.source, state: 'queued', position: event.position, aligned: true }] : current;
        }
        const next = applyEvent(current[index], event);
        return next ? current.map((r, i) => (i === index ? next : r)) : current.filter((_, i) => i !== index);
      }),
    );
    return () => {
      live = false;
      off();
    };
  }, [api, update]);
}

export function useQueue(api: DeepfieldApi, settings: Settings): QueueControls {
  const [rows, setRows] = useState<QueueRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const nextKey = useRef(1);
  const rowsRef = useRef(rows);
  rowsRef.current = rows;

  const update = useCallback((change: (rows: QueueRow[]) => QueueRow[]) => setRows((current) => change(current)), []);

  useHostQueue(api, update);

  const add = useCallback(
    (path: string, exclude?: string[]) => {
      const source: StackSource = { kind: 'folder', path, ...(exclude?.length ? { exclude } : {}) };
      update((current) =>
        // A folder already waiting to be sent is not added twice.
        current.some((r) => r.state === 'added' && r.source.kind === 'folder' && r.source.path === path)
          ? current
          : [...current, { key: `added-${nextKey.current++}`, name: fileName(path), source, state: 'added', aligned: true }],
      );
    },
    [update],
  );

  const runAll = useCallback(async () => {
    let options: StackOptionsInput;
    try {
      options = batchOptions(settings);
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
      return;
    }
    const aligned = options.align !== 'off';
    setSending(true);
    // One after another, so the host queues them in the order of the list.
    for (const row of rowsRef.current.filter((r) => r.state === 'added')) {
      try {
        const { jobId } = await api.startStack(row.source, options);
        update((current) => {
          // Its first events may have come before the answer and made a row of their own.
          const early = current.find((r) => r.jobId === jobId && r.key !== row.key);
          const sent: QueueRow = { ...row, ...early, key: row.key, name: row.name, jobId, aligned, state: early?.state ?? 'queued' };
          return current.filter((r) => r !== early).map((r) => (r.key === row.key ? sent : r));
        });
      } catch (failure) {
        update((current) => current.map((r) => (r.key === row.key ? { ...r, state: 'failed', error: describeError(failure) } : r)));
      }
    }
    setSending(false);
  }, [api, settings, update]);

  const remove = useCallback(
    (row: QueueRow) => {
      if ((row.state === 'queued' || row.state === 'running') && row.jobId) {
        // The host's events say what became of it (a queued one leaves the list).
        api.cancel(row.jobId).catch((failure: unknown) => setError(`Cannot cancel ${row.name}: ${describeError(failure)}`));
        return;
      }
      update((current) => current.filter((r) => r.key !== row.key));
    },
    [api, update],
  );

  return { rows, error, sending, add, runAll, remove };
}
