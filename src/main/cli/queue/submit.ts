// `deepfield batch <parent> -o <out> --queue redis://...`: one queue job per stack, then (unless
// --no-wait) one progress display of the whole batch across every worker, and the summary CSV
// once all stacks are finished. Following the batch is only reading the queue: Ctrl-C leaves
// every job as it is, and running the same command again follows (or resumes) the same batch.
// `--status` prints where the batch's stacks are, with the failures and their errors.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { CancelledError, DeepfieldError } from '../../engine';
import { type BatchRow, batchSettingsFromFlags, findStackFolders, type StackFolder } from '../batch-core';
import { type BatchCommandOptions, createBatchDisplay, finishBatch } from '../batch-command';
import { SUMMARY_FILE } from '../batch-summary';
import { checkQueueReachable, connectionNotices, connectionOptions, shownUrl } from './connection';
import { QUEUE_NAME, stackJobData, stackJobId, stackJobOptions, type StackJobData } from './stack-jobs';
import type { StackJobProgress } from './worker-command';

export interface QueueBatchOptions extends BatchCommandOptions {
  queue: string;
  status?: boolean;
  /** False with --no-wait: enqueue and return. */
  wait: boolean;
}

interface BatchJob {
  index: number;
  stack: StackFolder;
  id: string;
  data: StackJobData;
}

type StackQueue = Queue<StackJobData, BatchRow>;
type QueuedJob = NonNullable<Awaited<ReturnType<StackQueue['getJob']>>>;

/** Jobs are looked up this many at a time (each lookup is one round trip, sent together). */
const LOOKUP_CHUNK = 500;

async function lookUp(queue: StackQueue, jobs: BatchJob[]): Promise<Array<QueuedJob | undefined>> {
  const found: Array<QueuedJob | undefined> = [];
  for (let i = 0; i < jobs.length; i += LOOKUP_CHUNK) {
    found.push(...(await Promise.all(jobs.slice(i, i + LOOKUP_CHUNK).map((j) => queue.getJob(j.id)))));
  }
  return found;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** `work`, or a CancelledError as soon as `signal` aborts (a command waiting for Redis to come back). */
async function unlessCancelled<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw new CancelledError();
  let stop: () => void = () => undefined;
  const cancelled = new Promise<never>((_, reject) => {
    stop = () => reject(new CancelledError());
    signal.addEventListener('abort', stop, { once: true });
  });
  try {
    return await Promise.race([work, cancelled]);
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/** The summary row of a finished job: the worker's row, or the failure. */
function rowOf(job: BatchJob, queued: QueuedJob): BatchRow {
  if (queued.returnvalue) return queued.returnvalue;
  const seconds = queued.processedOn && queued.finishedOn ? (queued.finishedOn - queued.processedOn) / 1000 : 0;
  // BullMQ's words for a job whose workers kept dying, in the user's.
  const message = /stalled more than allowable limit/.test(queued.failedReason ?? '')
    ? `its worker stopped ${queued.stalledCounter} times while stacking it (killed, out of memory?): not tried again`
    : (queued.failedReason ?? 'failed').split('\n')[0];
  return { stack: job.stack.name, slices: job.stack.files.length || null, size: '', seconds, outputs: [], status: 'failed', message };
}

async function enqueue(queue: StackQueue, jobs: BatchJob[], signal: AbortSignal): Promise<{ added: number; queued: number }> {
  let added = 0;
  let queued = 0;
  for (let i = 0; i < jobs.length && !signal.aborted; i += LOOKUP_CHUNK) {
    const chunk = jobs.slice(i, i + LOOKUP_CHUNK);
    const existing = await lookUp(queue, chunk);
    const toAdd: BatchJob[] = [];
    const finished: QueuedJob[] = [];
    for (const [k, job] of chunk.entries()) {
      const old = existing[k];
      if (old && !old.finishedOn) {
        queued++; // waiting, running or about to be retried: it is this batch's job already
        continue;
      }
      // A finished job is queued again: its worker redoes the stack only if it is failed,
      // missing or stale, and reports it up to date otherwise (as a local rerun does).
      if (old) finished.push(old);
      toAdd.push(job);
    }
    await Promise.all(finished.map((old) => old.remove()));
    // One addBulk is one Redis transaction: a chunk is queued whole or not at all.
    await queue.addBulk(toAdd.map((j) => ({ name: j.stack.name, data: j.data, opts: stackJobOptions(j.id) })));
    added += toAdd.length;
  }
  return { added, queued };
}

async function follow(queue: StackQueue, jobs: BatchJob[], signal: AbortSignal): Promise<BatchRow[]> {
  const rows: BatchRow[] = new Array(jobs.length);
  const display = createBatchDisplay(jobs.length);
  const started = new Set<string>();
  let pending = jobs;
  let finished = 0;
  try {
    while (pending.length > 0 && !signal.aborted) {
      const found = await unlessCancelled(lookUp(queue, pending), signal);
      const vanished: BatchJob[] = [];
      const still: BatchJob[] = [];
      for (const [k, job] of pending.entries()) {
        const queued = found[k];
        if (!queued) {
          vanished.push(job);
          still.push(job);
        } else if (queued.finishedOn) {
          rows[job.index] = rowOf(job, queued);
          display.finished(rows[job.index], ++finished, jobs.length);
        } else {
          still.push(job);
          const progress = queued.progress as Partial<StackJobProgress> | number;
          if (typeof progress === 'object' && progress.phase) {
            if (!started.has(job.id)) started.add(job.id), display.started(job.stack.name);
            if (progress.phase === 'focus') display.slice(job.stack.name, progress.done ?? 0, progress.total ?? 0);
          }
        }
      }
      if (vanished.length > 0) {
        // Redis restarted without persistence, or someone removed them: queue them again.
        process.stderr.write(`deepfield: ${vanished.length} of the batch's jobs were no longer in the queue; queued again\n`);
        await unlessCancelled(queue.addBulk(vanished.map((j) => ({ name: j.stack.name, data: j.data, opts: stackJobOptions(j.id) }))), signal);
      }
      pending = still;
      // Every pending job is read each round: slower rounds for larger batches.
      if (pending.length > 0) await pause(Math.min(5000, Math.max(250, pending.length)), signal);
    }
  } catch (error) {
    if (!(error instanceof CancelledError)) throw error;
  } finally {
    display.stop();
  }
  if (signal.aborted) {
    throw new CancelledError(
      `stopped following the batch with ${finished} of ${jobs.length} stacks finished; ` +
        `the other ${jobs.length - finished} stay queued for the workers (run the same command again to follow them, or add --status)`,
    );
  }
  return rows;
}

/** Where each stack of the batch is: counts, then every failure with its error. */
async function printStatus(queue: StackQueue, jobs: BatchJob[], url: string, json: boolean | undefined): Promise<void> {
  const found = await lookUp(queue, jobs);
  const states = await Promise.all(found.map((q) => (q ? q.getState() : Promise.resolve('not queued' as const))));
  const counts = { waiting: 0, active: 0, done: 0, failed: 0, 'not queued': 0 };
  const failures: Array<{ stack: string; error: string }> = [];
  for (const [k, state] of states.entries()) {
    if (state === 'completed') counts.done++;
    else if (state === 'failed') {
      counts.failed++;
      failures.push({ stack: jobs[k].stack.name, error: rowOf(jobs[k], found[k]!).message ?? '' });
    } else if (state === 'active') counts.active++;
    else if (state === 'not queued' || state === 'unknown') counts['not queued']++;
    else counts.waiting++; // waiting, delayed (a retry's back-off), prioritized
  }
  if (json) {
    process.stdout.write(JSON.stringify({ queue: url, stacks: jobs.length, ...counts, failures }, null, 2) + '\n');
    return;
  }
  const shown = Object.entries(counts).filter(([name, n]) => n > 0 || name !== 'not queued');
  process.stdout.write(`${jobs.length} stack${jobs.length === 1 ? '' : 's'} on ${url}: ${shown.map(([name, n]) => `${n} ${name}`).join(', ')}\n`);
  for (const f of failures) process.stdout.write(`failed: ${f.stack}: ${f.error}\n`);
}

export async function runQueueBatch(parent: string, opts: QueueBatchOptions, signal: AbortSignal): Promise<BatchRow[]> {
  const url = shownUrl(opts.queue);
  await checkQueueReachable(opts.queue);
  const settings = batchSettingsFromFlags(opts, opts.output);
  const parentFolder = path.resolve(parent);
  const stacks = await findStackFolders(parentFolder);
  if (stacks.length === 0) throw new DeepfieldError(`No sub-folders in ${parent}: batch stacks each sub-folder as one stack`, parent);
  const jobs: BatchJob[] = stacks.map((stack, index) => {
    const data = stackJobData(parentFolder, stack, settings);
    return { index, stack, data, id: stackJobId(data) };
  });

  const queue: StackQueue = new Queue(QUEUE_NAME, { connection: connectionOptions(opts.queue) });
  const notices = connectionNotices(opts.queue);
  queue.on('error', notices.onError);
  queue.backend.on('ready', notices.onReady);
  try {
    if (opts.status) {
      await unlessCancelled(printStatus(queue, jobs, url, opts.json), signal);
      return [];
    }
    await fs.mkdir(settings.outFolder, { recursive: true });
    const { added, queued } = await unlessCancelled(enqueue(queue, jobs, signal), signal);
    process.stderr.write(`batch: ${added} stack${added === 1 ? '' : 's'} queued on ${url}${queued ? `, ${queued} already queued` : ''}\n`);
    if (!opts.wait) return [];
    const rows = await follow(queue, jobs, signal);
    return await finishBatch(rows, path.join(settings.outFolder, SUMMARY_FILE), opts.json, signal, { queue: url });
  } finally {
    await queue.close();
  }
}
