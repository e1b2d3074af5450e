// Sub-slice depth: a parabola through the focus values at the peak slice and its two neighbours
// (kept by the first pass, merge-profile.ts) puts the profile's maximum between slices, so height
// maps are not terraced. The vertex offset is (v- - v+) / (2 (v- - 2 v0 + v+)), limited to half
// a slice either way; pixels at the ends of the stack, without a curved peak, or whose final
// depth is not the raw peak (regularised methods) keep their whole slice index.
import type { ProfileBuffers } from './profile';

export function subsliceDepth(profile: ProfileBuffers, indexMap: Uint16Array): Float32Array {
  const winner = profile.argmax.winner;
  const at = profile.argmax.maxVariance;
  if (!profile.below || !profile.above) throw new Error('The peak neighbours were not measured (StackResult.subsliceDepth measures them)');
  const below = new Float32Array(profile.below);
  const above = new Float32Array(profile.above);
  const depth = new Float32Array(winner.length);
  for (let p = 0; p < winner.length; p++) {
    const w = indexMap[p];
    depth[p] = w;
    if (w !== winner[p]) continue;
    const curvature = below[p] - 2 * at[p] + above[p];
    // NaN neighbours (stack ends) fail this test too.
    if (!(curvature < 0)) continue;
    const offset = (below[p] - above[p]) / (2 * curvature);
    depth[p] = w + Math.max(-0.5, Math.min(0.5, offset));
  }
  return depth;
}
