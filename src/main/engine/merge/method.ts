// The interface every merge method implements. The first pass (decode, focus measure, running
// profile summaries: merge-profile.ts) is the same for all methods; a method then turns those
// summaries into a composite and an index map, in three steps:
// - prepare (main thread): derive its shared state from the profile (e.g. a regularised depth);
// - composeSlice (worker, optional): a second pass over the decoded slices, without the focus
//   measure, accumulating into that shared state;
// - finish (main thread): the composite and the index map.
// Because only these steps depend on the method, re-merging a finished job with another method
// costs one decode of each slice at most, never a focus measure.
import type { MergeMethod } from '../../../shared/options';
import type { PixelLayout } from '../../../shared/types';
import type { PixelData } from '../input/decode';
import type { ProfileBuffers } from './profile';

export interface MergeOutput {
  /** Interleaved samples in the stack's layout. */
  composite: PixelData;
  /** 0-based slice index per pixel: the winner (argmax) or the regularised depth. */
  indexMap: Uint16Array;
}

/** State a method hands from prepare to its second pass and finish: plain data and shared buffers. */
export interface MergeState {
  method: MergeMethod;
}

export interface MergeStage<S extends MergeState> {
  readonly method: MergeMethod;
  /** Whether the first pass must keep variance-weighted pixel sums for this method. */
  readonly needsWeightedSums: boolean;
  prepare(profile: ProfileBuffers, layout: PixelLayout): S;
  /** Worker: accumulates one decoded slice into the state; absent when there is no second pass. */
  composeSlice?(state: S, layout: PixelLayout, sliceIndex: number, pixels: PixelData): void;
  finish(state: S, profile: ProfileBuffers, layout: PixelLayout): MergeOutput;
}
