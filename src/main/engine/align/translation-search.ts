// Stage "align": the coarse translation search that seeds Gauss-Newton, by normalised
// cross-correlation computed with FFTs (fft.js) and summed-area tables.
import FFT from 'fft.js';
import type { Affine, GreyImage } from './geometry';

/** Largest shift the coarse search tries, as a fraction of the frame (the plausibility limit). */
const SEARCH_FRACTION = 0.27;

/** fft.js transforms and their interleaved complex buffers, one per size, made once. */
const transforms = new Map<number, { transform: FFT; input: Float64Array; output: Float64Array }>();

/**
 * In-place FFT of the `n` complex values at `re`/`im` (n a power of two), by fft.js; `inverse`
 * conjugates around a forward transform, which leaves the 1/n scaling to the caller.
 */
function fft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  if (n < 2) return;
  let t = transforms.get(n);
  if (!t) {
    t = { transform: new FFT(n), input: new Float64Array(2 * n), output: new Float64Array(2 * n) };
    transforms.set(n, t);
  }
  const { input, output } = t;
  const sign = inverse ? -1 : 1;
  for (let i = 0; i < n; i++) {
    input[2 * i] = re[i];
    input[2 * i + 1] = sign * im[i];
  }
  t.transform.transform(output, input);
  for (let i = 0; i < n; i++) {
    re[i] = output[2 * i];
    im[i] = sign * output[2 * i + 1];
  }
}

/**
 * 2-D FFT of a `width` x `height` row-major complex array (both powers of two), in place. Only
 * `rows` are transformed along x: going forward the other rows are zero (and stay zero), going
 * back they are not wanted. Columns go through a contiguous copy, which keeps the cache warm.
 */
function fft2(re: Float64Array, im: Float64Array, width: number, height: number, rows: number[], inverse: boolean): void {
  if (!inverse) fftRows(re, im, width, rows, inverse);
  fftColumns(re, im, width, height, inverse);
  if (inverse) fftRows(re, im, width, rows, inverse);
}

function fftRows(re: Float64Array, im: Float64Array, width: number, rows: number[], inverse: boolean): void {
  for (const y of rows) fft(re.subarray(y * width, (y + 1) * width), im.subarray(y * width, (y + 1) * width), inverse);
}

function fftColumns(re: Float64Array, im: Float64Array, width: number, height: number, inverse: boolean): void {
  const cr = new Float64Array(height);
  const ci = new Float64Array(height);
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      cr[y] = re[y * width + x];
      ci[y] = im[y * width + x];
    }
    fft(cr, ci, inverse);
    for (let y = 0; y < height; y++) {
      re[y * width + x] = cr[y];
      im[y * width + x] = ci[y];
    }
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

/** Summed-area tables of v and v^2, (width+1) x (height+1), for any rectangle's sums in O(1). */
function summedAreas(values: Float64Array, width: number, height: number): { sum: Float64Array; squares: Float64Array } {
  const stride = width + 1;
  const sum = new Float64Array(stride * (height + 1));
  const squares = new Float64Array(stride * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    let rowSquares = 0;
    for (let x = 0; x < width; x++) {
      const v = values[y * width + x];
      row += v;
      rowSquares += v * v;
      sum[(y + 1) * stride + x + 1] = sum[y * stride + x + 1] + row;
      squares[(y + 1) * stride + x + 1] = squares[y * stride + x + 1] + rowSquares;
    }
  }
  return { sum, squares };
}

function rectangleSum(table: Float64Array, width: number, x0: number, y0: number, x1: number, y1: number): number {
  const stride = width + 1;
  return table[y1 * stride + x1] - table[y0 * stride + x1] - table[y1 * stride + x0] + table[y0 * stride + x0];
}

/** The image minus its mean, in doubles: correlation sums stay exact enough whatever the offset. */
function centred(image: GreyImage): Float64Array {
  let mean = 0;
  for (let i = 0; i < image.data.length; i++) mean += image.data[i];
  mean /= image.data.length;
  const out = new Float64Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = image.data[i] - mean;
  return out;
}

/**
 * Exhaustive integer-translation search at the coarsest level by normalised cross-correlation over
 * the overlap: robust where Gauss-Newton's basin (a few pixels) is too small for the shift. Every
 * shift's sum of products comes from one FFT cross-correlation (padded past the search range, so
 * nothing wraps round) and the overlap's sums and sums of squares from summed-area tables, so the
 * search costs a few FFTs instead of a pass over the overlap per shift. NCC is unchanged by
 * subtracting a constant from either image, so both are centred first for precision.
 */
export function searchTranslation(template: GreyImage, image: GreyImage): Affine {
  const { width, height } = template;
  const rx = Math.max(1, Math.round(width * SEARCH_FRACTION));
  const ry = Math.max(1, Math.round(height * SEARCH_FRACTION));
  const t = centred(template);
  const v = centred(image);
  const ts = summedAreas(t, width, height);
  const vs = summedAreas(v, image.width, image.height);
  const pw = nextPowerOfTwo(Math.max(width, image.width) + rx);
  const ph = nextPowerOfTwo(Math.max(height, image.height) + ry);
  // Both real images in one complex transform, Z = T + iI, then split by the symmetry of real
  // signals' spectra: T^(k) = (Z(k) + conj Z(-k)) / 2, I^(k) = (Z(k) - conj Z(-k)) / 2i.
  const zr = new Float64Array(pw * ph);
  const zi = new Float64Array(pw * ph);
  for (let y = 0; y < height; y++) zr.set(t.subarray(y * width, (y + 1) * width), y * pw);
  for (let y = 0; y < image.height; y++) zi.set(v.subarray(y * image.width, (y + 1) * image.width), y * pw);
  fft2(zr, zi, pw, ph, Array.from({ length: Math.max(height, image.height) }, (_, y) => y), false);
  // conj(T^) I^ transforms back to sum_p T(p) I(p + shift), at index (shift mod padded size).
  const { cr, ci } = crossSpectrum(zr, zi, pw, ph);
  // Only the rows of shifts -ry..ry are needed back.
  const shiftRows = Array.from({ length: 2 * ry + 1 }, (_, k) => (k - ry + ph) % ph);
  fft2(cr, ci, pw, ph, shiftRows, true);
  return bestShift(cr, pw, ph, template, image, ts, vs, rx, ry);
}

/** conj(T^) I^ from the packed spectrum Z^ of Z = T + iI. */
function crossSpectrum(zr: Float64Array, zi: Float64Array, pw: number, ph: number): { cr: Float64Array; ci: Float64Array } {
  const cr = new Float64Array(pw * ph);
  const ci = new Float64Array(pw * ph);
  for (let ky = 0; ky < ph; ky++) {
    for (let kx = 0; kx < pw; kx++) {
      const k = ky * pw + kx;
      const mirror = ((ph - ky) % ph) * pw + ((pw - kx) % pw);
      const a = zr[k];
      const b = zi[k];
      const c = zr[mirror];
      const d = zi[mirror];
      cr[k] = 0.25 * ((a + c) * (b + d) + (b - d) * (c - a));
      ci[k] = 0.25 * ((a + c) * (c - a) - (b - d) * (b + d));
    }
  }
  return { cr, ci };
}

/** The shift with the best normalised cross-correlation, from the correlation sums `cross` (pw x ph, unscaled). */
function bestShift(
  cross: Float64Array,
  pw: number,
  ph: number,
  template: GreyImage,
  image: GreyImage,
  ts: { sum: Float64Array; squares: Float64Array },
  vs: { sum: Float64Array; squares: Float64Array },
  rx: number,
  ry: number,
): Affine {
  const { width, height } = template;
  const scale = 1 / (pw * ph);
  let best = -Infinity;
  let bestDx = 0;
  let bestDy = 0;
  for (let dy = -ry; dy <= ry; dy++) {
    for (let dx = -rx; dx <= rx; dx++) {
      const x0 = Math.max(0, -dx);
      const x1 = Math.min(width, image.width - dx);
      const y0 = Math.max(0, -dy);
      const y1 = Math.min(height, image.height - dy);
      const n = (x1 - x0) * (y1 - y0);
      // Demand half the frame in common, so a tiny overlap cannot win by chance.
      if (x1 <= x0 || y1 <= y0 || n < 0.5 * width * height) continue;
      const st = rectangleSum(ts.sum, width, x0, y0, x1, y1);
      const stt = rectangleSum(ts.squares, width, x0, y0, x1, y1);
      const si = rectangleSum(vs.sum, image.width, x0 + dx, y0 + dy, x1 + dx, y1 + dy);
      const sii = rectangleSum(vs.squares, image.width, x0 + dx, y0 + dy, x1 + dx, y1 + dy);
      const sti = cross[((dy + ph) % ph) * pw + ((dx + pw) % pw)] * scale;
      const cov = sti - (st * si) / n;
      const den = Math.sqrt(Math.max(1e-12, (stt - (st * st) / n) * (sii - (si * si) / n)));
      // A slight preference for small shifts breaks ties on repetitive texture.
      const score = cov / den - 1e-4 * Math.hypot(dx / rx, dy / ry);
      if (score > best) {
        best = score;
        bestDx = dx;
        bestDy = dy;
      }
    }
  }
  return [1, 0, bestDx, 0, 1, bestDy];
}

