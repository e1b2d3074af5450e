// Runs the merge stages over slices held in memory, in one thread, in a chosen order: the same
// first pass, second pass and finish the engine runs across workers, for tests and the quality
// script (and small previews), without files or a worker pool.
import type { MergeMethod } from '../../../shared/options';
import type { PixelLayout } from '../../../shared/types';
import type { PixelData } from '../input/decode';
import { computeFocusBands, DEFAULT_BAND_ROWS } from '../focus/focus-measure';
import type { MergeOutput } from './method';
import { createProfileBuffers, fillPeakNeighbours, ProfileMerger, slicesMissingPeakNeighbours, type ProfileBuffers } from './profile';
import { mergeStage } from './merge-stage';

export type SliceSource = (k: number) => PixelData;

/** First pass: focus measure + profile summaries, slices taken in `order` (default 0..n-1). */
export function measureProfile(
  slice: SliceSource,
  sliceCount: number,
  layout: PixelLayout,
  sigma: number,
  options: { order?: number[]; withWeightedSums?: boolean; completePeaks?: boolean } = {},
): ProfileBuffers {
  const profile = createProfileBuffers(layout, DEFAULT_BAND_ROWS, sliceCount, {
    peaks: true,
    sums: true,
    weightedSums: options.withWeightedSums ?? true,
  });
  // One thread merges in the order it is given (tests try several): no turns to wait for.
  delete profile.turns;
  const merger = new ProfileMerger(profile, layout);
  for (const k of options.order ?? Array.from({ length: sliceCount }, (_, i) => i)) {
    const pixels = slice(k);
    computeFocusBands(pixels, layout, sigma, (y0, _y1, v) => merger.mergeBand(k, y0, v, pixels), DEFAULT_BAND_ROWS);
  }
  if (options.completePeaks ?? true) {
    for (const k of slicesMissingPeakNeighbours(profile)) {
      computeFocusBands(slice(k), layout, sigma, (y0, _y1, v) => fillPeakNeighbours(profile, layout.width, k, y0, v), DEFAULT_BAND_ROWS);
    }
  }
  return profile;
}

/** The method's prepare, second pass (slices in order) and finish over a measured profile. */
export function composeInMemory(profile: ProfileBuffers, slice: SliceSource, layout: PixelLayout, method: MergeMethod): MergeOutput {
  const stage = mergeStage(method);
  const state = stage.prepare(profile, layout);
  if (stage.composeSlice) for (let k = 0; k < profile.sliceCount; k++) stage.composeSlice(state, layout, k, slice(k));
  return stage.finish(state, profile, layout);
}
