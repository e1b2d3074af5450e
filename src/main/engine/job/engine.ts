// The orchestrator: composes the stages (find and probe slices, then decode + focus measure +
// merge per slice in worker threads) into one stack job. One Engine owns one worker pool and
// can run many jobs; the command line, the desktop app and the browser host all go through it.
import os from 'node:os';
import { Piscina } from 'piscina';
import { parseStackOptions, type StackOptionsInput } from '../../../shared/options';
import type { SliceRef, SliceStats, StackProgress } from '../../../shared/types';
import { alignStack } from '../align/align-stage';
import { CancelledError, DeepfieldError, isAbortError } from '../errors';
import { countWins } from '../merge/argmax';
import { createProfileBuffers, slicesMissingPeakNeighbours } from '../merge/profile';
import { mergeStage } from '../merge/merge-stage';
import { sliceTask, type SliceTask, type SliceTaskResult, type TaskSource } from './slice-task';
import { StackResult, type MeasuredJob, type MergePasses } from './stack-result';
import { findSliceFiles, probeSlices, type FoundFiles, type ProbedStack } from '../input/slices';

// What stack() returns, for callers that name it beside the engine.
export type { PeakProfile, StackResult } from './stack-result';

export const BAND_ROWS = 64;

export interface StackRequest {
  /** Folders and/or image files. */
  inputs: string[];
  options?: StackOptionsInput;
  signal?: AbortSignal;
  onProgress?: (progress: StackProgress) => void;
  /**
   * Keep the first pass's variance-weighted sums even for argmax (4 bytes per sample), so that
   * remerge() can switch to any method; smooth and pyramid jobs keep them anyway.
   */
  remergeable?: boolean;
  /**
   * Per-pixel summaries to keep for later questions (each costs memory and merge time; a plain
   * argmax job keeps none): `peaks` for subsliceDepth()/peak() without re-measuring every slice,
   * `confidence` for confidence().
   */
  keep?: { peaks?: boolean; confidence?: boolean };
  /** The inputs already found and probed (runStackJob does so to check its outputs first). */
  probed?: { found: FoundFiles; stack: ProbedStack };
}

export interface EngineConfig {
  /** Path of the built worker module (slice-worker.js next to the host's entry). */
  workerFile: string;
  /** Worker threads; default one per core. */
  threads?: number;
}

export class Engine {
  private readonly pool: Piscina;
  private readonly threads: number;

  constructor(config: EngineConfig) {
    const threads = Math.max(1, config.threads ?? os.availableParallelism());
    this.threads = threads;
    this.pool = new Piscina({ filename: config.workerFile, minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
  }

  async stack(request: StackRequest): Promise<StackResult> {
    const options = parseStackOptions(request.options);
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    const { signal, onProgress } = request;
    signal?.throwIfAborted();

    const found = request.probed?.found ?? (await findSliceFiles(request.inputs));
    const { skipped } = found;
    const probed = request.probed?.stack ?? (await probeSlices(found.files, signal, options));
    const { slices } = probed;
    const probeMs = elapsed();
    onProgress?.({ phase: 'probe', done: 0, total: slices.length, elapsedMs: probeMs });
    const align = await alignStack((name, t, abort) => this.pool.run(t, { name, signal: abort }), this.threads, slices, probed.layout, options, probed.microscope, {
      signal,
      onProgress: (done, total) => onProgress?.({ phase: 'align', done, total, elapsedMs: elapsed() }),
    });
    const layout = align?.layout ?? probed.layout;

    const weightedSums = mergeStage(options.method).needsWeightedSums || request.remergeable === true;
    const merge = createProfileBuffers(layout, BAND_ROWS, slices.length, {
      peaks: request.keep?.peaks === true,
      sums: request.keep?.confidence === true || weightedSums,
      weightedSums,
    }, { sigma: options.sigma, workers: this.threads });
    const partial: Array<Omit<SliceStats, 'pixelsWon'>> = new Array(slices.length);
    let done = 0;
    const focusKernel = { tiles: 0, fallbackTiles: 0 };
    const source: TaskSource = { slices, layout, sigma: options.sigma, profile: merge, aligns: align?.tasks };
    const task = (index: number) => sliceTask(source, index, { kind: 'measure', previewSize: options.previewSize });
    await this.runPass(slices, task, signal, (index, result) => {
      const slice = slices[index];
      partial[index] = { index, name: slice.name, meanVariance: result.meanVariance, maxVariance: result.maxVariance };
      focusKernel.tiles += result.focusTiles ?? 0;
      focusKernel.fallbackTiles += result.fallbackTiles ?? 0;
      done++;
      onProgress?.({
        phase: 'focus',
        done,
        total: slices.length,
        slice: { index, name: slice.name, meanVariance: result.meanVariance, maxVariance: result.maxVariance, preview: result.preview },
        elapsedMs: elapsed(),
      });
    });
    const focusMs = elapsed() - probeMs;
    return this.merge({ options, layout, slices, skipped, notices: probed.notices, profile: merge, partial, probeMs, focusMs, focusKernel, align }, started, signal);
  }

  /** A method's prepare, second pass and finish over a measured job, and the result around it. */
  private async merge(job: MeasuredJob, started: number, signal?: AbortSignal): Promise<StackResult> {
    const { options, layout, slices, profile } = job;
    const stage = mergeStage(options.method);
    if (stage.needsWeightedSums && !profile.weightedSum) {
      throw new DeepfieldError(`Re-merging with ${options.method} needs a job stacked with remergeable: true`);
    }
    const state = stage.prepare(profile, layout);
    if (stage.composeSlice) {
      const source = taskSource(job);
      await this.runPass(slices, (index) => sliceTask(source, index, { kind: 'compose', state }), signal);
    }
    const { composite, indexMap } = stage.finish(state, profile, layout);
    const wins = countWins(indexMap, slices.length);
    const stats = job.partial.map((s, i) => ({ ...s, pixelsWon: wins[i] }));
    const timings = { probeMs: job.probeMs, focusMs: job.focusMs, totalMs: performance.now() - started, alignMs: job.align?.alignment.estimateMs };
    return new StackResult(job, { composite, indexMap, stats, timings }, this.passes);
  }

  /** What a StackResult calls back for its later questions. */
  private readonly passes: MergePasses = {
    merge: (job, started, signal) => this.merge(job, started, signal),
    completePeaks: (job, signal) => {
      const missing = slicesMissingPeakNeighbours(job.profile);
      const source = taskSource(job);
      return this.runPass(
        missing.map((k) => job.slices[k]),
        (i) => sliceTask(source, missing[i], { kind: 'peaks' }),
        signal,
      );
    },
  };

  /**
   * Runs one task per slice on the pool. Submits in slice order with at most one task per worker
   * in flight: memory holds one decoded slice per worker whatever the stack's length, and
   * progress arrives roughly in order.
   */
  private async runPass(
    slices: SliceRef[],
    taskFor: (index: number) => SliceTask,
    signal: AbortSignal | undefined,
    onDone?: (index: number, result: SliceTaskResult) => void,
  ): Promise<void> {
    // One controller for the whole pass: the user's cancel and the first failure both stop it.
    const job = new AbortController();
    const forwardAbort = () => job.abort();
    signal?.addEventListener('abort', forwardAbort, { once: true });
    let firstError: unknown;
    const runSlice = async (index: number): Promise<void> => {
      const slice = slices[index];
      try {
        const result = (await this.pool.run(taskFor(index), { signal: job.signal })) as SliceTaskResult;
        onDone?.(index, result);
      } catch (error) {
        if (firstError === undefined && !isAbortError(error)) {
          // Errors lose their class crossing the thread boundary: name the slice again here.
          const message = error instanceof Error ? error.message : String(error);
          firstError = error instanceof DeepfieldError ? error : new DeepfieldError(message, slice.file);
        }
        job.abort();
      }
    };
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < slices.length && !job.signal.aborted) await runSlice(next++);
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.threads, slices.length) }, lane));
    } finally {
      signal?.removeEventListener('abort', forwardAbort);
    }
    if (firstError !== undefined) throw firstError;
    if (signal?.aborted || job.signal.aborted) throw new CancelledError();
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

function taskSource(job: MeasuredJob): TaskSource {
  return { slices: job.slices, layout: job.layout, sigma: job.options.sigma, profile: job.profile, aligns: job.align?.tasks };
}
