#!/usr/bin/env node
// `npm run bench -- --batch` (or node scripts/bench-batch.js): a batch of 24 stacks of ten 2 MP
// JPEG slices (generated once into the bench cache), stacked by a local `deepfield batch` and
// through a Redis queue (a redis-server started here on a free loopback port, stopped by PID)
// with one worker process and with two. Reports stacks per minute and the queue's overhead per
// stack over the local run with the same threads and stacks at once, plus the peak memory of one
// stack per megapixel (what --slurm-script's memory request is built from). The two cores are
// shared with whatever else runs: the load average is printed with the figures.
// Not a test: nothing here asserts a time. Needs `npm run build` first.
//
//   npm run bench -- --batch [--runs 2] [--stacks 24] [--out bench-results/batch.json]
//
// A second batch of the same count of 96x64 stacks measures the overhead alone: there stacking
// takes milliseconds, so what the queue adds is not lost in the noise of other work on the cores.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { cacheRoot, loadSyntheticStack } from './bench-data.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = path.join(root, 'bin', 'deepfield.js');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const runs = Number(option('runs', '2'));
const stackCount = Number(option('stacks', '24'));
const outFile = path.resolve(root, option('out', 'bench-results/batch.json'));
// --only tiny: the overhead batch alone (minutes instead of a quarter of an hour).
const only = option('only', 'all');
const THREADS = os.availableParallelism();
// 1728 x 1152 = 1.99 MP, ten slices a stack, aligned already (the queue, not alignment, is measured).
const SPEC = { width: 1728, height: 1152, sliceCount: 10, noise: 2 };
// The same batch of 96 x 64 stacks, where stacking takes milliseconds: what is left is overhead.
const TINY = { width: 96, height: 64, sliceCount: 10, noise: 2 };
const JOB = ['--align', 'off'];

if (!existsSync(path.join(root, 'out', 'main', 'cli.js'))) {
  process.stderr.write('bench: build first (npm run build)\n');
  process.exit(1);
}

async function ensureBatch(spec) {
  const parent = path.join(cacheRoot, `batch-${stackCount}x${spec.sliceCount}-${spec.width}x${spec.height}`);
  const marker = path.join(parent, '.complete');
  if (existsSync(marker)) return parent;
  await rm(parent, { recursive: true, force: true });
  const { writeSyntheticStack } = await loadSyntheticStack();
  for (let i = 0; i < stackCount; i++) {
    process.stderr.write(`bench: generating stack ${i + 1}/${stackCount} in ${parent} (once)\n`);
    await writeSyntheticStack({ ...spec, seed: 100 + i }, path.join(parent, `stack-${String(i + 1).padStart(2, '0')}`), 'jpg');
  }
  await writeFile(marker, '');
  return parent;
}

/** A started child process: its exit, its stderr so far, and a wait for a line on stderr. */
function start(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  const waiting = new Set();
  child.stdout.on('data', (d) => {
    stdout += d;
    for (const w of waiting) w();
  });
  child.stderr.on('data', (d) => {
    stderr += d;
    for (const w of waiting) w();
  });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    exited,
    stderr: () => stderr,
    stdout: () => stdout,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(stderr + stdout)) waiting.delete(check), resolve();
          else if (child.exitCode !== null) waiting.delete(check), reject(new Error(`${command} exited:\n${stderr}`));
        };
        waiting.add(check);
        check();
      }),
  };
}

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function timed(args) {
  const started = performance.now();
  const run = start(process.execPath, [cli, ...args]);
  const code = await run.exited;
  if (code !== 0) throw new Error(`deepfield ${args.join(' ')} exited ${code}:\n${run.stderr().slice(-2000)}`);
  return performance.now() - started;
}

/** Peak RSS in MB of `deepfield stack` on one stack of the batch, from /usr/bin/time -v. */
async function peakRss(folder, threads, work) {
  const run = start('/usr/bin/time', ['-v', process.execPath, cli, 'stack', folder, '-o', path.join(work, `rss-${threads}.jpg`), '--threads', String(threads), ...JOB]);
  await run.exited;
  return Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr())?.[1]) / 1024;
}

/** Wall times of the three ways to run one batch, alternated `runs` times. */
async function measure(parent, label, url, work) {
  const times = { local: [], oneWorker: [], twoWorkers: [] };
  for (let r = 0; r < runs; r++) {
    // Alternate the three so drifting background load hits them alike. Same threads and stacks
    // at once in all: the local batch (2 stacks x THREADS threads), one worker (--concurrency 2,
    // THREADS threads) and two workers (each one stack, THREADS/2 threads: two machines' worth).
    process.stderr.write(`bench: ${label}, run ${r + 1}/${runs}: local batch\n`);
    times.local.push(await timed(['batch', parent, '-o', path.join(work, `${label}-local-${r}`), '--jobs', '2', '--threads', String(THREADS), ...JOB]));
    const layouts = {
      oneWorker: [['--concurrency', '2', '--threads', String(THREADS)]],
      twoWorkers: [0, 1].map(() => ['--concurrency', '1', '--threads', String(Math.max(1, THREADS / 2))]),
    };
    for (const [name, workers] of Object.entries(layouts)) {
      process.stderr.write(`bench: ${label}, run ${r + 1}/${runs}: queue, ${workers.length} worker process(es)\n`);
      const started = workers.map((flags) => start(process.execPath, [cli, 'worker', '--queue', url, ...flags]));
      await Promise.all(started.map((w) => w.waitFor(/taking stacks from/)));
      times[name].push(await timed(['batch', parent, '-o', path.join(work, `${label}-${name}-${r}`), '--queue', url, ...JOB]));
      for (const w of started) w.child.kill('SIGTERM');
      await Promise.all(started.map((w) => w.exited));
    }
  }
  return times;
}

function table(title, times) {
  const best = (list) => Math.min(...list);
  const local = best(times.local);
  const rows = Object.entries(times).map(([name, list]) => [
    name,
    (best(list) / 1000).toFixed(2),
    (stackCount / (best(list) / 60_000)).toFixed(1),
    name === 'local' ? '-' : `${((best(list) - local) / stackCount).toFixed(0)} ms`,
    list.map((ms) => (ms / 1000).toFixed(1)).join(' / '),
  ]);
  const header = ['run', 'wall s (best)', 'stacks/min', 'overhead per stack', 'all runs s'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log(title);
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const row of rows) console.log(line(row));
}

const parent = await ensureBatch(SPEC);
const tiny = await ensureBatch(TINY);
const work = await mkdtemp(path.join(os.tmpdir(), 'deepfield-bench-batch-'));
const port = await freePort();
const url = `redis://127.0.0.1:${port}/0`;
const redis = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', work, '--save', '', '--appendonly', 'no']);
const load = { before: os.loadavg() };
try {
  await redis.waitFor(/Ready to accept connections/);
  const results = only === 'tiny' ? undefined : await measure(parent, '2MP', url, work);
  const overhead = await measure(tiny, 'tiny', url, work);
  // Inside each finished job: the time the worker held it (BullMQ's processedOn to finishedOn)
  // less the stack's own time in the engine (the row's seconds): reading the job, the folder,
  // progress, completing it. Between jobs, BullMQ hands the next one over with the completion.
  const queue = new Queue('deepfield-stacks', { connection: { url } });
  const held = (await queue.getJobs(['completed'], 0, -1)).map((j) => j.finishedOn - j.processedOn - 1000 * j.returnvalue.seconds).sort((a, b) => a - b);
  await queue.close();
  const inJob = { jobs: held.length, medianMs: held[held.length >> 1], meanMs: held.reduce((a, b) => a + b, 0) / held.length };
  load.after = os.loadavg();
  const first = path.join(parent, 'stack-01');
  const rss = { megapixels: (SPEC.width * SPEC.height) / 1e6, threads1: await peakRss(first, 1, work), threads2: await peakRss(first, 2, work) };

  console.log(`${THREADS} cores; load average ${load.before.map((l) => l.toFixed(1)).join(' ')} before, ${load.after.map((l) => l.toFixed(1)).join(' ')} after (other work shares the cores)`);
  if (results) table(`${stackCount} stacks x ${SPEC.sliceCount} slices of ${SPEC.width}x${SPEC.height} JPEG:`, results);
  table(`${stackCount} stacks x ${TINY.sliceCount} slices of ${TINY.width}x${TINY.height} (stacking takes milliseconds: the rest is overhead):`, overhead);
  console.log(`the queue's time inside a job (held by a worker, less the stack's own): median ${inJob.medianMs.toFixed(1)} ms, mean ${inJob.meanMs.toFixed(1)} ms over ${inJob.jobs} jobs`);
  console.log(`peak RSS of one ${rss.megapixels.toFixed(2)} MP stack: ${rss.threads1.toFixed(0)} MB with 1 thread, ${rss.threads2.toFixed(0)} MB with 2`);
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: THREADS, model: os.cpus()[0]?.model, node: process.version, load },
    deepfield: JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version,
    stacks: stackCount,
    spec: SPEC,
    wallMs: results,
    tiny: { spec: TINY, wallMs: overhead },
    queueTimeInsideJobMs: inJob,
    peakRssMB: rss,
  };
  await mkdir(path.dirname(outFile), { recursive: true });
  await writeFile(outFile, JSON.stringify(report, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), outFile)}`);
} finally {
  redis.child.kill('SIGTERM');
  await redis.exited;
  await rm(work, { recursive: true, force: true });
}
