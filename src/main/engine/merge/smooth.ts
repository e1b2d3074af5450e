// Merge method "smooth": regularised selection (merge-regularise.ts), blended per pixel. Each
// output pixel is the weighted sum of the slices around its regularised depth (one slice where
// the peak is decisive, a few where it is not), plus a share of the variance-weighted average of
// all slices where none is in focus, so flat areas get the average's lower noise instead of the
// noisiest slice. Second pass: decoded slices only, no focus measure.
import type { PixelLayout } from '../../../shared/types';
import type { PixelData } from '../input/decode';
import { computeConfidence } from './confidence';
import type { MergeOutput, MergeStage } from './method';
import { inSliceOrder, type ProfileBuffers } from './profile';
import { regulariseDepth, roundedDepth, shareWeights, sliceWeightMap, varianceWeightedAverage, type SharedWeights } from './regularise';

export interface SmoothState {
  method: 'smooth';
  weights: SharedWeights;
  /** Float32 per sample: sum over slices of weight x sample. */
  sums: SharedArrayBuffer;
  bandRows: number;
  /** Int32 per band: how many slices have added theirs there (inSliceOrder: same bits on any thread count). */
  turns: SharedArrayBuffer;
}

export const smoothStage: MergeStage<SmoothState> = {
  method: 'smooth',
  needsWeightedSums: true,
  prepare(profile: ProfileBuffers, layout: PixelLayout): SmoothState {
    const regularised = regulariseDepth(profile, computeConfidence(profile), layout);
    return {
      method: 'smooth',
      weights: shareWeights(regularised),
      sums: new SharedArrayBuffer(layout.width * layout.height * layout.channels * 4),
      bandRows: profile.bandRows,
      turns: new SharedArrayBuffer(profile.locks.byteLength),
    };
  },
  composeSlice(state: SmoothState, layout: PixelLayout, sliceIndex: number, pixels: PixelData): void {
    // A slice with no weight anywhere still takes its turn in every band, so later ones go on.
    const weight = sliceWeightMap(state.weights, sliceIndex);
    const sums = new Float32Array(state.sums);
    const turns = new Int32Array(state.turns);
    const { width, height, channels } = layout;
    for (let y0 = 0; y0 < height; y0 += state.bandRows) {
      const end = Math.min(height, y0 + state.bandRows) * width;
      inSliceOrder(turns, y0 / state.bandRows, sliceIndex, weight && (() => {
        for (let p = y0 * width; p < end; p++) {
          const w = weight[p];
          if (w === 0) continue;
          const s = p * channels;
          for (let c = 0; c < channels; c++) sums[s + c] += w * pixels[s + c];
        }
      }));
    }
  },
  finish(state: SmoothState, profile: ProfileBuffers, layout: PixelLayout): MergeOutput {
    const argmax = profile.argmax.composite;
    const average = varianceWeightedAverage(profile, layout, argmax);
    const share = new Float32Array(state.weights.averageShare);
    const sums = new Float32Array(state.sums);
    const composite = argmax.slice();
    const top = layout.bitDepth === 16 ? 65535 : 255;
    const channels = layout.channels;
    for (let p = 0; p < share.length; p++) {
      for (let c = 0; c < channels; c++) {
        const i = p * channels + c;
        const v = Math.round(sums[i] + share[p] * average[i]);
        composite[i] = v < 0 ? 0 : v > top ? top : v;
      }
    }
    return { composite, indexMap: roundedDepth(state.weights) };
  },
};
