#!/usr/bin/env node
// `npm run bench`: stacking speed against the decoding floor, and memory, on this machine.
// For 10 and 40 slices of a 6000x4000 JPEG synthetic stack and 20 slices of 4096x4096 16-bit
// greyscale TIFF (generated once, cached outside the repository: scripts/bench-data.js), it times
// in child processes (a) decoding the same files with the same pool and (b) the full stack through
// the built command line (decode, focus measure, argmax, composite and index map written), and
// takes each process's peak RSS from /usr/bin/time -v (worker threads live in that one process).
// Best of --runs (default 3) per measurement, with the spread reported as noise.
// Not a test: nothing here asserts a time. Needs `npm run build` first.
//
//   npm run bench -- [--runs 3] [--slices 10,40] [--no-tiff] [--no-align] [--out bench-results/bench.json]
//   npm run bench -- --batch [...]: batches through a Redis queue, see scripts/bench-batch.js
//
// 'stack' is the design's pipeline with --align off (the issue 4 target: ratio to decode-only);
// 'float64 stack' the same with DEEPFIELD_FOCUS_KERNEL=float64 (the float64 kernel alone, as before
// the float32 pass: issue 15's "before", measured in the same run; --no-float64 skips it);
// 'aligned' forces similarity alignment (the default, auto, applies nothing to these stacks, which
// never moved), reported as what alignment adds.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureStack } from './bench-data.js';

const root = fileURLToPath(new URL('..', import.meta.url));

// `npm run bench -- --batch`: the many-machines batch benchmark instead (scripts/bench-batch.js).
if (process.argv.includes('--batch')) {
  await import('./bench-batch.js');
  process.exit(0);
}

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const runs = Number(option('runs', '3'));
const sliceCounts = option('slices', '10,40').split(',').map(Number);
const withTiff = !process.argv.includes('--no-tiff');
const withAlign = !process.argv.includes('--no-align');
const withFloat64 = !process.argv.includes('--no-float64');
const outFile = path.resolve(root, option('out', 'bench-results/bench.json'));

if (!existsSync(path.join(root, 'out', 'main', 'cli.js'))) {
  process.stderr.write('bench: build first (npm run build)\n');
  process.exit(1);
}
if (!existsSync('/usr/bin/time')) {
  process.stderr.write('bench: needs /usr/bin/time (GNU time) for peak memory: apt-get install time\n');
  process.exit(1);
}

/** Runs `node args` under /usr/bin/time -v; returns wall ms (spawn to exit), peak RSS and stdout. */
function timedNode(args, env = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-v', process.execPath, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) return reject(new Error(`node ${args.join(' ').slice(0, 200)} exited ${code}:\n${stderr.slice(-2000)}`));
      const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1]);
      const cpu = (label) => Number(new RegExp(`${label} time \\(seconds\\): ([\\d.]+)`).exec(stderr)?.[1]);
      resolve({ wallMs, peakRssMB: kb / 1024, cpuS: cpu('User') + cpu('System'), stdout });
    });
  });
}

function summarise(samples) {
  const walls = samples.map((s) => s.wallMs);
  const best = samples.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
  return {
    wallMs: best.wallMs,
    wallMsAll: walls.map((w) => Math.round(w)),
    spread: (Math.max(...walls) - Math.min(...walls)) / Math.min(...walls),
    peakRssMB: Math.max(...samples.map((s) => s.peakRssMB)),
    cpuS: best.cpuS,
  };
}

async function measureCase(name, files, { grey16, megapixels, composite }) {
  const work = await mkdtemp(path.join(os.tmpdir(), 'deepfield-bench-'));
  const decode = [];
  const stack = [];
  const float64 = [];
  const aligned = [];
  try {
    // Alternate the measurements so drifting background load hits them all alike.
    for (let r = 0; r < runs; r++) {
      decode.push(await timedNode(['scripts/bench-decode.js', ...(grey16 ? ['--grey16'] : []), ...files]));
      const out = path.join(work, `composite-${r}.${composite}`);
      const index = path.join(work, `index-${r}.png`);
      // One full stack through the command line; its outputs removed before the next.
      const timedStack = async (align, env) => {
        const result = await timedNode(['bin/deepfield.js', 'stack', ...files, '-o', out, '--index-map', index, '--json', '--align', align], env);
        result.summary = JSON.parse(result.stdout);
        for (const file of [out, index, `${out}.deepfield.json`]) await rm(file, { force: true });
        return result;
      };
      // The design's pipeline (issue 4's target) without alignment; the same with the float64
      // kernel alone (issue 15's "before"); then similarity alignment forced, to report what
      // alignment adds (issue 6's budget: half).
      stack.push(await timedStack('off'));
      if (withFloat64) float64.push(await timedStack('off', { DEEPFIELD_FOCUS_KERNEL: 'float64' }));
      if (withAlign) aligned.push(await timedStack('similarity'));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const d = summarise(decode);
  const s = summarise(stack);
  const best = stack.reduce((a, b) => (b.wallMs < a.wallMs ? b : a)).summary;
  const timings = best.timings;
  // Share of the focus kernel's float32 tiles recomputed in float64 (their error bound was too large).
  const kernel = best.focusKernel;
  const a = aligned.length ? summarise(aligned) : undefined;
  const f = float64.length ? summarise(float64) : undefined;
  return {
    case: name,
    slices: files.length,
    megapixels,
    decodeOnly: d,
    fullStack: { ...s, engineTimings: timings, focusKernel: kernel },
    fallbackShare: kernel && kernel.tiles > 0 ? kernel.fallbackTiles / kernel.tiles : undefined,
    ratio: s.wallMs / d.wallMs,
    // CPU seconds (all threads) of the best runs: on a machine others keep busy, the wall ratio
    // drifts with their load; this one much less (it says nothing about idle cores, though).
    cpuRatio: s.cpuS / d.cpuS,
    aligned: a && { ...a, alignAdds: a.wallMs / s.wallMs - 1 },
    float64Stack: f && { ...f, ratio: f.wallMs / d.wallMs, cpuRatio: f.cpuS / d.cpuS },
    megapixelsPerSecond: (files.length * megapixels) / (s.wallMs / 1000),
  };
}

const loadAtStart = os.loadavg();
const jpegFiles = await ensureStack('jpeg');
const tiffFiles = withTiff ? await ensureStack('tiff16') : [];
const results = [];
for (const n of sliceCounts) {
  process.stderr.write(`bench: jpeg x${n} (${runs} runs)\n`);
  results.push(await measureCase(`jpeg 6000x4000 x${n}`, jpegFiles.slice(0, n), { grey16: false, megapixels: 24, composite: 'jpg' }));
}
if (withTiff) {
  process.stderr.write(`bench: tiff16 x${tiffFiles.length} (${runs} runs)\n`);
  results.push(await measureCase(`tiff16 4096x4096 x${tiffFiles.length}`, tiffFiles, { grey16: true, megapixels: 16.78, composite: 'tif' }));
}

const rows = results.map((r) => [
  r.case,
  (r.decodeOnly.wallMs / 1000).toFixed(2),
  (r.fullStack.wallMs / 1000).toFixed(2),
  r.ratio.toFixed(2) + 'x',
  r.cpuRatio.toFixed(2) + 'x',
  r.megapixelsPerSecond.toFixed(0),
  r.decodeOnly.peakRssMB.toFixed(0),
  r.fullStack.peakRssMB.toFixed(0),
  `${(100 * r.decodeOnly.spread).toFixed(0)}% / ${(100 * r.fullStack.spread).toFixed(0)}%`,
  r.fallbackShare === undefined ? '-' : `${(100 * r.fallbackShare).toFixed(2)}%`,
  r.float64Stack ? (r.float64Stack.wallMs / 1000).toFixed(2) : '-',
  r.float64Stack ? `${r.float64Stack.ratio.toFixed(2)}x / ${r.float64Stack.cpuRatio.toFixed(2)}x` : '-',
  r.float64Stack ? r.float64Stack.peakRssMB.toFixed(0) : '-',
  r.aligned ? (r.aligned.wallMs / 1000).toFixed(2) : '-',
  r.aligned ? `+${(100 * r.aligned.alignAdds).toFixed(0)}%` : '-',
  r.aligned ? r.aligned.peakRssMB.toFixed(0) : '-',
]);
const header = ['case', 'decode s', 'stack s', 'ratio', 'cpu ratio', 'MP/s', 'decode RSS MB', 'stack RSS MB', 'noise (spread)', 'float64 tiles', 'float64 stack s', 'float64 ratio / cpu', 'float64 RSS MB', 'aligned s', 'align adds', 'aligned RSS MB'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
console.log(line(header));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of rows) console.log(line(r));
const jpeg = results.filter((r) => r.case.startsWith('jpeg'));
if (jpeg.length >= 2) {
  const growth = jpeg.at(-1).fullStack.peakRssMB / jpeg[0].fullStack.peakRssMB - 1;
  console.log(`peak RSS ${jpeg.at(-1).slices} vs ${jpeg[0].slices} slices: ${(100 * growth).toFixed(1)}%`);
}

const report = {
  date: new Date().toISOString(),
  machine: { cpus: os.availableParallelism(), model: os.cpus()[0]?.model, node: process.version, loadavgAtStart: loadAtStart, loadavgAtEnd: os.loadavg() },
  runs,
  results,
};
await mkdir(path.dirname(outFile), { recursive: true });
await writeFile(outFile, JSON.stringify(report, null, 2) + '\n');
console.log(`load average (1, 5, 15 min) at start ${loadAtStart.map((l) => l.toFixed(1)).join(' ')}, at end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.availableParallelism()} cores`);
console.log(`wrote ${path.relative(process.cwd(), outFile)}`);
