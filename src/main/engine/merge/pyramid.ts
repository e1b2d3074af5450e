// Merge method "pyramid": multi-scale blending (Burt & Adelson 1983). The regularised depth
// (merge-regularise.ts) gives each slice a soft weight per pixel, a tent around the fractional
// depth, so a pixel between two slices mixes both; the variance-weighted average of all slices
// takes the share where no slice is in focus. Each weight map is smoothed by its own Gaussian
// pyramid and multiplies the slice's Laplacian pyramid, level by level, as in exposure fusion
// (Mertens, Kautz & Van Reeth 2007): seams between slices blend at every scale instead of
// switching from one pixel to the next. Weights sum to one per pixel, so the sum of the weighted
// Laplacian pyramids collapses straight to the composite, without normalisation.
// Memory: the shared accumulators are one float pyramid per channel (about 5.3 bytes per sample),
// independent of slice count; a worker holds one slice's Gaussian pyramid of one channel at a time.
import type { PixelLayout } from '../../../shared/types';
import type { PixelData } from '../input/decode';
import { computeConfidence } from './confidence';
import type { MergeOutput, MergeStage } from './method';
import { inSliceOrder, type ProfileBuffers } from './profile';
import { collapse, forEachLaplacianLevel, gaussianPyramid, levelCount, levelSizes, type Level } from './pyramid-kernel';
import { regulariseDepth, roundedDepth, shareWeights, sliceWeightMap, varianceWeightedAverage, type SharedWeights } from './regularise';

export interface PyramidState {
  method: 'pyramid';
  sizes: Array<{ width: number; height: number }>;
  weights: SharedWeights;
  /** Per level, Float32 planar channels: sum over slices of weight pyramid x Laplacian pyramid. */
  sums: SharedArrayBuffer[];
  /** Int32 per level and channel: how many slices have added theirs there (inSliceOrder: same bits on any thread count). */
  turns: SharedArrayBuffer;
}

/**
 * Adds one image's weighted Laplacian pyramid (all channels) into the shared sums, as the
 * `position`-th contribution to each level (no weight: only takes its turns).
 */
function accumulate(state: PyramidState, layout: PixelLayout, position: number, weight: Float32Array | undefined, samples: ArrayLike<number>): void {
  const { width, height, channels } = layout;
  const levels = state.sizes.length;
  const turns = new Int32Array(state.turns);
  if (!weight) {
    for (let region = 0; region < levels * channels; region++) inSliceOrder(turns, region, position);
    return;
  }
  const weights = gaussianPyramid({ width, height, values: weight }, levels);
  for (let c = 0; c < channels; c++) {
    const base = new Float32Array(width * height);
    for (let p = 0; p < base.length; p++) base[p] = samples[p * channels + c];
    forEachLaplacianLevel({ width, height, values: base }, levels, (l, lap) => {
      const w = weights[l].values;
      const sums = new Float32Array(state.sums[l]);
      const offset = c * lap.length;
      inSliceOrder(turns, l * channels + c, position, () => {
        for (let i = 0; i < lap.length; i++) sums[offset + i] += w[i] * lap[i];
      });
    });
  }
}

export const pyramidStage: MergeStage<PyramidState> = {
  method: 'pyramid',
  needsWeightedSums: true,
  prepare(profile: ProfileBuffers, layout: PixelLayout): PyramidState {
    const regularised = regulariseDepth(profile, computeConfidence(profile), layout);
    const sizes = levelSizes(layout.width, layout.height, levelCount(layout.width, layout.height));
    const state: PyramidState = {
      method: 'pyramid',
      sizes,
      weights: shareWeights(regularised),
      sums: sizes.map((s) => new SharedArrayBuffer(s.width * s.height * layout.channels * 4)),
      turns: new SharedArrayBuffer(sizes.length * layout.channels * 4),
    };
    return state;
  },
  composeSlice(state: PyramidState, layout: PixelLayout, sliceIndex: number, pixels: PixelData): void {
    accumulate(state, layout, sliceIndex, sliceWeightMap(state.weights, sliceIndex), pixels);
  },
  finish(state: PyramidState, profile: ProfileBuffers, layout: PixelLayout): MergeOutput {
    const average = varianceWeightedAverage(profile, layout, profile.argmax.composite);
    // The average's share comes after every slice's.
    accumulate(state, layout, profile.sliceCount, new Float32Array(state.weights.averageShare).slice(), average);
    const { channels, bitDepth } = layout;
    const top = bitDepth === 16 ? 65535 : 255;
    const composite = bitDepth === 16 ? new Uint16Array(profile.argmax.composite.length) : new Uint8Array(profile.argmax.composite.length);
    for (let c = 0; c < channels; c++) {
      const levels: Level[] = state.sizes.map((s, l) => {
        const size = s.width * s.height;
        return { ...s, values: new Float32Array(state.sums[l], c * size * 4, size) };
      });
      const image = collapse(levels);
      for (let p = 0; p < image.length; p++) {
        const v = Math.round(image[p]);
        composite[p * channels + c] = v < 0 ? 0 : v > top ? top : v;
      }
    }
    return { composite, indexMap: roundedDepth(state.weights) };
  },
};
