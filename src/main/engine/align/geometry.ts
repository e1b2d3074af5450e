// Plain maths shared by the alignment stages: 2x3 affine matrices, the images estimation works
// on, and the change of pixel grid between a reduced copy and the full-resolution slice.

/**
 * Row-major 2x3 affine matrix [a, b, c, d, e, f]: (x, y) -> (a x + b y + c, d x + e y + f), in
 * pixel coordinates with pixel centres at integers.
 */
export type Affine = readonly [number, number, number, number, number, number];

export const IDENTITY: Affine = [1, 0, 0, 0, 1, 0];

/** Single-channel float image, row-major. */
export interface GreyImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** Small low-passed colour image, channels interleaved, values in the stack's sample units. */
export interface ColourThumb {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

export function applyAffine(m: Affine, x: number, y: number): [number, number] {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

/** (outer o inner)(p) = outer(inner(p)). */
export function composeAffine(outer: Affine, inner: Affine): Affine {
  const [a, b, c, d, e, f] = outer;
  const [p, q, r, s, t, u] = inner;
  return [a * p + b * s, a * q + b * t, a * r + b * u + c, d * p + e * s, d * q + e * t, d * r + e * u + f];
}

export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  return [e / det, -b / det, (b * f - c * e) / det, -d / det, a / det, (c * d - a * f) / det];
}

/**
 * The grid change from a full-resolution frame (width x height) to a reduced copy of it
 * (w x h), both with pixel centres at integers and the frames' edges coinciding.
 */
export function fullToReduced(width: number, height: number, w: number, h: number): Affine {
  const sx = w / width;
  const sy = h / height;
  return [sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5];
}

/** Expresses a transform found between reduced copies in full-resolution pixels. */
export function reducedToFullTransform(m: Affine, width: number, height: number, w: number, h: number): Affine {
  const down = fullToReduced(width, height, w, h);
  return composeAffine(invertAffine(down), composeAffine(m, down));
}

/** Expresses a full-resolution transform on a reduced copy's grid. */
export function fullToReducedTransform(m: Affine, width: number, height: number, w: number, h: number): Affine {
  const down = fullToReduced(width, height, w, h);
  return composeAffine(down, composeAffine(m, invertAffine(down)));
}

export function isFiniteAffine(m: Affine): boolean {
  return m.every((v) => Number.isFinite(v));
}
