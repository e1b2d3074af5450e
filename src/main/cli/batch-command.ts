// `deepfield batch <parent> -o <out>`: every sub-folder of <parent> is one stack (a field of view,
// a time point). Stacks run two at a time when memory allows, share one worker pool and one
// progress display, and each failure is reported without stopping the others. A stack whose
// sidecar in <out> records the same inputs (SHA-256) and options is skipped, so a rerun resumes.
// Ctrl-C stops the running stacks; their files are taken back (see runStackJob), finished ones stay.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CancelledError, DeepfieldError, type Engine, probeSlices, writeBytesAtomic } from '../engine';
import { batchSettingsFromFlags, type BatchJobFlags, type BatchRow, type BatchStatus, estimateStackBytes, findStackFolders, runBatchStack, type StackFolder } from './batch-core';
import { SUMMARY_FILE, summaryCsv } from './batch-summary';
import { addOutputOptions } from './output-options';

export interface BatchCommandOptions extends BatchJobFlags {
  output: string;
  jobs?: number;
  json?: boolean;
}

/** Which stacks of the parent this run stacks, and the summary file it writes (a shard's own). */
export interface BatchScope {
  select?: (stacks: StackFolder[]) => StackFolder[];
  summaryFile?: string;
}

export interface BatchDisplay {
  started(stack: string): void;
  slice(stack: string, done: number, total: number): void;
  finished(row: BatchRow, finishedCount: number, total: number): void;
  stop(): void;
}

/** One display for the whole batch: a bar over stacks on a terminal, one line per event otherwise. */
export function createBatchDisplay(total: number, stream: NodeJS.WriteStream = process.stderr): BatchDisplay {
  const running = new Map<string, string>();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream, format: 'batch [{bar}] {value}/{total} stacks | {running}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { running: '' });
    const text = () => [...running].map(([s, p]) => `${s} ${p}`).join(', ');
    return {
      started: (s) => (running.set(s, ''), bar.update({ running: text() })),
      slice: (s, d, t) => (running.set(s, `${d}/${t}`), bar.update({ running: text() })),
      finished: (row, n) => (running.delete(row.stack), bar.update(n, { running: text() })),
      stop: () => bar.stop(),
    };
  }
  return {
    started: (s) => stream.write(`${s}: started\n`),
    slice: () => undefined,
    finished: (row, n, t) =>
      stream.write(`[${n}/${t}] ${row.stack}: ${row.status}${row.message ? ` (${row.message})` : ''} ${row.seconds.toFixed(1)}s\n`),
    stop: () => undefined,
  };
}

/** Two (or --jobs) stacks at once, fewer when the largest would not fit in half the free memory. */
async function stacksAtOnce(stacks: StackFolder[], threads: number, jobs = 2): Promise<number> {
  let largest = 0;
  for (const stack of stacks) {
    if (stack.files.length === 0) continue;
    const layout = await probeSlices([stack.files[0]]).then((p) => p.layout).catch(() => undefined);
    if (layout) largest = Math.max(largest, estimateStackBytes(layout.width, layout.height, layout.channels, layout.bitDepth, threads));
  }
  const fits = largest > 0 ? Math.floor((os.freemem() * 0.5) / largest) : stacks.length;
  return Math.max(1, Math.min(jobs, fits, stacks.length));
}

/**
 * Writes the summary CSV, prints the counts (and with --json the rows), and throws when the run
 * was cancelled or a stack failed, so the exit status says so.
 */
export async function finishBatch(rows: BatchRow[], summaryFile: string, json: boolean | undefined, signal: AbortSignal, extra: object = {}): Promise<BatchRow[]> {
  await writeBytesAtomic(summaryFile, summaryCsv(rows));
  if (json) process.stdout.write(JSON.stringify({ ...extra, stacks: rows }, null, 2) + '\n');
  const count = (s: BatchStatus) => rows.filter((r) => r.status === s).length;
  process.stderr.write(
    `batch: ${count('done')} stacked, ${count('up to date')} up to date, ${count('failed')} failed` +
      (count('cancelled') ? `, ${count('cancelled')} cancelled` : '') +
      ` (summary: ${summaryFile})\n`,
  );
  if (signal.aborted) {
    const written = rows.filter((r) => r?.status === 'done').map((r) => r.stack);
    throw new CancelledError(
      written.length === 0
        ? 'cancelled, nothing written'
        : `cancelled: ${written.length} stack(s) finished before the interrupt are written (${written.join(', ')}); the stacks cut short left nothing`,
    );
  }
  if (count('failed') > 0) {
    const first = rows.find((r) => r.status === 'failed')!;
    throw new DeepfieldError(`${count('failed')} of ${rows.length} stacks failed; first: ${first.stack}: ${first.message}`);
  }
  return rows;
}

export async function runBatchCommand(engine: Engine, threads: number, parent: string, opts: BatchCommandOptions, signal: AbortSignal, scope: BatchScope = {}): Promise<BatchRow[]> {
  const settings = batchSettingsFromFlags(opts, opts.output);
  const all = await findStackFolders(path.resolve(parent));
  if (all.length === 0) throw new DeepfieldError(`No sub-folders in ${parent}: batch stacks each sub-folder as one stack`, parent);
  const stacks = scope.select ? scope.select(all) : all;
  await fs.mkdir(settings.outFolder, { recursive: true });
  const parallel = await stacksAtOnce(stacks, threads, opts.jobs);

  const rows: BatchRow[] = new Array(stacks.length);
  const display = createBatchDisplay(stacks.length);
  let finished = 0;
  let next = 0;
  const runOne = async (index: number): Promise<void> => {
    const stack = stacks[index];
    const row = await runBatchStack(engine, stack, settings, {
      signal,
      onStarted: () => display.started(stack.name),
      onProgress: (p) => p.phase === 'focus' && display.slice(stack.name, p.done, p.total),
    });
    rows[index] = row;
    display.finished(row, ++finished, stacks.length);
  };
  const lane = async (): Promise<void> => {
    while (next < stacks.length) await runOne(next++);
  };
  try {
    await Promise.all(Array.from({ length: parallel }, lane));
  } finally {
    display.stop();
  }
  return finishBatch(rows, path.join(settings.outFolder, scope.summaryFile ?? SUMMARY_FILE), opts.json, signal, { parallel });
}

function parseJobs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new InvalidArgumentError(`Expected a whole number from 1 to 16 for jobs but received "${value}" of type string`);
  return n;
}

/**
 * Adds `batch` to the program. The stack job options (sigma and the like) are copied from the
 * `stack` command so that batch always takes the same ones.
 */
export function registerBatchCommand(
  program: Command,
  stackCommand: Command,
  run: (parent: string, opts: BatchCommandOptions) => Promise<void>,
): Command {
  const batch = program
    .command('batch')
    .description('stack every sub-folder of a folder (one stack each) into an output folder, resuming where a previous run stopped')
    .argument('<parent>', 'folder whose sub-folders are stacks')
    .requiredOption('-o, --output <folder>', `folder for the composites (<stack>.<ext>), their sidecars and ${SUMMARY_FILE}`)
    .addOption(new Option('--format <format>', 'composite format (default: the slices\' own)').choices(['png', 'tiff', 'jpeg', 'webp']))
    .option('--jobs <n>', 'stacks at once (default 2, fewer when memory is short)', parseJobs);
  addOutputOptions(batch, 'batch');
  const own = new Set(batch.options.map((o) => o.long));
  for (const option of stackCommand.options) {
    // Job options (--sigma, --threads, --overwrite, ...) come from stack; its per-file outputs do not.
    if (!own.has(option.long) && option.long !== '--replay') batch.addOption(option);
  }
  batch.action(run);
  return batch;
}
