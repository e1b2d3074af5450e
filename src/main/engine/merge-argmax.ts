// Merge method "argmax" (the design's default): every output pixel comes from the slice whose raw
// variance is highest there; ties go to the lowest slice index. The first pass (merge-profile.ts)
// already holds exactly that composite, so this method has no second pass.
import type { PixelLayout } from '../../shared/types';
import type { MergeOutput, MergeStage, MergeState } from './merge-method';
import { compositeView, type ProfileBuffers } from './merge-profile';

export const argmaxStage: MergeStage<MergeState & { method: 'argmax' }> = {
  method: 'argmax',
  needsWeightedSums: false,
  prepare: () => ({ method: 'argmax' }),
  finish(_state, profile: ProfileBuffers, layout: PixelLayout): MergeOutput {
    // Copies: the profile stays intact so the job can be re-merged with another method.
    const composite = compositeView(profile, layout).slice();
    return { composite, indexMap: new Uint16Array(profile.winner).slice() };
  },
};

/** Pixels won per slice, from a final index map. */
export function countWins(indexMap: Uint16Array, sliceCount: number): number[] {
  const counts = new Array<number>(sliceCount).fill(0);
  for (let i = 0; i < indexMap.length; i++) counts[indexMap[i]]++;
  return counts;
}
