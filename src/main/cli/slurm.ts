// Batches on a Slurm cluster, as a job array: `--shard I/N` stacks the stacks whose stable index
// (a hash of the stack's name, see stableStackIndex) modulo N is I, and writes its own summary;
// `--slurm-script` prints the sbatch script that runs N such shards; `--summary-only` merges the
// shards' summaries into the batch's one. Each shard is a local batch: it resumes by sidecar like
// one, so resubmitting the array (or one task of it) redoes only what is failed, missing or stale.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { describeExpected } from '../../shared/options';
import { DeepfieldError, probeSlices } from '../engine';
import { type BatchRow, findStackFolders, type StackFolder, stableStackIndex } from './batch-core';
import type { BatchScope } from './batch-command';
import { parseSummaryCsv } from './batch-summary';

export interface Shard {
  index: number;
  count: number;
}

/** "I/N" with 0 <= I < N, as $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT gives it. */
export function parseShard(value: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) {
    throw new InvalidArgumentError(describeExpected('I/N with 0 <= I < N, like 0/3 (e.g. $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)', 'shard', value));
  }
  return { index, count };
}

export function inShard(stack: { name: string }, shard: Shard): boolean {
  return stableStackIndex(stack.name) % shard.count === shard.index;
}

/** The summary a shard writes beside the batch's outputs (shards running at once never share one). */
export function shardSummaryFile(shard: Shard): string {
  return `batch-summary.shard-${shard.index}-of-${shard.count}.csv`;
}

const SHARD_SUMMARY = /^batch-summary\.shard-(\d+)-of-(\d+)\.csv$/;

export function shardScope(shard: Shard): BatchScope {
  return { select: (stacks) => stacks.filter((s) => inShard(s, shard)), summaryFile: shardSummaryFile(shard) };
}

/**
 * The batch's summary from its shards' summaries, in the parent's stack order. The shard count is
 * that of the newest shard summary (an older array with another count is left out); a stack no
 * shard summary has is reported failed, so the reader knows which task to run again.
 */
export async function mergeShardSummaries(parent: string, outFolder: string): Promise<{ rows: BatchRow[]; count: number }> {
  const stacks = await findStackFolders(path.resolve(parent));
  let names: string[];
  try {
    names = await fs.readdir(outFolder);
  } catch (error) {
    throw new DeepfieldError(`Cannot read the output folder ${outFolder}: ${(error as Error).message}`, outFolder);
  }
  const shardFiles = await Promise.all(
    names
      .map((name) => ({ name, match: SHARD_SUMMARY.exec(name) }))
      .filter((f): f is { name: string; match: RegExpExecArray } => f.match !== null)
      .map(async ({ name, match }) => ({ file: path.join(outFolder, name), index: Number(match[1]), count: Number(match[2]), mtime: (await fs.stat(path.join(outFolder, name))).mtimeMs })),
  );
  if (shardFiles.length === 0) throw new DeepfieldError(`No shard summaries (batch-summary.shard-I-of-N.csv) in ${outFolder}: run the shards (--shard I/N) first`, outFolder);
  const count = shardFiles.reduce((a, b) => (b.mtime > a.mtime ? b : a)).count;
  const byStack = new Map<string, BatchRow>();
  for (const shard of shardFiles.filter((f) => f.count === count)) {
    for (const row of parseSummaryCsv(await fs.readFile(shard.file, 'utf8'), shard.file)) byStack.set(row.stack, row);
  }
  const rows = stacks.map((stack): BatchRow => {
    const row = byStack.get(stack.name);
    if (row) return row;
    const shard = stableStackIndex(stack.name) % count;
    const message = `not in any shard summary: run shard ${shard}/${count} (--shard ${shard}/${count}) again`;
    return { stack: stack.name, slices: stack.files.length || null, size: '', seconds: 0, outputs: [], status: 'failed', message };
  });
  return { rows, count };
}

/**
 * Peak memory of one running stack, measured with /usr/bin/time -v (maximum resident set size) on
 * `deepfield stack` with ten RGB 8-bit JPEG slices: 173 MB at 1.99 MP (npm run bench -- --batch)
 * and 544 MB at 24 MP (scripts/bench-data.js) with one thread, and 7 MB per megapixel more for
 * each further thread at both sizes: 140 MB + 17 MB/MP + 7 MB/MP per extra thread.
 */
const MB_BASE = 140;
const MB_PER_MP = 17;
const MB_PER_MP_THREAD = 7;

/** The largest stack's size, and its bytes per pixel (3 for RGB 8-bit). */
export interface StackSize {
  megapixels: number;
  bytesPerPixel: number;
}

/** Memory to ask Slurm for: `jobs` stacks of the largest size at once, each with `cpus` threads. */
export function slurmMemoryMB(largest: StackSize, cpus: number, jobs: number): number {
  // Per pixel memory was measured on RGB 8-bit; wider pixels (16-bit RGB: 6 bytes) are assumed to
  // grow with their size, narrower ones (16-bit grey measured 40% under) are not scaled down.
  const width = Math.max(1, largest.bytesPerPixel / 3);
  const perStack = largest.megapixels * width * (MB_PER_MP + MB_PER_MP_THREAD * Math.max(0, cpus - 1));
  // A quarter more than measured: slices vary, and Slurm kills a task that goes over.
  return Math.ceil(((MB_BASE + jobs * perStack) * 1.25) / 100) * 100;
}

async function largestStack(stacks: StackFolder[]): Promise<StackSize> {
  const largest: StackSize = { megapixels: 0, bytesPerPixel: 3 };
  for (const stack of stacks) {
    if (stack.files.length === 0) continue;
    const layout = await probeSlices([stack.files[0]]).then((p) => p.layout).catch(() => undefined);
    if (!layout) continue;
    const megapixels = (layout.width * layout.height) / 1e6;
    const bytesPerPixel = (layout.channels * layout.bitDepth) / 8;
    if (megapixels * bytesPerPixel > largest.megapixels * largest.bytesPerPixel) Object.assign(largest, { megapixels, bytesPerPixel });
  }
  return largest;
}

/** Single-quoted for bash. */
function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The batch options given on the command line, as they were given, minus those of this planning. */
export function jobArguments(command: Command, leaveOut: ReadonlySet<string>): string[] {
  const words: string[] = [];
  for (const option of command.options) {
    const key = option.attributeName();
    if (leaveOut.has(option.long ?? '') || command.getOptionValueSource(key) !== 'cli') continue;
    const value: unknown = command.getOptionValue(key);
    if (typeof value === 'boolean') words.push(option.long!);
    else if (Array.isArray(value)) words.push(option.long!, value.map((k: number) => k + 1).join(',')); // --masked-slices, counted from 1
    else words.push(option.long!, String(value));
  }
  return words;
}

export interface SlurmScriptRequest {
  parent: string;
  outFolder: string;
  tasks: number;
  cpus: number;
  jobs: number;
  time?: string;
  partition?: string;
  /** The program to run on the nodes, e.g. [node, /path/to/bin/deepfield.js]. */
  program: string[];
  /** The batch's job options (sigma, outputs, ...), as words. */
  jobOptions: string[];
}

export async function slurmScript(request: SlurmScriptRequest): Promise<string> {
  const parent = path.resolve(request.parent);
  const outFolder = path.resolve(request.outFolder);
  const stacks = await findStackFolders(parent);
  if (stacks.length === 0) throw new DeepfieldError(`No sub-folders in ${request.parent}: batch stacks each sub-folder as one stack`, request.parent);
  const tasks = Math.min(request.tasks, stacks.length);
  const largest = await largestStack(stacks);
  const memory = slurmMemoryMB(largest, request.cpus, request.jobs);
  const command = [...request.program, 'batch', parent, '-o', outFolder, ...request.jobOptions].map(shellQuote).join(' ');
  const jobsWord = request.jobs === 2 ? '' : ` --jobs ${request.jobs}`;
  return [
    '#!/bin/bash',
    `# Deepfield batch as a Slurm job array: ${stacks.length} stacks of ${parent}`,
    `# into ${outFolder}, in ${tasks} array tasks (each takes the stacks whose stable index modulo`,
    `# ${tasks} is its task id). Submit with: sbatch <this file>. Every node must see both folders at`,
    '# these paths (a shared file system) and run the same Deepfield version.',
    '# A task resumes by sidecar: resubmitting the array redoes only failed, missing or stale stacks.',
    '# Once every task has finished, merge the shards\' summaries into batch-summary.csv with:',
    `#   ${[...request.program, 'batch', parent, '-o', outFolder, '--summary-only'].map(shellQuote).join(' ')}`,
    '#',
    `# --cpus-per-task: worker threads per task (--slurm-cpus). --mem: ${request.jobs} stack(s) at once`,
    `# (--jobs) of the largest stack here (${largest.megapixels.toFixed(1)} MP), from the measured peak per`,
    '# megapixel and thread, plus a quarter. --time and --partition: --slurm-time, --slurm-partition.',
    '#SBATCH --job-name=deepfield-batch',
    `#SBATCH --array=0-${tasks - 1}`,
    '#SBATCH --ntasks=1',
    `#SBATCH --cpus-per-task=${request.cpus}`,
    `#SBATCH --mem=${memory}M`,
    ...(request.time ? [`#SBATCH --time=${request.time}`] : []),
    ...(request.partition ? [`#SBATCH --partition=${request.partition}`] : []),
    `#SBATCH --output=${shellQuote(path.join(outFolder, 'slurm-%A_%a.log'))}`,
    'set -euo pipefail',
    `exec ${command}${jobsWord} --threads "$SLURM_CPUS_PER_TASK" --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT"`,
    '',
  ].join('\n');
}
