// Decode-only run for the benchmark: a piscina pool sized and fed as the engine's (one worker per
// core unless --threads, one slice per worker in flight), decoding each file once. Prints JSON.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';

const args = process.argv.slice(2);
const grey16 = args[0] === '--grey16';
const files = grey16 ? args.slice(1) : args;
const threads = Number(process.env.DEEPFIELD_BENCH_THREADS) || os.availableParallelism();
const started = performance.now();
const pool = new Piscina({
  filename: fileURLToPath(new URL('./bench-decode-worker.js', import.meta.url)),
  minThreads: threads,
  maxThreads: threads,
});
let next = 0;
const lane = async () => {
  while (next < files.length) await pool.run({ file: files[next++], grey16 });
};
await Promise.all(Array.from({ length: Math.min(threads, files.length) }, lane));
const ms = performance.now() - started;
await pool.destroy();
process.stdout.write(JSON.stringify({ files: files.length, threads, ms }) + '\n');
