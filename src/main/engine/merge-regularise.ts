// Stage "merge", regularised selection shared by the smooth and pyramid methods: where the argmax
// is not decisive, the depth follows its confident neighbours, and where no slice is in focus at
// all the composite will average slices instead of picking the noisiest one.
// Depth: normalised convolution (Knutsson & Westin 1993) of the winner map with confidence^p as
// the certainty, so a few decisive pixels outvote many undecided ones; each pixel then keeps its
// own winner in proportion to its own confidence. Average share: one minus the (blurred)
// confidence mapped through a ramp, so the switch to averaging has no hard edge.
import type { PixelLayout } from '../../shared/types';
import { boxBlur } from './merge-box-blur';
import type { ProfileBuffers } from './merge-profile';

export interface Regularised {
  /** Fractional slice index per pixel. */
  depth: Float32Array;
  /** Share (0..1) of the variance-weighted slice average in each output pixel. */
  averageShare: Float32Array;
}

export const REGULARISE = {
  /** Box radius (three passes): how far a decision can reach, in pixels. */
  radius: 6,
  /** Certainty = confidence^power: decisive peaks dominate the neighbourhood vote. */
  confidencePower: 4,
  /** Below trustLow a pixel takes its neighbours' depth, above trustHigh its own. */
  trustLow: 0.45,
  trustHigh: 0.75,
  /** Blurred confidence below flatLow: all average; above flatHigh: no average. */
  flatLow: 0.3,
  flatHigh: 0.45,
};

function ramp(x: number, low: number, high: number): number {
  return x <= low ? 0 : x >= high ? 1 : (x - low) / (high - low);
}

export function regulariseDepth(profile: ProfileBuffers, confidence: Float32Array, layout: PixelLayout, params = REGULARISE): Regularised {
  const { width, height } = layout;
  const winner = new Uint16Array(profile.winner);
  const n = winner.length;
  const certainty = new Float32Array(n);
  const weighted = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const q = confidence[p] ** params.confidencePower;
    certainty[p] = q;
    weighted[p] = q * winner[p];
  }
  boxBlur(certainty, width, height, params.radius);
  boxBlur(weighted, width, height, params.radius);
  const depth = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const own = winner[p];
    const neighbours = certainty[p] > 1e-12 ? weighted[p] / certainty[p] : own;
    const trust = ramp(confidence[p], params.trustLow, params.trustHigh);
    depth[p] = trust * own + (1 - trust) * neighbours;
  }
  const averageShare = boxBlur(Float32Array.from(confidence), width, height, params.radius);
  for (let p = 0; p < n; p++) averageShare[p] = 1 - ramp(averageShare[p], params.flatLow, params.flatHigh);
  return { depth, averageShare };
}

/**
 * The variance-weighted average of all slices per pixel, sum(v_k I_k) / sum(v_k), from the first
 * pass's streaming sums; where every slice is perfectly flat (sum 0) the argmax pixel stands in.
 */
export function varianceWeightedAverage(profile: ProfileBuffers, layout: PixelLayout, fallback: ArrayLike<number>): Float32Array {
  if (!profile.weightedSum) throw new Error('The first pass kept no variance-weighted sums for this job');
  const sums = new Float32Array(profile.weightedSum);
  const total = new Float64Array(profile.sumVariance);
  const channels = layout.channels;
  const average = new Float32Array(sums.length);
  for (let p = 0; p < total.length; p++) {
    const t = total[p];
    for (let c = 0; c < channels; c++) {
      const i = p * channels + c;
      average[i] = t > 0 ? sums[i] / t : fallback[i];
    }
  }
  return average;
}
