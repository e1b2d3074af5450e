// `deepfield worker --queue redis://host:6379/0`: takes stacks from the queue and stacks them with
// the options their batch was submitted with, on any machine that sees the same files. A job
// holds a lock the worker renews while it works; a worker that dies (SIGKILL, a lost machine)
// stops renewing it, and once it expires another worker's stalled-job check puts the job back in
// the queue. Outputs are written by runStackJob as on one machine: under temporary names, the
// sidecar last, so a dead worker leaves nothing that looks finished.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { describeExpected } from '../../../shared/options';
import type { StackProgress } from '../../../shared/types';
import { DeepfieldError, describeFsError, type Engine } from '../../engine';
import { type BatchRow, errorLine, readStackFolder, stackOneOfBatch } from '../batch-core';
import { checkQueueReachable, connectionNotices, connectionOptions, parseQueueUrl, shownUrl } from './connection';
import { QUEUE_NAME, refusalOf, type StackJobData } from './stack-jobs';

export interface WorkerCommandOptions {
  queue: string;
  concurrency: number;
  threads?: number;
  lockSeconds: number;
}

/** What a worker tells the submitter while it stacks (job.progress). */
export interface StackJobProgress {
  phase: StackProgress['phase'];
  done: number;
  total: number;
  worker: string;
}

/** Progress goes to Redis at most this often per job (a slice can take a few milliseconds). */
const PROGRESS_INTERVAL_MS = 250;

export async function runWorkerCommand(engine: Engine, opts: WorkerCommandOptions, signal: AbortSignal): Promise<void> {
  await checkQueueReachable(opts.queue);
  const name = `${os.hostname()}:${process.pid}`;
  const log = (line: string) => process.stderr.write(`worker ${name}: ${line}\n`);
  // Jobs whose lock this worker lost: another worker has them now, so they are not handed back.
  const lostLocks = new Set<string>();
  const worker = createStackWorker(opts, stackProcessor({ engine, name, log, lostLocks }), name, lostLocks);

  const threads = opts.threads ?? os.availableParallelism();
  log(`taking stacks from ${shownUrl(opts.queue)} (${opts.concurrency} at once, ${threads} thread${threads === 1 ? '' : 's'})`);
  const running = worker.run();
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  worker.cancelAllJobs('worker stopping');
  await worker.close();
  await running;
  log('stopped');
}

interface StackWorkerContext {
  engine: Engine;
  /** host:pid, as the submitter sees it in progress and the worker's log lines. */
  name: string;
  log: (line: string) => void;
  lostLocks: Set<string>;
}

type StackProcessor = (job: Job<StackJobData, BatchRow>, token: string | undefined, jobSignal: AbortSignal | undefined) => Promise<BatchRow>;

/** Stacks one queued job: refuses what it cannot run, reports progress, and settles how it ended. */
function stackProcessor(context: StackWorkerContext): StackProcessor {
  const { engine, log } = context;
  return async (job, token, jobSignal) => {
    const label = job.data.stack?.name ?? job.name;
    const stack = await openQueuedStack(job, label, log);
    try {
      const row = await stackOneOfBatch(engine, stack, job.data.settings, {
        signal: jobSignal,
        onStarted: () => log(`${label}: started${job.attemptsStarted > 1 ? ` (start ${job.attemptsStarted}: a worker before stopped or failed)` : ''}`),
        onProgress: progressSender(job, context.name),
      });
      log(`${label}: ${row.status} in ${row.seconds.toFixed(1)} s`);
      return row;
    } catch (error) {
      throw await failureToSettle(error, job, token, jobSignal, label, context);
    }
  };
}

/** The job's stack folder, read on this machine; a job this worker cannot run is not retried. */
async function openQueuedStack(job: Job<StackJobData, BatchRow>, label: string, log: (line: string) => void) {
  const refusal = refusalOf(job.data);
  if (refusal) {
    log(`${label}: refused: ${refusal}`);
    throw new UnrecoverableError(`Refused by the worker on ${os.hostname()}: ${refusal}`);
  }
  const { stack: where, settings } = job.data;
  try {
    const stack = await readStackFolder(where.folder);
    await fs.mkdir(settings.outFolder, { recursive: true });
    return stack;
  } catch (error) {
    throw new UnrecoverableError(`Cannot read the stack folder ${where.folder} on ${os.hostname()}: ${describeFsError(error)}`);
  }
}

/** Sends the job's progress to Redis, at most every PROGRESS_INTERVAL_MS but always the last step. */
function progressSender(job: Job<StackJobData, BatchRow>, worker: string): (p: StackProgress) => void {
  let sentAt = 0;
  return (p) => {
    const now = performance.now();
    if (now - sentAt < PROGRESS_INTERVAL_MS && p.done < p.total) return;
    sentAt = now;
    const progress: StackJobProgress = { phase: p.phase, done: p.done, total: p.total, worker };
    job.updateProgress(progress).catch(() => undefined); // a missed progress event is harmless
  };
}

/**
 * What the queue should do with a job that did not finish: a stopped job goes back to the queue
 * (unless its lock was lost, so another worker already has it); a failure of the data is not retried.
 */
async function failureToSettle(
  error: unknown,
  job: Job<StackJobData, BatchRow>,
  token: string | undefined,
  jobSignal: AbortSignal | undefined,
  label: string,
  { log, lostLocks }: StackWorkerContext,
): Promise<unknown> {
  if (jobSignal?.aborted) {
    if (lostLocks.delete(job.id!)) {
      log(`${label}: stopped: its lock expired and the queue gave it to another worker`);
    } else {
      // Stopping (Ctrl-C, SIGTERM): the stack goes back to the queue for another worker now.
      await job.moveToWait(token);
      log(`${label}: stopped and handed back to the queue`);
    }
    return new WaitingError();
  }
  const message = errorLine(error);
  log(`${label}: failed: ${message}`);
  // Bad data or a refused output fails the same way every time: do not try again.
  if (error instanceof DeepfieldError) return new UnrecoverableError(message);
  return error;
}

/** The BullMQ worker, not yet running; a job whose lock it fails to renew is cancelled here. */
function createStackWorker(opts: WorkerCommandOptions, processStack: StackProcessor, name: string, lostLocks: Set<string>): Worker<StackJobData, BatchRow> {
  const lockDuration = opts.lockSeconds * 1000;
  const worker = new Worker<StackJobData, BatchRow>(QUEUE_NAME, processStack, {
    connection: connectionOptions(opts.queue),
    concurrency: opts.concurrency,
    lockDuration,
    // Look for dead workers' jobs as often as a lock lasts, so one is retried within two lock times.
    stalledInterval: lockDuration,
    // A stack whose workers keep dying (say, out of memory) fails after its third start.
    maxStalledCount: 2,
    name,
    autorun: false,
  });
  const notices = connectionNotices(opts.queue, (line) => process.stderr.write(line + '\n'));
  worker.on('error', notices.onError);
  worker.backend.on('ready', notices.onReady);
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const id of jobIds) {
      lostLocks.add(id);
      worker.cancelJob(id, 'lock lost');
    }
  });
  return worker;
}

function parseWhole(parameter: string, lo: number, hi: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < lo || n > hi) throw new InvalidArgumentError(describeExpected(`a whole number from ${lo} to ${hi}`, parameter, value));
    return n;
  };
}

export function registerWorkerCommand(program: Command, run: (opts: WorkerCommandOptions) => Promise<void>): Command {
  return program
    .command('worker')
    .description('take stacks from a batch queue (deepfield batch ... --queue) and stack them, until Ctrl-C or SIGTERM; run one per machine that sees the same files')
    .requiredOption('--queue <url>', 'the Redis the batches were submitted to: redis://[:password@]host[:port][/db] (rediss:// for TLS)', parseQueueUrl)
    .option('--concurrency <n>', 'stacks at once on this machine (they share the worker threads)', parseWhole('concurrency', 1, 16), 2)
    .option('--threads <n>', 'worker threads (default: one per core)', parseWhole('threads', 1, 256))
    .option('--lock-seconds <s>', 'how long a stack stays claimed without word from its worker; after that, another worker takes it over (a killed worker\'s stack waits this long)', parseWhole('lock-seconds', 1, 3600), 30)
    .action(run);
}
