// The alignment pre-pass's worker tasks (named exports of the worker module, run through the
// pool with piscina's `name`), and the decode-then-warp every later pass of an aligned job uses.
import type { PixelLayout, SliceRef } from '../../../shared/types';
import { estimateNeighbour, type PairResult } from './estimate';
import type { AlignModel } from './gauss-newton';
import { type AlignmentCopies, prepareAlignmentCopies, sharedCopies } from './prepare';
import { type SliceWarp, warpSlice } from './warp';
import { decodeSlice, type PixelData } from '../input/decode';

export interface AlignPrepareTask {
  slice: SliceRef;
  layout: PixelLayout;
}

export interface AlignEstimateTask {
  near: AlignmentCopies;
  far: AlignmentCopies;
  model: AlignModel;
  width: number;
  height: number;
  /** Measure the estimate's uncertainty too (align 'auto' decides with it). */
  measureUncertainty: boolean;
}

/** What a slice task needs to bring its slice onto the aligned frame. */
export interface SliceAlign {
  /** The slice as decoded (the stack's layout before cropping). */
  source: PixelLayout;
  warp: SliceWarp;
}

export async function alignPrepare(task: AlignPrepareTask): Promise<AlignmentCopies> {
  return sharedCopies(await prepareAlignmentCopies(task.slice, task.layout));
}

export function alignEstimate(task: AlignEstimateTask): PairResult {
  try {
    return estimateNeighbour(task.near, task.far, task.model, task.width, task.height, task.measureUncertainty);
  } catch (error) {
    // An estimate that breaks is a failed estimate for that slice, never a failed stack.
    const reason = error instanceof Error ? error.message : String(error);
    return { matrix: [1, 0, 0, 0, 1, 0], correlation: 0, converged: false, error: `the estimate failed: ${reason}` };
  }
}

/** Decodes a slice and, for an aligned job, resamples it onto the output frame `layout`. */
export async function decodeAligned(slice: SliceRef, layout: PixelLayout, align: SliceAlign | undefined): Promise<PixelData> {
  if (!align) return decodeSlice(slice, layout);
  const source = await decodeSlice(slice, align.source);
  // The decoded slice is not needed once warped: the warp may write over it.
  return warpSlice(source, align.source, layout.width, layout.height, align.warp, 'auto', false, true);
}
