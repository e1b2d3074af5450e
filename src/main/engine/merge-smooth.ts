// Merge method "smooth": regularised selection (merge-regularise.ts). Each pixel takes the slice
// at its regularised depth, rounded (second pass over the decoded slices), blended towards the
// variance-weighted average of all slices where no slice is in focus, so flat areas get the
// average's lower noise instead of the noisiest slice.
import type { PixelLayout } from '../../shared/types';
import type { PixelData } from './decode';
import { computeConfidence } from './merge-confidence';
import type { MergeOutput, MergeStage } from './merge-method';
import { compositeView, type ProfileBuffers } from './merge-profile';
import { regulariseDepth, varianceWeightedAverage } from './merge-regularise';

export interface SmoothState {
  method: 'smooth';
  /** Uint16 per pixel: the slice each output pixel is taken from. */
  selected: SharedArrayBuffer;
  /** Float32 per pixel: share of the slice average. */
  averageShare: SharedArrayBuffer;
  /** The selected slices' samples, in the stack's layout. */
  composite: SharedArrayBuffer;
}

export const smoothStage: MergeStage<SmoothState> = {
  method: 'smooth',
  needsWeightedSums: true,
  prepare(profile: ProfileBuffers, layout: PixelLayout): SmoothState {
    const { depth, averageShare } = regulariseDepth(profile, computeConfidence(profile), layout);
    const state: SmoothState = {
      method: 'smooth',
      selected: new SharedArrayBuffer(depth.length * 2),
      averageShare: new SharedArrayBuffer(depth.length * 4),
      composite: new SharedArrayBuffer(profile.composite.byteLength),
    };
    const selected = new Uint16Array(state.selected);
    for (let p = 0; p < depth.length; p++) selected[p] = Math.round(depth[p]);
    new Float32Array(state.averageShare).set(averageShare);
    return state;
  },
  composeSlice(state: SmoothState, layout: PixelLayout, sliceIndex: number, pixels: PixelData): void {
    // Each pixel is written by exactly one slice: no lock needed.
    const selected = new Uint16Array(state.selected);
    const composite = compositeView(state, layout);
    const channels = layout.channels;
    for (let p = 0; p < selected.length; p++) {
      if (selected[p] !== sliceIndex) continue;
      const s = p * channels;
      for (let c = 0; c < channels; c++) composite[s + c] = pixels[s + c];
    }
  },
  finish(state: SmoothState, profile: ProfileBuffers, layout: PixelLayout): MergeOutput {
    const chosen = compositeView(state, layout);
    const average = varianceWeightedAverage(profile, layout, chosen);
    const share = new Float32Array(state.averageShare);
    const composite = chosen.slice();
    const channels = layout.channels;
    for (let p = 0; p < share.length; p++) {
      const a = share[p];
      if (a === 0) continue;
      for (let c = 0; c < channels; c++) {
        const i = p * channels + c;
        composite[i] = Math.round(chosen[i] + a * (average[i] - chosen[i]));
      }
    }
    return { composite, indexMap: new Uint16Array(state.selected).slice() };
  },
};
