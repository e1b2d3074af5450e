// Merge method "argmax" (the design's default): every output pixel comes from the slice whose raw
// variance is highest there; ties go to the lowest slice index. The first pass (merge-profile.ts)
// already holds exactly that composite, so this method has no second pass.
import type { PixelLayout } from '../../../shared/types';
import type { MergeOutput, MergeStage, MergeState } from './method';
import type { ProfileBuffers } from './profile';

export const argmaxStage: MergeStage<MergeState & { method: 'argmax' }> = {
  method: 'argmax',
  needsWeightedSums: false,
  prepare: () => ({ method: 'argmax' }),
  finish(_state, profile: ProfileBuffers, _layout: PixelLayout): MergeOutput {
    // Views, not copies (120 MB saved at 24 MP): nothing writes to a result's composite or index
    // map, so the profile stays intact for re-merging with another method.
    return { composite: profile.argmax.composite, indexMap: profile.argmax.winner };
  },
};

/** Pixels won per slice, from a final index map. */
export function countWins(indexMap: Uint16Array, sliceCount: number): number[] {
  const counts = new Array<number>(sliceCount).fill(0);
  for (let i = 0; i < indexMap.length; i++) counts[indexMap[i]]++;
  return counts;
}
