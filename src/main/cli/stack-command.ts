// `deepfield stack`: one stack job from the command line, outputs checked before any work and
// written atomically after it.
import path from 'node:path';
import { parseStackOptions } from '../../shared/options';
import type { Engine } from '../engine/stack';
import { findSliceFiles } from '../engine/slices';
import { checkOutputPath, writeImageAtomic, writeIndexMap } from '../engine/write-image';
import { DeepfieldError } from '../engine/errors';
import { createProgressReporter } from './progress';

export interface StackCommandOptions {
  output: string;
  indexMap?: string;
  sigma: number;
  json?: boolean;
  overwrite?: boolean;
  quality: number;
}

export async function runStackCommand(
  engine: Engine,
  inputs: string[],
  opts: StackCommandOptions,
  signal: AbortSignal,
): Promise<void> {
  const options = parseStackOptions({ sigma: opts.sigma });
  const { files } = await findSliceFiles(inputs);
  const outputs = [opts.output, ...(opts.indexMap ? [opts.indexMap] : [])];
  if (opts.indexMap && !/\.(png|tiff?)$/i.test(opts.indexMap)) {
    throw new DeepfieldError(`The index map must be a .png or .tif file, not ${path.basename(opts.indexMap)}`, opts.indexMap);
  }
  if (opts.indexMap && path.resolve(opts.indexMap) === path.resolve(opts.output)) {
    throw new DeepfieldError('The composite and the index map cannot be the same file', opts.output);
  }
  for (const output of outputs) await checkOutputPath(output, { protectedFiles: files, overwrite: opts.overwrite });

  const progress = createProgressReporter();
  let result;
  try {
    result = await engine.stack({ inputs, options, signal, onProgress: (p) => progress.update(p) });
  } finally {
    progress.stop();
  }
  const writeStart = performance.now();
  progress.update({ phase: 'write', done: result.slices.length, total: result.slices.length, elapsedMs: result.timings.totalMs });
  await writeImageAtomic(opts.output, result.composite, result.layout, { quality: opts.quality });
  if (opts.indexMap) await writeIndexMap(opts.indexMap, result.indexMap, result.layout.width, result.layout.height);
  const writeMs = performance.now() - writeStart;

  for (const s of result.skipped) process.stderr.write(`skipped ${s.file}: ${s.reason}\n`);
  if (opts.json) {
    const summary = {
      slices: result.slices.length,
      width: result.layout.width,
      height: result.layout.height,
      channels: result.layout.channels,
      bitDepth: result.layout.bitDepth,
      options: result.options,
      outputs: { composite: path.resolve(opts.output), indexMap: opts.indexMap ? path.resolve(opts.indexMap) : null },
      skipped: result.skipped,
      stats: result.stats.map((s, i) => ({ ...s, file: result.slices[i].file, page: result.slices[i].page ?? null })),
      timings: { ...result.timings, writeMs, totalMs: result.timings.totalMs + writeMs },
    };
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  } else {
    process.stderr.write(
      `wrote ${opts.output} (${result.layout.width}x${result.layout.height}, ${result.layout.bitDepth}-bit, ` +
        `${result.slices.length} slices) in ${((result.timings.totalMs + writeMs) / 1000).toFixed(1)}s\n`,
    );
  }
}
