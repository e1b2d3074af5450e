// Stage "merge", regularised selection shared by the smooth and pyramid methods: where the argmax
// is not decisive, the depth follows its neighbours, and where no slice is in focus at all the
// composite averages slices instead of picking the noisiest one.
// Depth: normalised convolution (Knutsson & Westin 1993) of the winner map. A neighbour's vote is
// its focus energy (peak variance) times its confidence^p: by Parseval a blurred copy of an edge
// carries less energy than the sharp edge itself, so in a window wider than a halo the sharp
// slice outvotes the defocused copies that cause halos. A pixel's own vote is boosted in
// proportion to its confidence, so decisive pixels keep their own winner; a second, robust round
// (iteratively reweighted, as in an M-estimator) drops neighbours far from the first estimate so
// that noise winners do not drag depth across steps.
// Slice weights: a tent around the fractional depth whose half-width grows as confidence falls
// (averaging a few neighbouring slices lowers noise where no single slice is decisive), plus a
// share of the variance-weighted average of all slices where no slice is in focus at all.
import type { PixelLayout } from '../../../shared/types';
import { boxBlur } from './box-blur';
import type { ProfileBuffers } from './profile';

export interface Regularised {
  /** Fractional slice index per pixel. */
  depth: Float32Array;
  /** Half-width (slices) of the tent of slice weights around the depth. */
  spread: Float32Array;
  /** Factor making each pixel's tent weights sum to 1 - averageShare. */
  tentScale: Float32Array;
  /** Share (0..1) of the variance-weighted slice average in each output pixel. */
  averageShare: Float32Array;
}

export const REGULARISE = {
  /** Box radius (three passes): how far a decision can reach, in pixels. */
  radius: 8,
  /** A vote is energy x confidence^power. */
  confidencePower: 2,
  /** Own-vote boost at full trust, relative to the neighbourhood's mean vote. */
  selfWeight: 32,
  /** Confidence below trustLow: no boost; above trustHigh: full boost. */
  trustLow: 0.3,
  trustHigh: 0.5,
  /** Robust round: neighbours more than about this many slices from the first estimate fade out. */
  robustSlices: 1.5,
  /** Tent half-width at confidence spreadLow and below; one slice from spreadHigh up. */
  maxSpread: 3,
  spreadLow: 0.2,
  spreadHigh: 0.45,
  /**
   * Blurred confidence below flatLow: all average; above flatHigh: no average. Kept low: the
   * variance weights favour slices where a defocused edge spills over a flat area, so a wide
   * average brings halos back (measured with npm run quality); the tent above already averages
   * a few slices where the peak is weak.
   */
  flatLow: 0.05,
  flatHigh: 0.15,
};

function ramp(x: number, low: number, high: number): number {
  return x <= low ? 0 : x >= high ? 1 : (x - low) / (high - low);
}

/** Normalised convolution of `winner` with per-pixel votes, plus each pixel's boosted own vote. */
function vote(winner: Uint16Array, votes: Float32Array, own: Float32Array, width: number, height: number, radius: number): Float32Array {
  const n = winner.length;
  const weighted = new Float32Array(n);
  for (let p = 0; p < n; p++) weighted[p] = votes[p] * winner[p];
  const total = boxBlur(Float32Array.from(votes), width, height, radius);
  boxBlur(weighted, width, height, radius);
  const depth = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const den = total[p] + own[p];
    depth[p] = den > 0 ? (weighted[p] + own[p] * winner[p]) / den : winner[p];
  }
  return depth;
}

export function regulariseDepth(profile: ProfileBuffers, confidence: Float32Array, layout: PixelLayout, params = REGULARISE): Regularised {
  const { width, height } = layout;
  const winner = profile.argmax.winner;
  const energy = profile.argmax.maxVariance;
  const n = winner.length;
  const votes = new Float32Array(n);
  for (let p = 0; p < n; p++) votes[p] = Math.max(0, energy[p]) * confidence[p] ** params.confidencePower;
  // The own vote is measured against the neighbourhood's mean vote, so the boost means the same
  // in bright and dark, busy and quiet areas.
  const meanVote = boxBlur(Float32Array.from(votes), width, height, params.radius);
  const own = new Float32Array(n);
  for (let p = 0; p < n; p++) own[p] = params.selfWeight * ramp(confidence[p], params.trustLow, params.trustHigh) * Math.min(votes[p], 4 * meanVote[p]);
  const first = vote(winner, votes, own, width, height, params.radius);
  const robust = new Float32Array(n);
  const s2 = 2 * params.robustSlices ** 2;
  for (let p = 0; p < n; p++) robust[p] = votes[p] * Math.exp(-((winner[p] - first[p]) ** 2) / s2);
  const depth = vote(winner, robust, own, width, height, params.radius);
  // Where the vote rounds to the pixel's own winner, take the winner exactly: a decisive pixel on
  // a slope is not mixed with a neighbouring slice just because its neighbours sit higher.
  for (let p = 0; p < n; p++) if (Math.round(depth[p]) === winner[p]) depth[p] = winner[p];

  const sliceCount = profile.sliceCount;
  const spread = new Float32Array(n);
  const tentScale = new Float32Array(n);
  const averageShare = boxBlur(Float32Array.from(confidence), width, height, params.radius);
  for (let p = 0; p < n; p++) {
    const share = 1 - ramp(averageShare[p], params.flatLow, params.flatHigh);
    averageShare[p] = share;
    const h = 1 + (params.maxSpread - 1) * (1 - ramp(confidence[p], params.spreadLow, params.spreadHigh));
    spread[p] = h;
    let sum = 0;
    const d = depth[p];
    for (let k = Math.max(0, Math.ceil(d - h)); k <= Math.min(sliceCount - 1, Math.floor(d + h)); k++) sum += Math.max(0, 1 - Math.abs(k - d) / h);
    tentScale[p] = sum > 0 ? (1 - share) / sum : 0;
  }
  return { depth, spread, tentScale, averageShare };
}

/** Weight of slice k at one pixel: the tent around the regularised depth. */
function tentWeight(k: number, depth: number, spread: number, scale: number): number {
  const t = 1 - Math.abs(k - depth) / spread;
  return t > 0 ? t * scale : 0;
}

/**
 * The variance-weighted average of all slices per pixel, sum(v_k I_k) / sum(v_k), from the first
 * pass's streaming sums; where every slice is perfectly flat (sum 0) the argmax pixel stands in.
 */
export function varianceWeightedAverage(profile: ProfileBuffers, layout: PixelLayout, fallback: ArrayLike<number>): Float32Array {
  if (!profile.weightedSum) throw new Error('The first pass kept no variance-weighted sums for this job');
  const sums = new Float32Array(profile.weightedSum);
  const total = new Float64Array(profile.sumVariance!); // kept whenever weighted sums are
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

/** The regularised result in shared memory, for a method's second pass in the workers. */
export interface SharedWeights {
  depth: SharedArrayBuffer;
  spread: SharedArrayBuffer;
  tentScale: SharedArrayBuffer;
  averageShare: SharedArrayBuffer;
}

export function shareWeights(regularised: Regularised): SharedWeights {
  const share = (values: Float32Array) => {
    const buffer = new SharedArrayBuffer(values.byteLength);
    new Float32Array(buffer).set(values);
    return buffer;
  };
  return {
    depth: share(regularised.depth),
    spread: share(regularised.spread),
    tentScale: share(regularised.tentScale),
    averageShare: share(regularised.averageShare),
  };
}

/** Slice k's weight per pixel, or undefined when it has none anywhere (its pass can be skipped). */
export function sliceWeightMap(weights: SharedWeights, k: number): Float32Array | undefined {
  const depth = new Float32Array(weights.depth);
  const spread = new Float32Array(weights.spread);
  const scale = new Float32Array(weights.tentScale);
  const map = new Float32Array(depth.length);
  let any = false;
  for (let p = 0; p < depth.length; p++) {
    const w = tentWeight(k, depth[p], spread[p], scale[p]);
    if (w > 0) {
      map[p] = w;
      any = true;
    }
  }
  return any ? map : undefined;
}

/** The index map of a regularised method: the depth rounded to whole slices. */
export function roundedDepth(weights: SharedWeights): Uint16Array {
  return Uint16Array.from(new Float32Array(weights.depth), (d) => Math.round(d));
}
