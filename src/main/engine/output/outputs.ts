// Stage "output": everything a finished stack job can be written as, from one plan, the same for
// the command line, batch runs, replays and the app's export dialog: the composite (format, bit
// depth, metadata), index map, colourised depth map, height map, focus visualisations and the
// provenance sidecar. Every file is checked before the job starts and written atomically after it;
// a job that fails or is cancelled removes the files it had created, so no stack is left half done.
import type { StackProgress } from '../../../shared/types';
import { CancelledError } from '../errors';
import type { StackResult } from '../job/stack-result';
import { heightFromDepth, writeHeightMap, type ZStep } from './height-map';
import { readReferenceMetadata } from './metadata';
import { resolveZStep, type OutputPlan } from './output-plan';
import { writeDepthColourMap, writeFocusVisuals } from './visualise';
import { writeImageAtomic, writeIndexMap } from './write-image';
export interface WriteOutputsOptions {
  signal?: AbortSignal;
  onProgress?: (progress: StackProgress) => void;
  /** Records each file once it is complete (for clean-up after a failure). */
  onWritten?: (file: string) => void;
}

export interface WrittenOutputs {
  files: string[];
  zStep?: ZStep;
  writeMs: number;
}

/** Writes every output of the plan except the sidecar. */
export async function writeOutputs(result: StackResult, plan: OutputPlan, options: WriteOutputsOptions = {}): Promise<WrittenOutputs> {
  const started = performance.now();
  const { signal } = options;
  const files: string[] = [];
  const done = (file: string) => {
    files.push(file);
    options.onWritten?.(file);
    if (signal?.aborted) throw new CancelledError();
  };
  const { layout, slices } = result;
  const total = slices.length;
  options.onProgress?.({ phase: 'write', done: total, total, elapsedMs: result.timings.totalMs });

  // The reference slice is the alignment's when there is one, else the first slice.
  const reference = slices[result.alignment?.reference ?? 0] ?? slices[0];
  // The composite and the index map are encoded at the same time (each encoder is mostly one
  // thread, and the workers are idle by now); a file is recorded as soon as it is complete, so a
  // failure of the other still leaves nothing behind (runStackJob removes what was recorded).
  const writes: Array<Promise<string>> = [
    (async () => {
      const metadata = plan.metadata ? await readReferenceMetadata(reference) : undefined;
      await writeImageAtomic(plan.composite, result.composite, layout, {
        quality: plan.quality,
        depth: plan.depth,
        tiffCompression: plan.tiffCompression,
        metadata,
      });
      return plan.composite;
    })(),
  ];
  if (plan.indexMap) {
    const indexMap = plan.indexMap;
    writes.push(writeIndexMap(indexMap, result.indexMap, layout.width, layout.height).then(() => indexMap));
  }
  const settled = await Promise.allSettled(writes);
  for (const outcome of settled) if (outcome.status === 'fulfilled') done(outcome.value);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  const zStep = plan.heightMap ? resolveZStep(plan, slices) : undefined;
  if (plan.depthMap || plan.heightMap) {
    const depth = plan.subslice ? await result.subsliceDepth(signal) : result.indexMap;
    if (plan.depthMap) {
      await writeDepthColourMap(plan.depthMap, depth, layout, slices.length, zStep);
      done(plan.depthMap);
    }
    if (plan.heightMap && zStep) {
      const heights = heightFromDepth(depth instanceof Float32Array ? depth : Float32Array.from(depth), zStep);
      await writeHeightMap(plan.heightMap, heights, layout.width, layout.height, zStep);
      done(plan.heightMap);
    }
  }
  if (plan.heatmaps || plan.focusMap || plan.masked) {
    const written = await writeFocusVisuals({
      slices,
      layout,
      sigma: result.options.sigma,
      indexMap: result.indexMap,
      maxVariance: Math.max(0, ...result.stats.map((s) => s.maxVariance)),
      scale: plan.heatmapScale,
      colourMap: plan.colourMap,
      heatmapFolder: plan.heatmaps,
      focusMap: plan.focusMap,
      maskedFolder: plan.masked,
      maskedSlices: plan.maskedSlices,
      sliceAligns: result.sliceAligns,
      signal,
    });
    for (const file of written) done(file);
  }
  return { files, zStep, writeMs: performance.now() - started };
}

