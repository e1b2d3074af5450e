// Image-quality measures for `npm run quality`, against a synthetic stack's known truth.
import { gaussianKernel, reflectIndex } from '../src/shared/gaussian';
import { boxBlur } from '../src/main/engine/merge/box-blur';

export function luminance(rgb: ArrayLike<number>, pixels: number): Float64Array {
  const out = new Float64Array(pixels);
  for (let p = 0; p < pixels; p++) out[p] = 0.299 * rgb[p * 3] + 0.587 * rgb[p * 3 + 1] + 0.114 * rgb[p * 3 + 2];
  return out;
}

/** Peak signal-to-noise ratio over all samples, 8-bit peak, in dB. */
export function psnr(image: ArrayLike<number>, truth: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += (image[i] - truth[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / truth.length));
}

function gaussianBlur(values: Float64Array, width: number, height: number, sigma: number): Float64Array {
  const kernel = gaussianKernel(sigma);
  const r = (kernel.length - 1) / 2;
  const rows = new Float64Array(values.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let t = -r; t <= r; t++) s += kernel[t + r] * values[y * width + reflectIndex(x + t, width)];
      rows[y * width + x] = s;
    }
  }
  const out = new Float64Array(values.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let t = -r; t <= r; t++) s += kernel[t + r] * rows[reflectIndex(y + t, height) * width + x];
      out[y * width + x] = s;
    }
  }
  return out;
}

/** Mean SSIM of the luminance (Wang, Bovik, Sheikh & Simoncelli 2004: Gaussian window 1.5 px). */
export function ssim(image: ArrayLike<number>, truth: ArrayLike<number>, width: number, height: number): number {
  const n = width * height;
  const a = luminance(image, n);
  const b = luminance(truth, n);
  const product = (u: Float64Array, v: Float64Array) => u.map((x, i) => x * v[i]);
  const blur = (v: Float64Array) => gaussianBlur(v, width, height, 1.5);
  const ma = blur(a);
  const mb = blur(b);
  const saa = blur(product(a, a));
  const sbb = blur(product(b, b));
  const sab = blur(product(a, b));
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let sum = 0;
  for (let p = 0; p < n; p++) {
    const va = saa[p] - ma[p] * ma[p];
    const vb = sbb[p] - mb[p] * mb[p];
    const cov = sab[p] - ma[p] * mb[p];
    sum += ((2 * ma[p] * mb[p] + c1) * (2 * cov + c2)) / ((ma[p] ** 2 + mb[p] ** 2 + c1) * (va + vb + c2));
  }
  return sum / n;
}

/** Pixels where the truth has detail (local luminance variance above `threshold`). */
export function texturedMask(truth: ArrayLike<number>, width: number, height: number, threshold = 25): Uint8Array {
  const lum = luminance(truth, width * height);
  const mean = gaussianBlur(lum, width, height, 2);
  const meanSq = gaussianBlur(lum.map((v) => v * v), width, height, 2);
  return Uint8Array.from(mean, (m, p) => (meanSq[p] - m * m > threshold ? 1 : 0));
}

/** Share (%) of masked pixels whose index map is within one slice of the true depth. */
export function depthWithinOne(indexMap: Uint16Array, depth: Float32Array, mask: Uint8Array): number {
  let hits = 0;
  let count = 0;
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    count++;
    if (Math.abs(indexMap[p] - depth[p]) <= 1) hits++;
  }
  return (100 * hits) / count;
}

/**
 * Pixels within `reach` px of a high-contrast edge of the truth (a luminance step of more than
 * `step` between neighbours), on the flat side: where halos show. Empty when there is no such edge.
 */
export function haloBand(truth: ArrayLike<number>, width: number, height: number, reach = 12, step = 60): Uint8Array {
  const lum = luminance(truth, width * height);
  const edges = new Float32Array(width * height);
  for (let y = 0; y < height - 1; y++) {
    for (let x = 0; x < width - 1; x++) {
      const p = y * width + x;
      if (Math.abs(lum[p + 1] - lum[p]) > step || Math.abs(lum[p + width] - lum[p]) > step) edges[p] = 1;
    }
  }
  const near = boxBlur(edges, width, height, reach, 1);
  const textured = texturedMask(truth, width, height);
  return Uint8Array.from(near, (v, p) => (v > 0 && !textured[p] ? 1 : 0));
}

/** RMS error (8-bit units) over the masked pixels, all channels; NaN for an empty mask. */
export function rmsIn(image: ArrayLike<number>, truth: ArrayLike<number>, mask: Uint8Array): number {
  let sum = 0;
  let count = 0;
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    for (let c = 0; c < 3; c++) sum += (image[p * 3 + c] - truth[p * 3 + c]) ** 2;
    count += 3;
  }
  return count ? Math.sqrt(sum / count) : NaN;
}
