// `deepfield batch --shard I/N`, `--summary-only` and `--slurm-script`: shards cover every stack
// exactly once and their merged summary is a single run's; the sbatch script runs as a job array,
// on a one-node Slurm started here when this machine can run one.
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchRow } from '../../src/main/cli/batch-core';
import { parseSummaryCsv, summaryCsv } from '../../src/main/cli/batch-summary';
import { inShard, parseShard, slurmMemoryMB } from '../../src/main/cli/slurm';
import { writeSyntheticStack } from '../../src/main/demo/synthetic-stack';
import { runCliToEnd } from '../helpers/cli-process';
import { tempDir } from '../helpers/fixtures';
import { type SlurmCluster, slurmUnavailable, startSlurm } from '../helpers/slurm';

const JOB_FLAGS = ['--align', 'off', '--index-map'];
const STACK_NAMES = ['t1', 't2', 't3', 't4', 't5', 't6', 't7'];
const CORRUPT = 't5';

async function summary(out: string, file = 'batch-summary.csv'): Promise<BatchRow[]> {
  return parseSummaryCsv(await fs.readFile(path.join(out, file), 'utf8'), file);
}

/**
 * A row as two runs into different folders should agree on it: outputs by name, time left out,
 * and of a decoding error our words only (libvips words it differently with other thread counts).
 */
function comparable(row: BatchRow) {
  return { ...row, seconds: 0, outputs: row.outputs.map((f) => path.basename(f)), message: row.message?.replace(/(could not be decoded \(corrupt or truncated\?\)).*$/, '$1') };
}

describe('batch summaries', () => {
  it('reads back what it writes, quotes and newlines included', () => {
    const rows: BatchRow[] = [
      { stack: 'a,b', slices: 3, size: '4x5', seconds: 1.25, outputs: ['x.png', 'y.png'], status: 'done' },
      { stack: 'c', slices: null, size: '', seconds: 0, outputs: [], status: 'failed', message: 'said "no"\nand: more' },
      { stack: 'd', slices: 2, size: '1x1', seconds: 0.5, outputs: ['d.png'], status: 'up to date' },
    ];
    expect(parseSummaryCsv(summaryCsv(rows), 'x.csv')).toEqual(rows);
    expect(() => parseSummaryCsv('name,size\n', 'other.csv')).toThrow(/other\.csv is not a Deepfield batch summary/);
  });

  it('asks Slurm for the measured memory of the stacks running at once, with room to spare', () => {
    // One 24 MP RGB 8-bit stack with one thread peaked at 544 MB (see slurm.ts): asked with a quarter more.
    expect(slurmMemoryMB({ megapixels: 24, bytesPerPixel: 3 }, 1, 1)).toBe(700);
    expect(slurmMemoryMB({ megapixels: 24, bytesPerPixel: 3 }, 4, 2)).toBeGreaterThan(2 * slurmMemoryMB({ megapixels: 24, bytesPerPixel: 3 }, 1, 1) - 200);
    expect(slurmMemoryMB({ megapixels: 24, bytesPerPixel: 6 }, 1, 1)).toBeGreaterThan(slurmMemoryMB({ megapixels: 24, bytesPerPixel: 3 }, 1, 1));
    expect(slurmMemoryMB({ megapixels: 24, bytesPerPixel: 2 }, 1, 1)).toBe(700);
  });

  it('puts each stack in exactly one shard, by its name alone', () => {
    const names = Array.from({ length: 300 }, (_, i) => `well-${i}`);
    const counts = [0, 1, 2, 3].map((index) => names.filter((name) => inShard({ name }, { index, count: 4 })).length);
    expect(counts.reduce((a, b) => a + b)).toBe(300);
    // A hash spreads them: no shard is empty or takes twice its share.
    for (const c of counts) expect(c).toBeGreaterThan(40), expect(c).toBeLessThan(150);
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(() => parseShard('3/3')).toThrow(/Expected I\/N with 0 <= I < N/);
  });
});

describe('deepfield batch --shard and --slurm-script', () => {
  let dir: string;
  let parent: string;
  let single: string;
  let cluster: SlurmCluster | undefined;

  beforeAll(async () => {
    dir = tempDir('deepfield-shard-');
    parent = path.join(dir, 'plate');
    for (const [i, name] of STACK_NAMES.entries()) await writeSyntheticStack({ width: 80, height: 60, sliceCount: 3, seed: 30 + i }, path.join(parent, name), 'png');
    const bad = path.join(parent, CORRUPT, 'slice-02.png');
    await fs.writeFile(bad, (await fs.readFile(bad)).subarray(0, 100));
    single = path.join(dir, 'single');
    const run = await runCliToEnd(['batch', parent, '-o', single, ...JOB_FLAGS]);
    expect(run.code).toBe(1);
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('shards 0/3, 1/3 and 2/3 stack every stack once, and their merged summary is a single run\'s', async () => {
    const out = path.join(dir, 'sharded');
    const seen: string[] = [];
    for (const shard of ['0/3', '1/3', '2/3']) {
      await runCliToEnd(['batch', parent, '-o', out, ...JOB_FLAGS, '--shard', shard]);
      const rows = await summary(out, `batch-summary.shard-${shard.replace('/', '-of-')}.csv`);
      seen.push(...rows.map((r) => r.stack));
    }
    expect(seen.sort()).toEqual(STACK_NAMES);

    const merged = await runCliToEnd(['batch', parent, '-o', out, '--summary-only']);
    expect(merged.code).toBe(1); // the corrupt stack is in it
    expect(merged.stderr).toMatch(/batch: 6 stacked, 0 up to date, 1 failed/);
    expect((await summary(out)).map(comparable)).toEqual((await summary(single)).map(comparable));

    // A shard run again resumes: its stacks are up to date, its failure tried again.
    const again = await runCliToEnd(['batch', parent, '-o', out, ...JOB_FLAGS, '--shard', '1/3', '--json']);
    const statuses = JSON.parse(again.stdout).stacks.map((r: BatchRow) => (r.stack === CORRUPT ? 'corrupt' : r.status));
    expect(statuses.every((s: string) => s === 'up to date' || s === 'corrupt')).toBe(true);
  }, 240_000);

  it('reports a stack that no shard summary has as failed, naming the shard to run again', async () => {
    const out = path.join(dir, 'one-shard');
    await runCliToEnd(['batch', parent, '-o', out, ...JOB_FLAGS, '--shard', '0/2']);
    const merged = await runCliToEnd(['batch', parent, '-o', out, '--summary-only', '--json']);
    const rows: BatchRow[] = JSON.parse(merged.stdout).stacks;
    const missing = rows.filter((r) => inShard({ name: r.stack }, { index: 1, count: 2 }));
    expect(missing.length).toBeGreaterThan(0);
    for (const r of missing) expect(r.message).toBe('not in any shard summary: run shard 1/2 (--shard 1/2) again');
  }, 120_000);

  it('prints an sbatch array script with the job\'s options, cpus and memory', async () => {
    const out = path.join(dir, 'slurm-text');
    const run = await runCliToEnd(['batch', parent, '-o', out, ...JOB_FLAGS, '--sigma', '3', '--slurm-script', '--slurm-tasks', '3', '--slurm-cpus', '2', '--slurm-time', '01:00:00']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    expect(lines).toContain('#SBATCH --array=0-2');
    expect(lines).toContain('#SBATCH --cpus-per-task=2');
    expect(lines).toContain(`#SBATCH --mem=${slurmMemoryMB({ megapixels: (80 * 60) / 1e6, bytesPerPixel: 3 }, 2, 2)}M`);
    expect(lines).toContain('#SBATCH --time=01:00:00');
    const exec = lines.find((l) => l.startsWith('exec '))!;
    expect(exec).toContain(` batch ${parent} -o ${out} `);
    for (const option of ['--sigma 3', '--align off', '--index-map']) expect(exec).toContain(` ${option} `);
    expect(exec).toMatch(/ --threads "\$SLURM_CPUS_PER_TASK" --shard "\$SLURM_ARRAY_TASK_ID\/\$SLURM_ARRAY_TASK_COUNT"$/);
    expect(exec).not.toMatch(/--slurm/);
    expect(run.stdout).toContain(`batch ${parent} -o ${out} --summary-only`);
  }, 120_000);

  const blocked = slurmUnavailable();
  if (blocked) {
    if (process.env.CI) throw new Error(`Slurm cannot run in CI: ${blocked}; .ci/run installs slurm-wlm and munge`);
    console.log(`running the sbatch script's array tasks without Slurm: ${blocked}`);
  }

  it(blocked ? 'runs the sbatch script as three array tasks (by hand: no Slurm here)' : 'runs the sbatch script as a 3-task Slurm job array on a one-node cluster', async () => {
    const out = path.join(dir, 'slurm-run');
    const printed = await runCliToEnd(['batch', parent, '-o', out, ...JOB_FLAGS, '--slurm-script', '--slurm-tasks', '3', '--slurm-cpus', '1']);
    const script = path.join(dir, 'stack.sbatch');
    await fs.writeFile(script, printed.stdout);
    if (blocked) {
      for (const task of [0, 1, 2]) {
        const env = { ...process.env, SLURM_ARRAY_TASK_ID: String(task), SLURM_ARRAY_TASK_COUNT: '3', SLURM_CPUS_PER_TASK: '1' };
        spawnSync('bash', [script], { env });
      }
    } else {
      cluster = await startSlurm(path.join(dir, 'slurm'));
      const job = cluster.sbatch(script);
      await cluster.waitUntilDone(job, 240_000);
      const logs = (await fs.readdir(out)).filter((f) => f.startsWith(`slurm-${job}_`));
      expect(logs.sort(), await cluster.logs()).toEqual([0, 1, 2].map((k) => `slurm-${job}_${k}.log`));
    }
    const merged = await runCliToEnd(['batch', parent, '-o', out, '--summary-only']);
    expect(merged.stderr).toMatch(/batch: 6 stacked, 0 up to date, 1 failed/);
    expect((await summary(out)).map(comparable)).toEqual((await summary(single)).map(comparable));
  }, 360_000);
});
