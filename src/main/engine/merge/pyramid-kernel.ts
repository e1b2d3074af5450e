// Gaussian and Laplacian pyramids (Burt & Adelson 1983, "The Laplacian pyramid as a compact image
// code"; blending as in Burt & Adelson 1983, "A multiresolution spline with application to image
// mosaics"): the 5-tap generating kernel [1 4 6 4 1] / 16 (a = 0.375), edges repeated. A
// Laplacian level is G_l - expand(G_l+1), so collapsing with the same expand reconstructs exactly
// whatever the kernel's edge handling.

export interface Level {
  width: number;
  height: number;
  values: Float32Array;
}

const W0 = 0.375;
const W1 = 0.25;
const W2 = 0.0625;

/** Level sizes from full size down: each ceil(half) of the previous. */
export function levelSizes(width: number, height: number, levels: number): Array<{ width: number; height: number }> {
  const sizes = [{ width, height }];
  for (let l = 1; l < levels; l++) {
    const prev = sizes[l - 1];
    sizes.push({ width: Math.ceil(prev.width / 2), height: Math.ceil(prev.height / 2) });
  }
  return sizes;
}

/** How many levels a pyramid gets: down to about 8 px on the short side, at most `cap`. */
export function levelCount(width: number, height: number, cap = 7): number {
  let levels = 1;
  let side = Math.min(width, height);
  while (levels < cap && side > 16) {
    side = Math.ceil(side / 2);
    levels++;
  }
  return levels;
}

function clampIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/** Blurs with the generating kernel and keeps every other sample in both directions. */
export function reduce(level: Level): Level {
  const { width, height, values } = level;
  const w2 = Math.ceil(width / 2);
  const h2 = Math.ceil(height / 2);
  const rows = new Float32Array(w2 * height);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let x = 0; x < w2; x++) {
      const c = 2 * x;
      rows[y * w2 + x] =
        W0 * values[o + c] +
        W1 * (values[o + clampIndex(c - 1, width)] + values[o + clampIndex(c + 1, width)]) +
        W2 * (values[o + clampIndex(c - 2, width)] + values[o + clampIndex(c + 2, width)]);
    }
  }
  const out = new Float32Array(w2 * h2);
  for (let y = 0; y < h2; y++) {
    const c = 2 * y;
    const r0 = c * w2;
    const rm1 = clampIndex(c - 1, height) * w2;
    const rp1 = clampIndex(c + 1, height) * w2;
    const rm2 = clampIndex(c - 2, height) * w2;
    const rp2 = clampIndex(c + 2, height) * w2;
    for (let x = 0; x < w2; x++) {
      out[y * w2 + x] = W0 * rows[r0 + x] + W1 * (rows[rm1 + x] + rows[rp1 + x]) + W2 * (rows[rm2 + x] + rows[rp2 + x]);
    }
  }
  return { width: w2, height: h2, values: out };
}

/** Upsamples a level to width x height by interpolating with the generating kernel. */
export function expand(level: Level, width: number, height: number): Float32Array {
  const { width: ws, height: hs, values } = level;
  const rows = new Float32Array(width * hs);
  for (let y = 0; y < hs; y++) {
    const o = y * ws;
    for (let x = 0; x < width; x++) {
      const h = x >> 1;
      // Even outputs sit on a coarse sample (weights 1/8 3/4 1/8), odd ones between two (1/2 1/2).
      rows[y * width + x] =
        (x & 1) === 0
          ? 0.75 * values[o + h] + 0.125 * (values[o + clampIndex(h - 1, ws)] + values[o + clampIndex(h + 1, ws)])
          : 0.5 * (values[o + h] + values[o + clampIndex(h + 1, ws)]);
    }
  }
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const h = y >> 1;
    const o = y * width;
    if ((y & 1) === 0) {
      const r0 = h * width;
      const rm = clampIndex(h - 1, hs) * width;
      const rp = clampIndex(h + 1, hs) * width;
      for (let x = 0; x < width; x++) out[o + x] = 0.75 * rows[r0 + x] + 0.125 * (rows[rm + x] + rows[rp + x]);
    } else {
      const r0 = h * width;
      const rp = clampIndex(h + 1, hs) * width;
      for (let x = 0; x < width; x++) out[o + x] = 0.5 * (rows[r0 + x] + rows[rp + x]);
    }
  }
  return out;
}

export function gaussianPyramid(base: Level, levels: number): Level[] {
  const pyramid = [base];
  for (let l = 1; l < levels; l++) pyramid.push(reduce(pyramid[l - 1]));
  return pyramid;
}

/**
 * Calls `onLevel` with each Laplacian level from the finest, then the coarsest Gaussian level as
 * the last one, so a caller can accumulate level by level without holding the Laplacian pyramid.
 */
export function forEachLaplacianLevel(base: Level, levels: number, onLevel: (l: number, values: Float32Array) => void): void {
  let current = base;
  for (let l = 0; l < levels - 1; l++) {
    const next = reduce(current);
    const up = expand(next, current.width, current.height);
    const lap = current.values;
    // The base is the caller's: write the difference into a fresh array at level 0.
    const out = l === 0 ? new Float32Array(lap.length) : lap;
    for (let i = 0; i < lap.length; i++) out[i] = lap[i] - up[i];
    onLevel(l, out);
    current = next;
  }
  onLevel(levels - 1, current.values);
}

/** Sums a Laplacian pyramid back into an image (the inverse of forEachLaplacianLevel). */
export function collapse(levels: Level[]): Float32Array {
  let image: Float32Array = levels[levels.length - 1].values.slice();
  for (let l = levels.length - 2; l >= 0; l--) {
    const { width, height, values } = levels[l];
    const up = expand({ width: levels[l + 1].width, height: levels[l + 1].height, values: image }, width, height);
    for (let i = 0; i < up.length; i++) up[i] += values[i];
    image = up;
  }
  return image;
}
