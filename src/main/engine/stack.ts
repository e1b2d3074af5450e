// The orchestrator: composes the stages (find and probe slices, then decode + focus measure +
// merge per slice in worker threads) into one stack job. One Engine owns one worker pool and
// can run many jobs; the command line, the desktop app and the browser host all go through it.
import os from 'node:os';
import { Piscina } from 'piscina';
import { parseStackOptions, type StackOptions, type StackOptionsInput } from '../../shared/options';
import type { PixelLayout, SkippedFile, SliceRef, SliceStats, StackProgress, StackTimings } from '../../shared/types';
import type { PixelData } from './decode';
import { CancelledError, DeepfieldError, isAbortError } from './errors';
import { compositeView, countWins, createArgmaxBuffers } from './merge-argmax';
import type { SliceTask, SliceTaskResult } from './slice-worker';
import { findSliceFiles, probeSlices } from './slices';

export const BAND_ROWS = 64;

export interface StackRequest {
  /** Folders and/or image files. */
  inputs: string[];
  options?: StackOptionsInput;
  signal?: AbortSignal;
  onProgress?: (progress: StackProgress) => void;
}

export interface StackResult {
  options: StackOptions;
  layout: PixelLayout;
  slices: SliceRef[];
  skipped: SkippedFile[];
  /** Interleaved samples in `layout`. */
  composite: PixelData;
  /** 0-based index of the winning slice per pixel. */
  indexMap: Uint16Array;
  stats: SliceStats[];
  timings: Omit<StackTimings, 'writeMs'>;
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

    const { files, skipped } = await findSliceFiles(request.inputs);
    const { slices, layout } = await probeSlices(files, signal);
    const probeMs = elapsed();
    onProgress?.({ phase: 'probe', done: 0, total: slices.length, elapsedMs: probeMs });

    const merge = createArgmaxBuffers(layout, BAND_ROWS);
    // One controller for the whole job: the user's cancel and the first failure both stop it.
    const job = new AbortController();
    const forwardAbort = () => job.abort();
    signal?.addEventListener('abort', forwardAbort, { once: true });
    const partial: Array<Omit<SliceStats, 'pixelsWon'>> = new Array(slices.length);
    let done = 0;
    let firstError: unknown;
    // Submit in slice order with at most one task per worker in flight: memory holds one decoded
    // slice per worker whatever the stack's length, and progress arrives roughly in order.
    const runSlice = async (index: number): Promise<void> => {
      const slice = slices[index];
      const task: SliceTask = { slice, index, layout, sigma: options.sigma, previewSize: options.previewSize, merge };
      try {
        const result = (await this.pool.run(task, { signal: job.signal })) as SliceTaskResult;
        partial[index] = { index, name: slice.name, meanVariance: result.meanVariance, maxVariance: result.maxVariance };
        done++;
        onProgress?.({
          phase: 'focus',
          done,
          total: slices.length,
          slice: { index, name: slice.name, meanVariance: result.meanVariance, maxVariance: result.maxVariance, preview: result.preview },
          elapsedMs: elapsed(),
        });
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

    const indexMap = new Uint16Array(merge.winner);
    const wins = countWins(indexMap, slices.length);
    const stats = partial.map((s, i) => ({ ...s, pixelsWon: wins[i] }));
    const focusMs = elapsed() - probeMs;
    return {
      options,
      layout,
      slices,
      skipped,
      composite: compositeView(merge, layout),
      indexMap,
      stats,
      timings: { probeMs, focusMs, totalMs: elapsed() },
    };
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
