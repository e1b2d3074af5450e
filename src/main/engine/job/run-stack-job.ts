// The top of the pipeline: one whole stack job, from inputs and options to files on disk (the
// command line's stack and batch, replays and the app's exports all come through here).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseStackOptions, type StackOptions, type StackOptionsInput } from '../../../shared/options';
import type { Retouch } from '../../../shared/retouch';
import type { StackProgress } from '../../../shared/types';
import { DeepfieldError } from '../errors';
import { findSliceFiles, probeSlices } from '../input/slices';
import { warmUpMetadataTool } from '../output/metadata';
import { plannedFiles, resolvePlan, resolveZStep, validatePlan, type OutputPlan } from '../output/output-plan';
import { writeOutputs } from '../output/outputs';
import { deepfieldVersion, recordInputs, sidecarPathFor, writeSidecar, type Sidecar } from '../output/sidecar';
import { checkOutputPath, formatFromPath, outputDepth } from '../output/write-image';
import { retouchResult } from '../retouch/retouch-result';
import type { Engine, StackResult } from './engine';

export interface JobRequest {
  inputs: string[];
  options: StackOptionsInput;
  plan: OutputPlan;
  overwrite?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: StackProgress) => void;
  /** Also keep the focus sums for result.confidence() (e.g. for a confidence map). */
  keepConfidence?: boolean;
  /** Strokes painted from the source slices onto the composite before it is written. */
  retouch?: Retouch;
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
  const found = await findSliceFiles(request.inputs);
  const inputFiles = found.files;
  const probed = await probeSlices(inputFiles, request.signal, parseStackOptions(request.options).rawColour);
  const { slices, layout } = probed;
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
    const stacked = await engine.stack({
      inputs: request.inputs,
      options: request.options,
      signal: request.signal,
      onProgress: request.onProgress,
      keep: { peaks: plan.subslice === true, confidence: request.keepConfidence === true },
      probed: { found, stack: probed },
    });
    const result = request.retouch?.strokes.length ? await retouchResult(stacked, request.retouch, request.signal) : stacked;
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
      alignment: result.alignment,
      ...(result.retouch ? { retouch: result.retouch } : {}),
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
