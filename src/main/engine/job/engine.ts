// The orchestrator: composes the stages (find and probe slices, then decode + focus measure +
// merge per slice in worker threads) into one stack job. One Engine owns one worker pool and
// can run many jobs; the command line, the desktop app and the browser host all go through it.
import os from 'node:os';
import { Piscina } from 'piscina';
import { parseStackOptions, type MergeMethod, type StackOptions, type StackOptionsInput } from '../../../shared/options';
import type { Retouch } from '../../../shared/retouch';
import type { PixelLayout, SkippedFile, SliceRef, SliceStats, StackAlignment, StackProgress, StackTimings } from '../../../shared/types';
import { alignStack, type StackAlignmentResult } from '../align/align-stage';
import type { SliceAlign } from '../align/tasks';
import type { PixelData } from '../input/decode';
import { CancelledError, DeepfieldError, isAbortError } from '../errors';
import { countWins } from '../merge/argmax';
import { computeConfidence } from '../merge/confidence';
import { createProfileBuffers, slicesMissingPeakNeighbours, type ProfileBuffers } from '../merge/profile';
import { mergeStage } from '../merge/merge-stage';
import { subsliceDepth } from '../merge/subslice';
import type { SliceTask, SliceTaskResult } from './slice-worker';
import { findSliceFiles, probeSlices, type FoundFiles, type ProbedStack } from '../input/slices';

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

/** Focus values around each pixel's raw peak (the argmax of its focus profile). */
export interface PeakProfile {
  /** Slice of the peak. */
  winner: Uint16Array;
  /** Variance of slice winner-1, winner, winner+1; NaN where that slice does not exist. */
  below: Float32Array;
  at: Float32Array;
  above: Float32Array;
}

export interface StackResult {
  options: StackOptions;
  layout: PixelLayout;
  slices: SliceRef[];
  skipped: SkippedFile[];
  /** What the user should know about how the slices were read (mixed bit depths), one line each. */
  notices: string[];
  /** Interleaved samples in `layout`. */
  composite: PixelData;
  /** 0-based index of the winning slice per pixel. */
  indexMap: Uint16Array;
  stats: SliceStats[];
  timings: Omit<StackTimings, 'writeMs'>;
  /** Per-slice transforms and gains, when the job was aligned; `layout` is then the aligned frame. */
  alignment?: StackAlignment;
  /** Per slice, how its decoded pixels are brought onto `layout` (decodeAligned), when aligned. */
  sliceAligns?: SliceAlign[];
  /** The strokes applied to composite and indexMap (retouch/retouch-result.ts), if any. */
  retouch?: Retouch;
  /** Per pixel, 0..1: how decisive the focus peak is (merge-confidence.ts). */
  confidence(): Float32Array;
  /**
   * The focus values beside each pixel's peak. The first call re-measures the few slices some
   * pixel still lacks (merge-profile.ts), so the values never depend on worker order.
   */
  peak(signal?: AbortSignal): Promise<PeakProfile>;
  /** indexMap refined below one slice by a parabola through the peak (merge-subslice.ts). */
  subsliceDepth(signal?: AbortSignal): Promise<Float32Array>;
  /**
   * The same job merged with another method, from the focus profile already measured: at most
   * one decode of each slice (argmax: none), never the focus measure again. The slice files must
   * still be there, and the job must have kept weighted sums (a smooth or pyramid job, or
   * StackRequest.remergeable) to switch to smooth or pyramid.
   */
  remerge(method: MergeMethod, signal?: AbortSignal): Promise<StackResult>;
}

interface MeasuredJob {
  options: StackOptions;
  layout: PixelLayout;
  slices: SliceRef[];
  skipped: SkippedFile[];
  notices: string[];
  profile: ProfileBuffers;
  partial: Array<Omit<SliceStats, 'pixelsWon'>>;
  probeMs: number;
  focusMs: number;
  align?: StackAlignmentResult;
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
    const align = await alignStack((name, t, abort) => this.pool.run(t, { name, signal: abort }), this.threads, slices, probed.layout, options, {
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
    const task = (index: number): SliceTask => ({ slice: slices[index], index, layout, sigma: options.sigma, previewSize: options.previewSize, merge, align: align?.tasks[index] });
    await this.runPass(slices, task, signal, (index, result) => {
      const slice = slices[index];
      partial[index] = { index, name: slice.name, meanVariance: result.meanVariance, maxVariance: result.maxVariance };
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
    return this.merge({ options, layout, slices, skipped, notices: probed.notices, profile: merge, partial, probeMs, focusMs, align }, started, signal);
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
      const task = (index: number): SliceTask => ({ slice: slices[index], index, layout, sigma: options.sigma, previewSize: 0, merge: profile, pass: 'compose', compose: state, align: job.align?.tasks[index] });
      await this.runPass(slices, task, signal);
    }
    const { composite, indexMap } = stage.finish(state, profile, layout);
    const wins = countWins(indexMap, slices.length);
    let peaksComplete: Promise<void> | undefined;
    const completePeaks = (abort?: AbortSignal): Promise<void> => {
      const missing = slicesMissingPeakNeighbours(profile);
      const task = (i: number): SliceTask => ({ slice: slices[missing[i]], index: missing[i], layout, sigma: options.sigma, previewSize: 0, merge: profile, pass: 'peaks', align: job.align?.tasks[missing[i]] });
      peaksComplete ??= this.runPass(missing.map((k) => slices[k]), task, abort);
      return peaksComplete;
    };
    return {
      options,
      layout,
      slices,
      skipped: job.skipped,
      notices: job.notices,
      composite,
      indexMap,
      stats: job.partial.map((s, i) => ({ ...s, pixelsWon: wins[i] })),
      timings: { probeMs: job.probeMs, focusMs: job.focusMs, totalMs: performance.now() - started, alignMs: job.align?.alignment.estimateMs },
      alignment: job.align?.alignment,
      sliceAligns: job.align?.tasks,
      confidence: () => computeConfidence(profile),
      peak: async (abort) => {
        await completePeaks(abort);
        return {
          winner: profile.argmax.winner,
          below: new Float32Array(profile.below!),
          at: profile.argmax.maxVariance,
          above: new Float32Array(profile.above!),
        };
      },
      subsliceDepth: async (abort) => {
        await completePeaks(abort);
        return subsliceDepth(profile, indexMap);
      },
      remerge: (method, abort) => this.merge({ ...job, options: { ...options, method } }, performance.now(), abort),
    };
  }

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
