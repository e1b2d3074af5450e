// Stage "export": everything a finished stack job can be written as, from one plan, the same for
// the command line, batch runs, replays and the app's export dialog: the composite (format, bit
// depth, metadata), index map, colourised depth map, height map, focus visualisations and the
// provenance sidecar. Every file is checked before the job starts and written atomically after it;
// a job that fails or is cancelled removes the files it had created, so no stack is left half done.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ColourMapName } from '../../shared/colour-maps';
import type { ScaleMode } from '../../shared/colour-scale';
import type { StackOptions, StackOptionsInput } from '../../shared/options';
import type { SliceRef, StackProgress } from '../../shared/types';
import { CancelledError, DeepfieldError } from './errors';
import { heightFromDepth, parseZStep, writeHeightMap, zStepFromImageJ, type ZStep } from './height-map';
import { readReferenceMetadata, warmUpMetadataTool } from './metadata';
import { recordInputs, sidecarPathFor, writeSidecar, deepfieldVersion, type Sidecar } from './sidecar';
import { findSliceFiles, probeSlices } from './slices';
import type { Engine, StackResult } from './stack';
import { plannedVisualFiles, writeDepthColourMap, writeFocusVisuals } from './visualise';
import { checkOutputPath, formatFromPath, outputDepth, writeImageAtomic, writeIndexMap, type TiffCompression } from './write-image';

/** What to write for a stack job. Paths are absolute once planned; every field is plain JSON. */
export interface OutputPlan {
  /** The composite; its format comes from the extension. */
  composite: string;
  /** Bits per sample (default: the input's where the format holds it). */
  depth?: 8 | 16;
  /** JPEG/WebP quality 1-100. */
  quality: number;
  tiffCompression: TiffCompression;
  /** Carry the reference slice's EXIF, XMP and ICC profile into the composite. */
  metadata: boolean;
  /** Winning slice per pixel, 16-bit greyscale PNG or TIFF. */
  indexMap?: string;
  /** Colourised depth with a legend, PNG. */
  depthMap?: string;
  /** Height in physical units, 32-bit float TIFF (needs zStep or ImageJ spacing). */
  heightMap?: string;
  /** Slice spacing as given, e.g. "0.5um"; without it an ImageJ TIFF's spacing is used. */
  zStep?: string;
  /** Refine depth below one slice (depth map and height map). */
  subslice: boolean;
  /** Folder of per-slice focus heatmaps. */
  heatmaps?: string;
  /** Inverted greyscale focus map, PNG. */
  focusMap?: string;
  /** Folder of in-focus-on-white images, for maskedSlices (0-based; default all). */
  masked?: string;
  maskedSlices?: number[];
  heatmapScale: ScaleMode;
  colourMap: ColourMapName;
  /** Write `<composite>.deepfield.json`. */
  sidecar: boolean;
}

export const DEFAULT_OUTPUT_PLAN: Omit<OutputPlan, 'composite'> = {
  quality: 92,
  tiffCompression: 'deflate',
  metadata: true,
  subslice: false,
  heatmapScale: 'linear',
  colourMap: 'viridis',
  sidecar: true,
};

/** The plan with every path made absolute. */
export function resolvePlan(plan: OutputPlan): OutputPlan {
  const abs = (p?: string) => (p === undefined ? undefined : path.resolve(p));
  return {
    ...plan,
    composite: path.resolve(plan.composite),
    indexMap: abs(plan.indexMap),
    depthMap: abs(plan.depthMap),
    heightMap: abs(plan.heightMap),
    heatmaps: abs(plan.heatmaps),
    focusMap: abs(plan.focusMap),
    masked: abs(plan.masked),
  };
}

/** Checks the plan's own consistency (before any file is looked at). */
export function validatePlan(plan: OutputPlan): void {
  formatFromPath(plan.composite);
  if (plan.indexMap && !/\.(png|tiff?)$/i.test(plan.indexMap)) {
    throw new DeepfieldError(`The index map must be a .png or .tif file, not ${path.basename(plan.indexMap)}`, plan.indexMap);
  }
  if (plan.depthMap && !/\.png$/i.test(plan.depthMap)) {
    throw new DeepfieldError(`The depth map is a PNG: name it .png, not ${path.basename(plan.depthMap)}`, plan.depthMap);
  }
  if (plan.focusMap && !/\.png$/i.test(plan.focusMap)) {
    throw new DeepfieldError(`The focus map is a PNG: name it .png, not ${path.basename(plan.focusMap)}`, plan.focusMap);
  }
  if (plan.heightMap && !/\.tiff?$/i.test(plan.heightMap)) {
    throw new DeepfieldError(`The height map is a 32-bit float TIFF: name it .tif or .tiff, not ${path.basename(plan.heightMap)}`, plan.heightMap);
  }
  if (plan.zStep !== undefined) parseZStep(plan.zStep);
  const files = [plan.composite, plan.indexMap, plan.depthMap, plan.heightMap, plan.focusMap].filter((f): f is string => Boolean(f));
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(path.resolve(file))) throw new DeepfieldError(`Two outputs would be the same file: ${file}`, file);
    seen.add(path.resolve(file));
  }
}

/** Every file the plan writes for these slices, the sidecar last. */
export function plannedFiles(plan: OutputPlan, slices: SliceRef[]): string[] {
  const files = [plan.composite, plan.indexMap, plan.depthMap, plan.heightMap].filter((f): f is string => Boolean(f));
  files.push(...plannedVisualFiles({ slices, heatmapFolder: plan.heatmaps, focusMap: plan.focusMap, maskedFolder: plan.masked, maskedSlices: plan.maskedSlices }));
  if (plan.sidecar) files.push(sidecarPathFor(plan.composite));
  return files;
}

/** The slice spacing for the height map: the plan's, else the first slice's ImageJ metadata. */
export function resolveZStep(plan: OutputPlan, slices: SliceRef[]): ZStep | undefined {
  if (plan.zStep !== undefined) return parseZStep(plan.zStep);
  return slices.length > 0 ? zStepFromImageJ(slices[0].file) : undefined;
}

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

/** The alignment a job reports, when its engine aligns (StackResult gains it then). */
function alignmentOf(result: StackResult): { reference?: number } | undefined {
  return (result as unknown as { alignment?: { reference?: number } }).alignment;
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
  const reference = slices[alignmentOf(result)?.reference ?? 0] ?? slices[0];
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

export interface JobRequest {
  inputs: string[];
  options: StackOptionsInput;
  plan: OutputPlan;
  overwrite?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: StackProgress) => void;
  /** Also keep the focus sums for result.confidence() (e.g. for a confidence map). */
  keepConfidence?: boolean;
}

export interface JobOutcome {
  result: StackResult;
  files: string[];
  sidecar?: Sidecar;
  sidecarFile?: string;
  writeMs: number;
}

/**
 * One whole stack job: checks the plan and every output file first (never an input, never an
 * existing file unless overwrite), stacks, writes the outputs, then the sidecar. If anything
 * fails or is cancelled, the files this job created are removed again.
 */
export async function runStackJob(engine: Engine, request: JobRequest): Promise<JobOutcome> {
  const plan = resolvePlan(request.plan);
  validatePlan(plan);
  const { files: inputFiles } = await findSliceFiles(request.inputs);
  const { slices, layout } = await probeSlices(inputFiles, request.signal);
  outputDepth(formatFromPath(plan.composite), layout, plan.depth);
  if (plan.heightMap && !resolveZStep(plan, slices)) {
    throw new DeepfieldError(
      'A height map needs the slice spacing: pass --z-step (e.g. 0.5um); the slices carry no ImageJ spacing',
      plan.heightMap,
    );
  }
  if (plan.maskedSlices?.some((k) => k < 0 || k >= slices.length)) {
    throw new DeepfieldError(`Expected slice numbers from 1 to ${slices.length} for masked slices but received ${plan.maskedSlices.map((k) => k + 1).join(',')}`);
  }
  const targets = plannedFiles(plan, slices);
  for (const folder of [plan.heatmaps, plan.masked]) if (folder) await fs.mkdir(folder, { recursive: true });
  for (const target of targets) {
    await checkOutputPath(target, { protectedFiles: inputFiles, overwrite: request.overwrite, anyFormat: !/\.(png|tiff?|jpe?g|webp)$/i.test(target) });
  }

  const started = performance.now();
  if (plan.metadata && inputFiles.length > 0) warmUpMetadataTool(inputFiles[0]);
  const hashing = plan.sidecar ? recordInputs(inputFiles, request.signal) : undefined;
  hashing?.catch(() => undefined); // awaited below; a failure here must not go unhandled meanwhile
  const created: string[] = [];
  const existedBefore = new Set<string>();
  for (const target of targets) if (await fs.stat(target).catch(() => undefined)) existedBefore.add(target);
  try {
    const result = await engine.stack({
      inputs: request.inputs,
      options: request.options,
      signal: request.signal,
      onProgress: request.onProgress,
      keep: { peaks: plan.subslice === true, confidence: request.keepConfidence === true },
    });
    const written = await writeOutputs(result, plan, {
      signal: request.signal,
      onProgress: request.onProgress,
      onWritten: (file) => {
        if (!existedBefore.has(file)) created.push(file);
      },
    });
    if (!plan.sidecar) return { result, files: written.files, writeMs: written.writeMs };
    const sidecar: Sidecar = {
      format: 1,
      deepfield: { version: deepfieldVersion },
      createdAt: new Date().toISOString(),
      inputs: request.inputs.map((i) => path.resolve(i)),
      files: await hashing!,
      options: result.options as StackOptions,
      outputs: plan,
      written: written.files,
      layout: result.layout,
      slices: result.slices.map((s, i) => ({ ...s, meanVariance: result.stats[i].meanVariance, maxVariance: result.stats[i].maxVariance, pixelsWon: result.stats[i].pixelsWon })),
      skipped: result.skipped,
      alignment: alignmentOf(result),
      zStep: written.zStep,
      timings: { ...result.timings, writeMs: written.writeMs, wallMs: performance.now() - started },
    };
    request.signal?.throwIfAborted();
    const sidecarFile = sidecarPathFor(plan.composite);
    await writeSidecar(sidecarFile, sidecar);
    return { result, files: written.files, sidecar, sidecarFile, writeMs: written.writeMs };
  } catch (error) {
    // A stack is complete only with its sidecar: take back what this job created.
    await Promise.all(created.map((file) => fs.rm(file, { force: true })));
    throw error;
  }
}
