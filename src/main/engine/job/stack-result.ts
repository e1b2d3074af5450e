// What a stack job returns: the composite, the index map and statistics as plain fields, and the
// measured focus profile (shared buffers of 6 to 30 bytes per pixel) held in one visible field,
// which answers the later questions (confidence, peaks, sub-slice depth, another merge method)
// until release() lets it go.
import type { MergeMethod, StackOptions } from '../../../shared/options';
import type { Retouch } from '../../../shared/retouch';
import type { PixelLayout, SkippedFile, SliceRef, SliceStats, StackAlignment, StackTimings } from '../../../shared/types';
import type { StackAlignmentResult } from '../align/align-stage';
import type { SliceAlign } from '../align/tasks';
import { DeepfieldError } from '../errors';
import type { PixelData } from '../input/decode';
import { computeConfidence } from '../merge/confidence';
import type { ProfileBuffers } from '../merge/profile';
import { subsliceDepth } from '../merge/subslice';

/** Focus values around each pixel's raw peak (the argmax of its focus profile). */
export interface PeakProfile {
  /** Slice of the peak. */
  winner: Uint16Array;
  /** Variance of slice winner-1, winner, winner+1; NaN where that slice does not exist. */
  below: Float32Array;
  at: Float32Array;
  above: Float32Array;
}

/** A job after its first pass: what every merge method starts from. */
export interface MeasuredJob {
  options: StackOptions;
  layout: PixelLayout;
  slices: SliceRef[];
  skipped: SkippedFile[];
  notices: string[];
  profile: ProfileBuffers;
  partial: Array<Omit<SliceStats, 'pixelsWon'>>;
  probeMs: number;
  focusMs: number;
  /**
   * The focus kernel's float32 tiles over all slices, and how many were recomputed in float64
   * because their error bound was too large (focus-variance-kernel.ts); 0 and 0 without SIMD.
   */
  focusKernel: { tiles: number; fallbackTiles: number };
  align?: StackAlignmentResult;
}

/** The engine's passes a result calls back into (the worker pool stays the engine's). */
export interface MergePasses {
  merge(job: MeasuredJob, started: number, signal?: AbortSignal): Promise<StackResult>;
  /** Re-measures the slices some pixel still lacks a peak neighbour from (merge/profile.ts). */
  completePeaks(job: MeasuredJob, signal?: AbortSignal): Promise<void>;
}

export interface StackOutput {
  /** Interleaved samples in `layout`. */
  composite: PixelData;
  /** 0-based index of the winning slice per pixel. */
  indexMap: Uint16Array;
  stats: SliceStats[];
  timings: Omit<StackTimings, 'writeMs'>;
}

/**
 * A later step's changes to a result's images (retouching): the new composite, index map and
 * counts, and how the refined depth and a re-merge of the changed result follow from the
 * original's. The focus profile stays the original's.
 */
export interface ResultChanges {
  composite: PixelData;
  indexMap: Uint16Array;
  stats: SliceStats[];
  retouch?: Retouch;
  /** The changed result's sub-slice depth, from the original's. */
  depth(original: Float32Array): Float32Array;
  /** The changed result re-merged, from the original re-merged with that method. */
  remerge(original: StackResult, signal?: AbortSignal): Promise<StackResult>;
}

export class StackResult {
  readonly options: StackOptions;
  readonly layout: PixelLayout;
  readonly slices: SliceRef[];
  readonly skipped: SkippedFile[];
  /** What the user should know about how the slices were read (mixed bit depths), one line each. */
  readonly notices: string[];
  /** Interleaved samples in `layout`. */
  readonly composite: PixelData;
  /** 0-based index of the winning slice per pixel. */
  readonly indexMap: Uint16Array;
  readonly stats: SliceStats[];
  readonly timings: Omit<StackTimings, 'writeMs'>;
  /** Per-slice transforms and gains, when the job was aligned; `layout` is then the aligned frame. */
  readonly alignment?: StackAlignment;
  /** Per slice, how its decoded pixels are brought onto `layout` (decodeAligned), when aligned. */
  readonly sliceAligns?: SliceAlign[];
  /** The focus kernel's float32 tiles, and how many fell back to float64 (MeasuredJob). */
  readonly focusKernel: MeasuredJob['focusKernel'];
  /** The strokes applied to composite and indexMap (retouch/retouch-result.ts), if any. */
  readonly retouch?: Retouch;
  /** The measured job and its focus profile; undefined once released. */
  private measured: MeasuredJob | undefined;
  private peaksComplete: Promise<void> | undefined;

  constructor(
    job: MeasuredJob,
    output: StackOutput,
    private readonly passes: MergePasses,
    /** For a changed result (derive): the result it came from, and how it follows it. */
    private readonly derivedFrom?: { original: StackResult; changes: ResultChanges },
  ) {
    this.options = job.options;
    this.layout = job.layout;
    this.slices = job.slices;
    this.skipped = job.skipped;
    this.notices = job.notices;
    this.composite = output.composite;
    this.indexMap = output.indexMap;
    this.stats = output.stats;
    this.timings = output.timings;
    this.alignment = job.align?.alignment;
    this.sliceAligns = job.align?.tasks;
    this.focusKernel = job.focusKernel;
    this.retouch = derivedFrom?.changes.retouch;
    this.measured = job;
  }

  /** This result with a later step's changes to its images; the focus profile is shared. */
  derive(changes: ResultChanges): StackResult {
    const output = { composite: changes.composite, indexMap: changes.indexMap, stats: changes.stats, timings: this.timings };
    return new StackResult(this.job(), output, this.passes, { original: this, changes });
  }

  /** Per pixel, 0..1: how decisive the focus peak is (merge/confidence.ts). */
  confidence(): Float32Array {
    return computeConfidence(this.job().profile);
  }

  /**
   * The focus values beside each pixel's peak. The first call re-measures the few slices some
   * pixel still lacks (merge/profile.ts), so the values never depend on worker order.
   */
  async peak(signal?: AbortSignal): Promise<PeakProfile> {
    const { profile } = await this.withPeaks(signal);
    return {
      winner: profile.argmax.winner,
      below: new Float32Array(profile.below!),
      at: profile.argmax.maxVariance,
      above: new Float32Array(profile.above!),
    };
  }

  /** indexMap refined below one slice by a parabola through the peak (merge/subslice.ts). */
  async subsliceDepth(signal?: AbortSignal): Promise<Float32Array> {
    if (this.derivedFrom) return this.derivedFrom.changes.depth(await this.derivedFrom.original.subsliceDepth(signal));
    const { profile } = await this.withPeaks(signal);
    return subsliceDepth(profile, this.indexMap);
  }

  /**
   * The same job merged with another method, from the focus profile already measured: at most
   * one decode of each slice (argmax: none), never the focus measure again. The slice files must
   * still be there, and the job must have kept weighted sums (a smooth or pyramid job, or
   * StackRequest.remergeable) to switch to smooth or pyramid.
   */
  async remerge(method: MergeMethod, signal?: AbortSignal): Promise<StackResult> {
    if (this.derivedFrom) return this.derivedFrom.changes.remerge(await this.derivedFrom.original.remerge(method, signal), signal);
    const job = this.job();
    return this.passes.merge({ ...job, options: { ...job.options, method } }, performance.now(), signal);
  }

  /**
   * Lets the focus profile go (results re-merged from this one keep their own reference): the
   * composite, the index map and the statistics stay; confidence, peaks and remerge then fail.
   */
  release(): void {
    this.measured = undefined;
    this.peaksComplete = undefined;
  }

  private job(): MeasuredJob {
    if (!this.measured) throw new DeepfieldError('This result no longer keeps its focus profile: stack again to ask about it');
    return this.measured;
  }

  private async withPeaks(signal?: AbortSignal): Promise<MeasuredJob> {
    const job = this.job();
    this.peaksComplete ??= this.passes.completePeaks(job, signal);
    await this.peaksComplete;
    return job;
  }
}
