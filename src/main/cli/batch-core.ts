// What every way of running a batch shares (one machine, a shard of a Slurm array, a queue worker):
// the list of stacks under a parent folder with their stable names, the job settings as plain
// data (so a queue can carry them to another machine), and "stack this one stack of the batch
// unless its sidecar says it is up to date", giving the stack's row of the summary CSV.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { StackOptions } from '../../shared/options';
import { extensionOf, formatOfName } from '../../shared/formats';
import type { StackProgress } from '../../shared/types';
import { checkStackOutputs, type Engine, isAbortError, isImageFileName, naturalCompare, type OutputPlan, recoverOutputFolder, resolvePlan, runStackJob, DeepfieldError } from '../engine';
import { planFromBatchFlags, type OutputFlags } from './output-options';
import { stackOptionsFromFlags } from './stack-command';

export type BatchStatus = 'done' | 'up to date' | 'failed' | 'cancelled';

/** One stack's line of the summary CSV. */
export interface BatchRow {
  stack: string;
  slices: number | null;
  size: string;
  seconds: number;
  outputs: string[];
  status: BatchStatus;
  message?: string;
}

export interface StackFolder {
  /** The sub-folder's name: the stack's stable name in outputs, summaries, shards and queue jobs. */
  name: string;
  folder: string;
  /** Image files, natural order. */
  files: string[];
}

export type CompositeFormat = 'png' | 'tiff' | 'jpeg' | 'webp';

/** The batch command's flags that make a stack job: outputs, format and the stack options. */
export interface BatchJobFlags extends OutputFlags {
  format?: CompositeFormat;
  overwrite?: boolean;
  sigma: number;
}

/**
 * Everything a stack of the batch is stacked with, as plain JSON: the same on every machine that
 * sees the same files, so a queue job can carry it and a worker rebuild the exact job.
 */
export interface BatchSettings {
  /** Absolute output folder. */
  outFolder: string;
  outputs: OutputFlags;
  format?: CompositeFormat;
  overwrite: boolean;
  options: StackOptions;
}

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
    stacks.push(await readStackFolder(path.join(parent, entry.name)));
  }
  return stacks;
}

/** One stack folder: its image files in natural order (hidden ones left out). */
export async function readStackFolder(folder: string): Promise<StackFolder> {
  const names = (await fs.readdir(folder)).filter((n) => !n.startsWith('.') && isImageFileName(n)).sort(naturalCompare);
  return { name: path.basename(folder), folder, files: names.map((n) => path.join(folder, n)) };
}

/**
 * A number that depends on the stack's name only: the first 32 bits of its SHA-256. Shards are
 * this modulo N, so array tasks that list the parent at different moments (while a scanner adds
 * folders, on machines that list in another order) still agree on who stacks what.
 */
export function stableStackIndex(name: string): number {
  return createHash('sha256').update(name, 'utf8').digest().readUInt32BE(0);
}

/** The settings of a batch from its command line flags, options validated once here. */
export function batchSettingsFromFlags(flags: BatchJobFlags, outFolder: string): BatchSettings {
  const { format, overwrite, ...rest } = flags;
  const outputs: OutputFlags = {
    depth: rest.depth,
    quality: rest.quality,
    tiffCompression: rest.tiffCompression,
    metadata: rest.metadata,
    indexMap: rest.indexMap,
    depthMap: rest.depthMap,
    heightMap: rest.heightMap,
    heatmaps: rest.heatmaps,
    focusMap: rest.focusMap,
    masked: rest.masked,
    zStep: rest.zStep,
    subslice: rest.subslice,
    maskedSlices: rest.maskedSlices,
    heatmapScale: rest.heatmapScale,
    colourMap: rest.colourMap,
    sidecar: rest.sidecar,
  };
  return {
    outFolder: path.resolve(outFolder),
    // JSON keeps what a queue carries identical to what a local run uses (no undefined keys).
    outputs: JSON.parse(JSON.stringify(outputs)) as OutputFlags,
    format,
    overwrite: overwrite === true,
    options: stackOptionsFromFlags(flags as Parameters<typeof stackOptionsFromFlags>[0]),
  };
}

/** The composite's extension: the --format asked for, else the slices' own format. */
function extensionFor(stack: StackFolder, format?: CompositeFormat): string {
  const first = stack.files[0] ?? '.png';
  const own = format ?? formatOfName(first);
  return own ? extensionOf(own).slice(1) : path.extname(first).slice(1).toLowerCase();
}

/** What one stack of the batch writes, and where. */
export function planForStack(stack: StackFolder, settings: BatchSettings): OutputPlan {
  return resolvePlan(planFromBatchFlags(settings.outputs, settings.outFolder, stack.name, extensionFor(stack, settings.format)));
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

export interface StackHooks {
  signal?: AbortSignal;
  /** Called when the stack is really stacked (not when it is up to date). */
  onStarted?: () => void;
  onProgress?: (progress: StackProgress) => void;
}

/**
 * Stacks one stack of the batch, or reports it up to date when its outputs are all there and match
 * their sidecar, made from the same inputs (SHA-256) with the same options (checkStackOutputs).
 * Outputs that are missing, partial or stale are made again, replacing the stale set without
 * --overwrite: the output folder's names are the batch's own. A run that died while writing into
 * the folder is cleaned up (or its set completed) first. Throws what the job throws (a
 * DeepfieldError for a problem in the data or the output folder), so a caller can tell failures apart.
 */
export async function stackOneOfBatch(engine: Engine, stack: StackFolder, settings: BatchSettings, hooks: StackHooks = {}): Promise<BatchRow> {
  const started = performance.now();
  const plan = planForStack(stack, settings);
  const row: BatchRow = { stack: stack.name, slices: stack.files.length || null, size: '', seconds: 0, outputs: [], status: 'done' };
  hooks.signal?.throwIfAborted();
  await recoverOutputFolder(path.dirname(plan.composite));
  const status = await checkStackOutputs({ inputs: [stack.folder], options: settings.options, plan }, hooks.signal);
  if (status.state === 'up to date' && status.sidecar) {
    const { sidecar } = status;
    Object.assign(row, { slices: sidecar.slices.length, size: `${sidecar.layout.width}x${sidecar.layout.height}`, outputs: sidecar.written, status: 'up to date' });
  } else {
    hooks.onStarted?.();
    const outcome = await runStackJob(engine, {
      inputs: [stack.folder],
      options: settings.options,
      plan,
      // A set already (partly) there is this batch's own, made before: replace it whole.
      overwrite: settings.overwrite || status.state !== 'missing',
      signal: hooks.signal,
      onProgress: hooks.onProgress,
    });
    row.slices = outcome.result.slices.length;
    row.size = `${outcome.result.layout.width}x${outcome.result.layout.height}`;
    row.outputs = [...outcome.files, ...(outcome.sidecarFile ? [outcome.sidecarFile] : [])];
    if (status.state !== 'missing') row.message = `redone, was ${status.state}: ${status.reason}`;
  }
  row.seconds = (performance.now() - started) / 1000;
  return row;
}

/** The first line of an error, as the summary and the queue show it. */
export function errorLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/** The row of a stack that failed (or was cancelled, when `error` is an abort). */
export function failedRow(stack: StackFolder, error: unknown, seconds: number): BatchRow {
  const cancelled = isAbortError(error);
  return {
    stack: stack.name,
    slices: stack.files.length || null,
    size: '',
    seconds,
    outputs: [],
    status: cancelled ? 'cancelled' : 'failed',
    ...(cancelled ? {} : { message: errorLine(error) }),
  };
}

/** stackOneOfBatch, with a failure turned into the stack's row instead of thrown. */
export async function runBatchStack(engine: Engine, stack: StackFolder, settings: BatchSettings, hooks: StackHooks = {}): Promise<BatchRow> {
  const started = performance.now();
  try {
    return await stackOneOfBatch(engine, stack, settings, hooks);
  } catch (error) {
    return failedRow(stack, error, (performance.now() - started) / 1000);
  }
}
