// The benchmark's input stacks, generated once and cached outside the repository
// (DEEPFIELD_BENCH_CACHE, else ~/.cache/deepfield-bench): the synthetic textured scene of
// src/main/demo/synthetic-stack.ts, written with its own writeSyntheticStack.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export const cacheRoot = process.env.DEEPFIELD_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'deepfield-bench');

/**
 * The generator is TypeScript that the app's bundle does not export: strip its types with the
 * project's own TypeScript (it has type-only imports) into node_modules/.cache, where `sharp`
 * resolves as it does for the app.
 */
export async function loadSyntheticStack() {
  const ts = (await import('typescript')).default;
  const source = readFileSync(path.join(root, 'src/main/demo/synthetic-stack.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  });
  const dir = path.join(root, 'node_modules', '.cache', 'deepfield-bench');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'synthetic-stack.mjs');
  await writeFile(file, outputText);
  return import(pathToFileURL(file).href);
}

/** The stacks the benchmark runs on. */
export const STACKS = {
  jpeg: { spec: { width: 6000, height: 4000, sliceCount: 40, seed: 1, noise: 2 }, format: 'jpg' },
  tiff16: { spec: { width: 4096, height: 4096, sliceCount: 20, seed: 2, noise: 2 }, format: 'tif16' },
};

/** Returns the slice files of stack `name`, generating them first if the cache lacks them. */
export async function ensureStack(name, log = (line) => process.stderr.write(line + '\n')) {
  const { spec, format } = STACKS[name];
  const folder = path.join(cacheRoot, `${name}-${spec.width}x${spec.height}x${spec.sliceCount}-seed${spec.seed}`);
  const marker = path.join(folder, 'complete.json');
  if (existsSync(marker)) {
    return JSON.parse(readFileSync(marker, 'utf8')).files.map((f) => path.join(folder, f));
  }
  await rm(folder, { recursive: true, force: true });
  const { writeSyntheticStack } = await loadSyntheticStack();
  const started = performance.now();
  log(`generating ${name}: ${spec.sliceCount} slices of ${spec.width}x${spec.height} in ${folder} (once)`);
  const files = await writeSyntheticStack(spec, folder, format, (k) => log(`  slice ${k + 1}/${spec.sliceCount}`));
  await writeFile(marker, JSON.stringify({ spec, format, files: files.map((f) => path.basename(f)) }, null, 2));
  log(`generated ${name} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return files;
}

// `node scripts/bench-data.js [jpeg|tiff16 ...]` only generates.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const name of process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(STACKS)) {
    const files = await ensureStack(name);
    console.log(`${name}: ${files.length} files in ${path.dirname(files[0])} (${(await readdir(path.dirname(files[0]))).length - 1})`);
  }
}
