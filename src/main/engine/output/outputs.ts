// Stage "output": everything a finished stack job can be written as, from one plan, the same for
// the command line, batch runs, replays and the app's export dialog: the composite (format, bit
// depth, metadata), index map, confidence map, colourised depth map, height map, focus
// visualisations and the provenance sidecar. Every file is checked before the job starts; after
// it, all are written under temporary names and put in place together as one output set
// (transaction.ts), so no stack is ever left half done, or half replaced.
import type { StackProgress } from '../../../shared/types';
import type { StackResult } from '../job/engine';
import { heightFromDepth, writeHeightMap, type ZStep } from './height-map';
import { readReferenceMetadata } from './metadata';
import { expectedOutputBytes, resolveZStep, type OutputPlan } from './output-plan';
import { OutputTransaction } from './transaction';
import { writeDepthColourMap, writeFocusVisuals } from './visualise';
import { writeImageAtomic, writeIndexMap, type StageFile } from './write-image';
export interface WriteOutputsOptions {
  signal?: AbortSignal;
  onProgress?: (progress: StackProgress) => void;
  /**
   * The run's output set to write into, left for the caller to put in place (runStackJob adds
   * the sidecar first). Without one, the outputs are put in place here, together, replacing no
   * existing file.
   */
  transaction?: OutputTransaction;
}

export interface WrittenOutputs {
  files: string[];
  zStep?: ZStep;
  writeMs: number;
}

/** Writes every output of the plan except the sidecar, as one set. */
export async function writeOutputs(result: StackResult, plan: OutputPlan, options: WriteOutputsOptions = {}): Promise<WrittenOutputs> {
  const { signal } = options;
  const transaction = options.transaction ?? new OutputTransaction({ anchor: plan.composite, signal, expectedBytes: expectedOutputBytes(plan, result.slices, result.layout) });
  try {
    const written = await stageOutputs(result, plan, signal, options.onProgress, (file, produce) => transaction.stage(file, produce));
    if (!options.transaction) await transaction.commit();
    return written;
  } catch (error) {
    if (!options.transaction) await transaction.rollBack();
    throw error;
  }
}

async function stageOutputs(
  result: StackResult,
  plan: OutputPlan,
  signal: AbortSignal | undefined,
  onProgress: WriteOutputsOptions['onProgress'],
  stage: StageFile,
): Promise<WrittenOutputs> {
  const started = performance.now();
  const files: string[] = [];
  const { layout, slices } = result;
  const total = slices.length;
  onProgress?.({ phase: 'write', done: total, total, elapsedMs: result.timings.totalMs });

  // The reference slice is the alignment's when one was applied, else the first slice (so an
  // aligned stack that auto left alone is written exactly as with --align off).
  const reference = slices[result.alignment?.applied ? result.alignment.reference : 0] ?? slices[0];
  // The composite and the index map are encoded at the same time (each encoder is mostly one
  // thread, and the workers are idle by now); both are waited for before a failure of either is
  // passed on, so no temporary file is still being written when the set is taken back.
  const writes: Array<Promise<string>> = [
    (async () => {
      const metadata = plan.metadata ? await readReferenceMetadata(reference) : undefined;
      await writeImageAtomic(plan.composite, result.composite, layout, {
        quality: plan.quality,
        depth: plan.depth,
        tiffCompression: plan.tiffCompression,
        metadata,
        stage,
      });
      return plan.composite;
    })(),
  ];
  if (plan.indexMap) {
    const indexMap = plan.indexMap;
    writes.push(writeIndexMap(indexMap, result.indexMap, layout.width, layout.height, stage).then(() => indexMap));
  }
  const settled = await Promise.allSettled(writes);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  for (const outcome of settled) if (outcome.status === 'fulfilled') files.push(outcome.value);
  if (plan.confidenceMap) {
    const confidence = Uint16Array.from(result.confidence(), (c) => Math.round(65535 * c));
    await writeImageAtomic(plan.confidenceMap, confidence, { width: layout.width, height: layout.height, channels: 1, bitDepth: 16 }, { stage });
    files.push(plan.confidenceMap);
  }
  const zStep = plan.heightMap ? resolveZStep(plan, slices) : undefined;
  if (plan.depthMap || plan.heightMap) {
    const depth = plan.subslice ? await result.subsliceDepth(signal) : result.indexMap;
    if (plan.depthMap) {
      await writeDepthColourMap(plan.depthMap, depth, layout, slices.length, zStep, stage);
      files.push(plan.depthMap);
    }
    if (plan.heightMap && zStep) {
      const heights = heightFromDepth(depth instanceof Float32Array ? depth : Float32Array.from(depth), zStep);
      await writeHeightMap(plan.heightMap, heights, layout.width, layout.height, zStep, stage);
      files.push(plan.heightMap);
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
      stage,
    });
    files.push(...written);
  }
  return { files, zStep, writeMs: performance.now() - started };
}
