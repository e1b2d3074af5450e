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
import { parseStackOptions } from '../../shared/options';
import { CancelledError, canonicalJson, DeepfieldError, type Engine, findSliceFiles, isAbortError, isImageFileName, naturalCompare, type OutputPlan, probeSlices, readSidecar, recordInputs, resolvePlan, runStackJob, sameInputs, sidecarPathFor, writeBytesAtomic } from '../engine';
import { addOutputOptions, planFromBatchFlags, type OutputFlags } from './output-options';
import { stackOptionsFromFlags } from './stack-command';

export const SUMMARY_FILE = 'batch-summary.csv';

export interface BatchCommandOptions extends OutputFlags {
  output: string;
  format?: 'png' | 'tiff' | 'jpeg' | 'webp';
  jobs?: number;
  sigma: number;
  overwrite?: boolean;
  json?: boolean;
}

export type BatchStatus = 'done' | 'up to date' | 'failed' | 'cancelled';

export interface BatchRow {
  stack: string;
  slices: number | null;
  size: string;
  seconds: number;
  outputs: string[];
  status: BatchStatus;
  message?: string;
}

interface StackFolder {
  name: string;
  folder: string;
  /** Image files, natural order. */
  files: string[];
}

const EXTENSION_OF_FORMAT = { png: 'png', tiff: 'tif', jpeg: 'jpg', webp: 'webp' } as const;

/** The sub-folders of `parent` that hold images, in natural order (hidden ones left out). */
export async function findStackFolders(parent: string): Promise<StackFolder[]> {
  let entries;
  try {
    entries = await fs.readdir(parent, { withFileTypes: true });
  } catch (error) {
    throw new DeepfieldError(`Cannot read the folder ${parent}: ${(error as Error).message}`, parent);
  }
  const stacks: StackFolder[] = [];
  for (const entry of entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).sort((a, b) => naturalCompare(a.name, b.name))) {
    const folder = path.join(parent, entry.name);
    const names = (await fs.readdir(folder)).filter((n) => !n.startsWith('.') && isImageFileName(n)).sort(naturalCompare);
    stacks.push({ name: entry.name, folder, files: names.map((n) => path.join(folder, n)) });
  }
  return stacks;
}

/** The composite's extension: the --format asked for, else the slices' own format. */
function extensionFor(stack: StackFolder, format?: BatchCommandOptions['format']): string {
  if (format) return EXTENSION_OF_FORMAT[format];
  const ext = path.extname(stack.files[0] ?? '.png').slice(1).toLowerCase();
  return ext === 'jpeg' ? 'jpg' : ext === 'tiff' ? 'tif' : ext;
}

/**
 * Bytes one running stack holds: the merge state per pixel (variance, winner, neighbours, sums:
 * 22 bytes, plus 4 per channel for weighted sums and the composite itself) and one decoded slice
 * with its focus bands per worker thread.
 */
export function estimateStackBytes(width: number, height: number, channels: number, bitDepth: number, threads: number): number {
  const pixels = width * height;
  const sample = bitDepth / 8;
  return pixels * (22 + 4 * channels + channels * sample * 2) + threads * pixels * (channels * sample + 8);
}

/** Whether `stack`'s sidecar in the output folder records exactly this job. */
async function upToDate(stack: StackFolder, plan: OutputPlan, options: unknown, signal: AbortSignal): Promise<boolean> {
  const sidecarFile = sidecarPathFor(plan.composite);
  if (!(await fs.stat(sidecarFile).catch(() => undefined))) return false;
  try {
    const sidecar = await readSidecar(sidecarFile);
    if (canonicalJson(sidecar.options) !== canonicalJson(options)) return false;
    if (canonicalJson(sidecar.outputs) !== canonicalJson(plan)) return false;
    for (const file of sidecar.written) if (!(await fs.stat(file).catch(() => undefined))) return false;
    const { files } = await findSliceFiles([stack.folder]);
    return sameInputs(sidecar.files, await recordInputs(files, signal));
  } catch (error) {
    if (isAbortError(error)) throw error;
    return false; // an unreadable sidecar or input: stack again, which reports real problems
  }
}

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function summaryCsv(rows: BatchRow[]): string {
  const lines = [['stack', 'slices', 'size', 'time_s', 'outputs', 'status'].join(',')];
  for (const r of rows) {
    const status = r.message ? `${r.status}: ${r.message}` : r.status;
    lines.push([r.stack, r.slices, r.size, r.seconds.toFixed(2), r.outputs.join(';'), status].map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

interface BatchDisplay {
  started(stack: string): void;
  slice(stack: string, done: number, total: number): void;
  finished(row: BatchRow, finishedCount: number, total: number): void;
  stop(): void;
}

/** One display for the whole batch: a bar over stacks on a terminal, one line per event otherwise. */
function createBatchDisplay(total: number, stream: NodeJS.WriteStream = process.stderr): BatchDisplay {
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

export async function runBatchCommand(engine: Engine, threads: number, parent: string, opts: BatchCommandOptions, signal: AbortSignal): Promise<BatchRow[]> {
  const outFolder = path.resolve(opts.output);
  const stacks = await findStackFolders(path.resolve(parent));
  if (stacks.length === 0) throw new DeepfieldError(`No sub-folders in ${parent}: batch stacks each sub-folder as one stack`, parent);
  await fs.mkdir(outFolder, { recursive: true });
  const options = parseStackOptions(stackOptionsFromFlags(opts));

  // Two (or --jobs) stacks at once, fewer when the largest would not fit in half the free memory.
  let largest = 0;
  for (const stack of stacks) {
    if (stack.files.length === 0) continue;
    const layout = await probeSlices([stack.files[0]]).then((p) => p.layout).catch(() => undefined);
    if (layout) largest = Math.max(largest, estimateStackBytes(layout.width, layout.height, layout.channels, layout.bitDepth, threads));
  }
  const fits = largest > 0 ? Math.floor((os.freemem() * 0.5) / largest) : stacks.length;
  const parallel = Math.max(1, Math.min(opts.jobs ?? 2, fits, stacks.length));

  const rows: BatchRow[] = new Array(stacks.length);
  const display = createBatchDisplay(stacks.length);
  let finished = 0;
  let next = 0;
  const runOne = async (index: number): Promise<void> => {
    const stack = stacks[index];
    const plan = resolvePlan(planFromBatchFlags(opts, outFolder, stack.name, extensionFor(stack, opts.format)));
    const started = performance.now();
    const row: BatchRow = { stack: stack.name, slices: stack.files.length || null, size: '', seconds: 0, outputs: [], status: 'done' };
    try {
      if (signal.aborted) throw new CancelledError();
      if (await upToDate(stack, plan, options, signal)) {
        const sidecar = await readSidecar(sidecarPathFor(plan.composite));
        Object.assign(row, { slices: sidecar.slices.length, size: `${sidecar.layout.width}x${sidecar.layout.height}`, outputs: sidecar.written, status: 'up to date' });
      } else {
        display.started(stack.name);
        const outcome = await runStackJob(engine, {
          inputs: [stack.folder],
          options,
          plan,
          overwrite: opts.overwrite,
          signal,
          onProgress: (p) => p.phase === 'focus' && display.slice(stack.name, p.done, p.total),
        });
        row.slices = outcome.result.slices.length;
        row.size = `${outcome.result.layout.width}x${outcome.result.layout.height}`;
        row.outputs = [...outcome.files, ...(outcome.sidecarFile ? [outcome.sidecarFile] : [])];
      }
    } catch (error) {
      row.status = isAbortError(error) ? 'cancelled' : 'failed';
      if (row.status === 'failed') row.message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    }
    row.seconds = (performance.now() - started) / 1000;
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
  await writeBytesAtomic(path.join(outFolder, SUMMARY_FILE), summaryCsv(rows));

  if (opts.json) process.stdout.write(JSON.stringify({ parallel, stacks: rows }, null, 2) + '\n');
  const count = (s: BatchStatus) => rows.filter((r) => r.status === s).length;
  process.stderr.write(
    `batch: ${count('done')} stacked, ${count('up to date')} up to date, ${count('failed')} failed` +
      (count('cancelled') ? `, ${count('cancelled')} cancelled` : '') +
      ` (summary: ${path.join(outFolder, SUMMARY_FILE)})\n`,
  );
  if (signal.aborted) throw new CancelledError();
  if (count('failed') > 0) {
    const first = rows.find((r) => r.status === 'failed')!;
    throw new DeepfieldError(`${count('failed')} of ${rows.length} stacks failed; first: ${first.stack}: ${first.message}`);
  }
  return rows;
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
