// Stage "merge", confidence: per pixel, how decisive the argmax is, from the streaming summaries
// alone: c = (max - mean) / max of the pixel's focus profile, in [0, 1). A sharp isolated peak
// (an in-focus texture) gives c near 1; a flat profile (no slice in focus: sensor noise or a
// textureless area) gives c near 0. It is the peak-over-mean ratio of the reliability measures
// studied by Pertuz, Puig & Garcia 2013 ("Reliability measure for shape-from-focus"), chosen
// because it needs only the sum and the maximum, so memory stays independent of slice count.
import type { ProfileBuffers } from './profile';

export function computeConfidence(profile: ProfileBuffers): Float32Array {
  const max = profile.argmax.maxVariance;
  if (!profile.sumVariance) throw new Error('This job kept no focus sums: stack it with keep.confidence to get its confidence map');
  const sum = new Float64Array(profile.sumVariance);
  const n = profile.sliceCount;
  const confidence = new Float32Array(max.length);
  for (let p = 0; p < max.length; p++) {
    const peak = max[p];
    confidence[p] = peak > 0 ? Math.max(0, (peak - sum[p] / n) / peak) : 0;
  }
  return confidence;
}
