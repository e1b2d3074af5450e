// What a stack job returns: the composite, the index map and statistics as plain fields, and the
// measured focus profile (shared buffers of 6 to 30 bytes per pixel) held in one visible field,
// which answers the later questions (confidence, peaks, sub-slice depth, another merge method)
// until release() lets it go.
import type { MergeMethod, StackOptions } from '../../../shared/options';
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
  profile: ProfileBuffers;
  partial: Array<Omit<SliceStats, 'pixelsWon'>>;
  probeMs: number;
  focusMs: number;
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

export class StackResult {
  readonly options: StackOptions;
  readonly layout: PixelLayout;
  readonly slices: SliceRef[];
  readonly skipped: SkippedFile[];
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
  /** The measured job and its focus profile; undefined once released. */
  private measured: MeasuredJob | undefined;
  private peaksComplete: Promise<void> | undefined;

  constructor(
    job: MeasuredJob,
    output: StackOutput,
    private readonly passes: MergePasses,
  ) {
    this.options = job.options;
    this.layout = job.layout;
    this.slices = job.slices;
    this.skipped = job.skipped;
    this.composite = output.composite;
    this.indexMap = output.indexMap;
    this.stats = output.stats;
    this.timings = output.timings;
    this.alignment = job.align?.alignment;
    this.sliceAligns = job.align?.tasks;
    this.measured = job;
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
    const { profile } = await this.withPeaks(signal);
    return subsliceDepth(profile, this.indexMap);
  }

  /**
   * The same job merged with another method, from the focus profile already measured: at most
   * one decode of each slice (argmax: none), never the focus measure again. The slice files must
   * still be there, and the job must have kept weighted sums (a smooth or pyramid job, or
   * StackRequest.remergeable) to switch to smooth or pyramid.
   */
  remerge(method: MergeMethod, signal?: AbortSignal): Promise<StackResult> {
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
