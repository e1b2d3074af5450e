// `deepfield batch` on many machines: the options that send a batch to a Redis queue or split it
// into Slurm array tasks, and the choice between them and the local run.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { describeExpected } from '../../shared/options';
import type { Engine } from '../engine';
import { type BatchCommandOptions, finishBatch, runBatchCommand } from './batch-command';
import { SUMMARY_FILE } from './batch-summary';
import { parseQueueUrl } from './queue/connection';
import { runQueueBatch } from './queue/submit';
import { jobArguments, mergeShardSummaries, parseShard, type Shard, shardScope, slurmScript } from './slurm';

export interface ManyMachinesOptions extends BatchCommandOptions {
  queue?: string;
  status?: boolean;
  wait: boolean;
  shard?: Shard;
  slurmScript?: boolean;
  slurmTasks: number;
  slurmCpus: number;
  slurmTime?: string;
  slurmPartition?: string;
  summaryOnly?: boolean;
}

function parseWhole(parameter: string, lo: number, hi: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < lo || n > hi) throw new InvalidArgumentError(describeExpected(`a whole number from ${lo} to ${hi}`, parameter, value));
    return n;
  };
}

/** Options of this planning itself, never passed on to the array tasks' own command. */
const PLANNING_OPTIONS = new Set(['--queue', '--status', '--no-wait', '--shard', '--slurm-script', '--slurm-tasks', '--slurm-cpus', '--slurm-time', '--slurm-partition', '--summary-only', '--threads', '--jobs', '--json', '--output']);

export function addManyMachinesOptions(batch: Command): Command {
  return batch
    .option('--queue <url>', 'queue one job per stack on this Redis (redis://[:password@]host[:port][/db]) for `deepfield worker`s on any machine that sees the same files, then follow the batch; Ctrl-C stops following, the jobs stay queued', parseQueueUrl)
    .option('--status', 'with --queue: print how many of the batch\'s stacks are waiting, active, done and failed, and each failure with its error')
    .option('--no-wait', 'with --queue: queue the stacks and return without following them')
    .option('--shard <I/N>', 'stack only the stacks whose stable index (a hash of the stack\'s name) modulo N is I, writing batch-summary.shard-I-of-N.csv (for Slurm: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)', parseShard)
    .option('--slurm-script', 'print an sbatch script that runs this batch as a Slurm job array of --slurm-tasks shards, then exit')
    .option('--slurm-tasks <n>', 'array tasks of --slurm-script (at most one per stack)', parseWhole('slurm-tasks', 1, 100_000), 10)
    .option('--slurm-cpus <n>', 'CPUs per array task of --slurm-script (its worker threads)', parseWhole('slurm-cpus', 1, 256), 4)
    .option('--slurm-time <limit>', 'time limit per array task of --slurm-script, as sbatch takes it (e.g. 02:00:00)')
    .option('--slurm-partition <name>', 'partition of --slurm-script\'s tasks')
    .option('--summary-only', `merge the shards' summaries (batch-summary.shard-I-of-N.csv) into ${SUMMARY_FILE} without stacking`);
}

function conflicts(opts: ManyMachinesOptions): string | undefined {
  const modes = [opts.queue && '--queue', opts.shard && '--shard', opts.slurmScript && '--slurm-script', opts.summaryOnly && '--summary-only'].filter(Boolean);
  if (modes.length > 1) return `${modes.join(' and ')} do not go together`;
  if (opts.status && !opts.queue) return '--status needs --queue';
  if (!opts.wait && !opts.queue) return '--no-wait needs --queue';
  return undefined;
}

/**
 * Runs `deepfield batch` in the mode its options ask for: queue, shard, Slurm script, summary
 * merge, or on this machine. `makeEngine` is called only by the modes that stack here.
 */
export async function runBatchMode(batch: Command, parent: string, opts: ManyMachinesOptions, makeEngine: (threads: number) => Engine, signal: AbortSignal): Promise<void> {
  const conflict = conflicts(opts);
  if (conflict) batch.error(`error: ${conflict}`, { exitCode: 2, code: 'commander.conflictingOption' });
  const threads = (opts as { threads?: number }).threads ?? os.availableParallelism();
  if (opts.queue) {
    await runQueueBatch(parent, { ...opts, queue: opts.queue }, signal);
  } else if (opts.summaryOnly) {
    const outFolder = path.resolve(opts.output);
    const { rows, count } = await mergeShardSummaries(parent, outFolder);
    await finishBatch(rows, path.join(outFolder, SUMMARY_FILE), opts.json, signal, { shards: count });
  } else if (opts.slurmScript) {
    // The array tasks' logs go to the output folder, which sbatch does not create.
    await fs.mkdir(path.resolve(opts.output), { recursive: true });
    const script = await slurmScript({
      parent,
      outFolder: opts.output,
      tasks: opts.slurmTasks,
      cpus: opts.slurmCpus,
      jobs: opts.jobs ?? 2,
      time: opts.slurmTime,
      partition: opts.slurmPartition,
      program: [process.execPath, path.resolve(process.argv[1])],
      jobOptions: jobArguments(batch, PLANNING_OPTIONS),
    });
    process.stdout.write(script);
  } else {
    await runBatchCommand(makeEngine(threads), threads, parent, opts, signal, opts.shard ? shardScope(opts.shard) : {});
  }
}
