// The top of the pipeline: one whole stack job, from inputs and options to files on disk (the
// command line's stack and batch, replays and the app's exports all come through here).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseStackOptions, type StackOptions, type StackOptionsInput } from '../../../shared/options';
import type { Retouch } from '../../../shared/retouch';
import { formatOfName } from '../../../shared/formats';
import type { PixelLayout, SliceRef, StackProgress } from '../../../shared/types';
import { DeepfieldError } from '../errors';
import { findSliceFiles, probeSlices } from '../input/slices';
import { warmUpMetadataTool } from '../output/metadata';
import { expectedOutputBytes, plannedFiles, resolvePlan, resolveZStep, validatePlan, type OutputPlan } from '../output/output-plan';
import { writeOutputs } from '../output/outputs';
import { deepfieldVersion, recordInputs, sidecarPathFor, writeSidecar, type InputFileRecord, type Sidecar } from '../output/sidecar';
import { OutputTransaction, recoverOutputFolder, type RecoveryReport } from '../output/transaction';
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
  /** Every file written, the sidecar excepted, in the order they were put in place. */
  files: string[];
  /** What this job found of runs that died while writing into its folders, and did about it. */
  recovered: RecoveryReport;
  sidecar?: Sidecar;
  sidecarFile?: string;
  writeMs: number;
}

async function realFolder(folder: string): Promise<string> {
  return fs.realpath(folder).catch(() => path.resolve(folder));
}

/**
 * Per-slice pictures (heatmaps, in-focus masks) are images named like slices: written into a
 * folder of input slices, the next run of that folder would stack them as slices.
 */
async function refuseDerivedImagesAmongInputs(plan: OutputPlan, inputFiles: string[]): Promise<void> {
  const inputFolders = new Set(await Promise.all(inputFiles.map((file) => realFolder(path.dirname(file)))));
  const derived: Array<[string | undefined, string]> = [
    [plan.heatmaps, 'heatmaps (--heatmaps)'],
    [plan.masked, 'in-focus slices (--masked)'],
  ];
  for (const [folder, what] of derived) {
    if (folder && inputFolders.has(await realFolder(folder))) {
      throw new DeepfieldError(`Refusing to write the ${what} into ${folder}: it holds the input slices, and the next run would stack them as slices (choose another folder)`, folder);
    }
  }
}

/** The folders a plan writes into (the composite's first), each once. */
function outputFolders(plan: OutputPlan, targets: string[]): string[] {
  return [...new Set([path.dirname(plan.composite), ...targets.map((t) => path.dirname(t))])];
}

/**
 * Checks a valid plan against the slices it will be written from, before any file is touched: a
 * bit depth the composite's format holds, the slice spacing a height map needs, masked slices
 * that exist. `zStepHint` tells the user how to give a spacing where the plan came from.
 */
export function checkPlanFits(plan: OutputPlan, slices: SliceRef[], layout: PixelLayout, zStepHint = 'pass --z-step (e.g. 0.5um)'): void {
  outputDepth(formatFromPath(plan.composite), layout, plan.depth);
  if (plan.heightMap && !resolveZStep(plan, slices)) {
    throw new DeepfieldError(`A height map needs the slice spacing: ${zStepHint}; the slices carry no ImageJ spacing`, plan.heightMap);
  }
  if (plan.maskedSlices?.some((k) => k < 0 || k >= slices.length)) {
    throw new DeepfieldError(`Expected slice numbers from 1 to ${slices.length} for masked slices but received ${plan.maskedSlices.map((k) => k + 1).join(',')}`);
  }
}

/** What writing a result needs besides the result itself. */
interface SetRequest {
  plan: OutputPlan;
  /** The inputs as given (the sidecar's), and the files they stand for (never written to). */
  inputs: string[];
  inputFiles: string[];
  overwrite?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: StackProgress) => void;
  /** Files of the input folder left out by the user, recorded in the sidecar. */
  excluded?: string[];
}

/**
 * Checks a plan against the slices it will be written from and every output file (never an
 * input, never an existing file unless overwrite), cleans up after runs that died writing into
 * the same folders, and opens the transaction the set is written in.
 */
async function openOutputSet(request: SetRequest, slices: SliceRef[], layout: PixelLayout): Promise<{ transaction: OutputTransaction; recovered: RecoveryReport }> {
  const { plan, inputFiles } = request;
  checkPlanFits(plan, slices, layout);
  await refuseDerivedImagesAmongInputs(plan, inputFiles);
  const targets = plannedFiles(plan, slices);
  const recovered: RecoveryReport = { completed: [], removed: [] };
  for (const folder of outputFolders(plan, targets)) {
    const report = await recoverOutputFolder(folder);
    recovered.completed.push(...report.completed);
    recovered.removed.push(...report.removed);
  }
  const transaction = new OutputTransaction({ anchor: plan.composite, overwrite: request.overwrite, signal: request.signal, expectedBytes: expectedOutputBytes(plan, slices, layout) });
  try {
    for (const folder of [plan.heatmaps, plan.masked]) if (folder) await transaction.makeFolder(folder);
    for (const target of targets) {
      await checkOutputPath(target, { protectedFiles: inputFiles, overwrite: request.overwrite, anyFormat: formatOfName(target) === undefined });
    }
  } catch (error) {
    await transaction.rollBack();
    throw error;
  }
  return { transaction, recovered };
}

/** Writes the outputs, then the sidecar, in the open transaction, and commits the set. */
async function writeOutputSet(
  result: StackResult,
  request: SetRequest,
  transaction: OutputTransaction,
  hashing: Promise<InputFileRecord[]> | undefined,
  started: number,
): Promise<Omit<JobOutcome, 'recovered'>> {
  const { plan } = request;
  const written = await writeOutputs(result, plan, { signal: request.signal, onProgress: request.onProgress, transaction });
  let sidecar: Sidecar | undefined;
  const sidecarFile = plan.sidecar ? sidecarPathFor(plan.composite) : undefined;
  if (sidecarFile) {
    const staged = transaction.staged();
    sidecar = {
      format: 1,
      deepfield: { version: deepfieldVersion },
      createdAt: new Date().toISOString(),
      inputs: request.inputs.map((i) => path.resolve(i)),
      files: await hashing!,
      options: result.options as StackOptions,
      outputs: plan,
      written: staged.map((f) => f.target),
      writtenFiles: staged.map((f) => ({ file: f.target, name: path.basename(f.target), size: f.size, sha256: f.sha256 })),
      layout: result.layout,
      slices: result.slices.map((s, i) => ({ ...s, meanVariance: result.stats[i].meanVariance, maxVariance: result.stats[i].maxVariance, pixelsWon: result.stats[i].pixelsWon })),
      skipped: result.skipped,
      alignment: result.alignment,
      ...(result.retouch ? { retouch: result.retouch } : {}),
      ...(request.excluded?.length ? { excluded: request.excluded } : {}),
      zStep: written.zStep,
      timings: { ...result.timings, writeMs: written.writeMs, wallMs: performance.now() - started },
    };
    await writeSidecar(sidecarFile, sidecar, (file, produce) => transaction.stage(file, produce));
  }
  await transaction.commit();
  return { result, files: transaction.staged().map((f) => f.target).filter((f) => f !== sidecarFile), sidecar, sidecarFile, writeMs: written.writeMs };
}

/** Hashes the inputs for the sidecar, alongside the work; awaited when the sidecar is written. */
function hashInputs(plan: OutputPlan, inputFiles: string[], signal?: AbortSignal): Promise<InputFileRecord[]> | undefined {
  const hashing = plan.sidecar ? recordInputs(inputFiles, signal) : undefined;
  hashing?.catch(() => undefined); // a failure here must not go unhandled meanwhile
  return hashing;
}

/**
 * One whole stack job: checks the plan and every output file first (never an input, never an
 * existing file unless overwrite), stacks, then writes the outputs and the sidecar as one set
 * (transaction.ts): all of them are in place when this returns, none of them when it throws (a
 * failure, a full disk, a cancel, a name another run took meanwhile), and a replaced older set is
 * then still whole. Runs that died while writing into the same folders are cleaned up first.
 */
export async function runStackJob(engine: Engine, request: JobRequest): Promise<JobOutcome> {
  const plan = resolvePlan(request.plan);
  validatePlan(plan);
  const found = await findSliceFiles(request.inputs);
  const inputFiles = found.files;
  // Checked once here; the engine's stack() takes these as they are.
  const options = parseStackOptions(request.options);
  const probed = await probeSlices(inputFiles, request.signal, options);
  const set: SetRequest = { ...request, plan, inputFiles };
  const { transaction, recovered } = await openOutputSet(set, probed.slices, probed.layout);

  const started = performance.now();
  if (plan.metadata && inputFiles.length > 0) warmUpMetadataTool(inputFiles[0]);
  const hashing = hashInputs(plan, inputFiles, request.signal);
  try {
    const stacked = await engine.stack({
      inputs: request.inputs,
      options,
      signal: request.signal,
      onProgress: request.onProgress,
      keep: { peaks: plan.subslice === true, confidence: request.keepConfidence === true || plan.confidenceMap !== undefined },
      probed: { found, stack: probed },
    });
    const result = request.retouch?.strokes.length ? await retouchResult(stacked, request.retouch, request.signal) : stacked;
    return { ...(await writeOutputSet(result, set, transaction, hashing, started)), recovered };
  } catch (error) {
    // Nothing of this job is in place unless commit() returned: take back its temporary files.
    await transaction.rollBack();
    throw error;
  }
}

/**
 * Writes a result already in memory (the app's exports of a finished job) exactly as runStackJob
 * writes a new one: the same checks, the same files with metadata, the sidecar, one set. Its
 * inputs are the stacked slices' files themselves, so the sidecar names exactly what was
 * stacked when a job left some of a folder's slices out.
 */
export async function writeStackResult(
  result: StackResult,
  request: { plan: OutputPlan; overwrite?: boolean; signal?: AbortSignal; excluded?: string[] },
): Promise<JobOutcome> {
  const plan = resolvePlan(request.plan);
  validatePlan(plan);
  const inputFiles = [...new Set(result.slices.map((s) => s.file))];
  const set: SetRequest = { plan, inputs: inputFiles, inputFiles, overwrite: request.overwrite, signal: request.signal, excluded: request.excluded };
  const { transaction, recovered } = await openOutputSet(set, result.slices, result.layout);
  const started = performance.now();
  const hashing = hashInputs(plan, inputFiles, request.signal);
  try {
    return { ...(await writeOutputSet(result, set, transaction, hashing, started)), recovered };
  } catch (error) {
    await transaction.rollBack();
    throw error;
  }
}
