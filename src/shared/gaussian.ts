// The Gaussian used by the focus measure, defined exactly as scipy.ndimage.gaussian_filter
// defines it (truncate = 4): radius = int(4 * sigma + 0.5), weights exp(-x^2 / 2 sigma^2)
// normalised to sum to one, borders extended in 'reflect' mode (d c b a | a b c d | d c b a).

/** Kernel radius in pixels for a given sigma, as scipy computes it with truncate = 4. */
export function gaussianRadius(sigma: number): number {
  return Math.floor(4 * sigma + 0.5);
}

/** Normalised 1-D Gaussian weights, length 2 * radius + 1, centre at index `radius`. */
export function gaussianKernel(sigma: number): Float64Array {
  const radius = gaussianRadius(sigma);
  const weights = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const w = Math.exp((-0.5 * i * i) / (sigma * sigma));
    weights[i + radius] = w;
    sum += w;
  }
  for (let i = 0; i < weights.length; i++) weights[i] /= sum;
  return weights;
}

/**
 * Maps any integer coordinate onto 0..size-1 by mirror reflection that repeats the edge sample
 * (scipy's 'reflect'), including offsets larger than the image, which scipy folds periodically.
 */
export function reflectIndex(i: number, size: number): number {
  if (size === 1) return 0;
  const period = 2 * size;
  let j = i % period;
  if (j < 0) j += period;
  return j < size ? j : period - 1 - j;
}
