// Stage "align", estimation: the geometric transform (translation, similarity or affine) and the
// per-channel gain + offset that carry one slice onto its neighbour, from reduced-resolution grey
// copies. Geometry by inverse-compositional Gauss-Newton image alignment on a Gaussian pyramid
// (Baker & Matthews, "Lucas-Kanade 20 Years On: A Unifying Framework", IJCV 56(3), 2004) with a
// global gain/bias fitted in closed form at every iteration, so exposure flicker does not bias the
// geometry (the photometric invariance of ECC, Evangelidis & Psarakis, IEEE PAMI 30(10), 2008).
// A coarse exhaustive translation search by normalised cross-correlation seeds the pyramid, so
// shifts up to a quarter of the frame are caught. Slices differ in what is sharp, so everything
// is estimated on low-passed images: the pyramid levels, and the block means the brightness
// fit uses (blur keeps local means, which is what gain and offset act on).
import FFT from 'fft.js';
import {
  type Affine,
  IDENTITY,
  applyAffine,
  composeAffine,
  invertAffine,
  type GreyImage,
  type ColourThumb,
  fullToReducedTransform,
  reducedToFullTransform,
} from './align-geometry';
import type { AlignmentCopies } from './align-prepare';

export type AlignModel = 'translation' | 'similarity' | 'affine';

export interface PairEstimate {
  /** Maps pixel coordinates of slice `a` (the template) onto slice `b`, at the grey copies' scale. */
  matrix: Affine;
  /** Normalised cross-correlation of the aligned low-passed images, 1 = identical up to gain. */
  correlation: number;
  /** Whether the last Gauss-Newton update moved the corners by less than the tolerance. */
  converged: boolean;
}

const PARAMS: Record<AlignModel, number> = { translation: 2, similarity: 4, affine: 6 };

/** Coarsest pyramid level's longest side: small enough for an exhaustive translation search. */
const SEARCH_SIDE = 96;
/** Largest shift the coarse search tries, as a fraction of the frame (the plausibility limit). */
const SEARCH_FRACTION = 0.27;
/** Samples used per level at most: beyond this the fit is no more accurate, only slower. */
const MAX_SAMPLES = 250_000;
/** Stop when the update moves every corner by less than this (pixels of the level). */
const CORNER_TOLERANCE = 0.002;

// The per-pixel loops below live in small functions, one loop (often one row) each: V8 compiles a
// long loop only while it runs (on-stack replacement), and code after it that has not run yet
// throws that compiled code away again, many times over on a worker's first slices; a small
// function called per row is compiled whole after a few rows.

const BINOMIAL = [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16];

/** One separable binomial [1 4 6 4 1]/16 blur with edge replication, then 2x decimation. */
export function downsample(image: GreyImage): GreyImage {
  const { width, height } = image;
  const w2 = Math.max(1, Math.floor(width / 2));
  const h2 = Math.max(1, Math.floor(height / 2));
  // Level pixel i covers parent pixels 2i and 2i+1: its centre is at parent 2i + 0.5. Each row's
  // column pairs are summed once (exactly, in doubles), then the rows are filtered.
  const pairs = columnPairs(blurRows(image), width, height, w2);
  return { width: w2, height: h2, data: blurAndHalveColumns(pairs, w2, height, h2) };
}

function blurRows(image: GreyImage): Float32Array {
  const out = new Float32Array(image.width * image.height);
  for (let y = 0; y < image.height; y++) blurRow(image, y, out);
  return out;
}

function blurRow({ width, data }: GreyImage, y: number, out: Float32Array): void {
  const [k0, k1, k2, k3, k4] = BINOMIAL;
  const row = y * width;
  // Inside the row the taps need no clamping: the same sum in the same order, in a loop of its own.
  for (let i = row + 2; i < row + width - 2; i++) out[i] = k0 * data[i - 2] + k1 * data[i - 1] + k2 * data[i] + k3 * data[i + 1] + k4 * data[i + 2];
  for (const x of [0, 1, width - 2, width - 1]) {
    if (x < 0 || x >= width) continue;
    let s = 0;
    for (let t = -2; t <= 2; t++) {
      const xx = x + t < 0 ? 0 : x + t >= width ? width - 1 : x + t;
      s += BINOMIAL[t + 2] * data[row + xx];
    }
    out[row + x] = s;
  }
}

function columnPairs(rows: Float32Array, width: number, height: number, w2: number): Float64Array {
  const pairs = new Float64Array(w2 * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < w2; x++) pairs[y * w2 + x] = rows[y * width + 2 * x] + rows[y * width + Math.min(width - 1, 2 * x + 1)];
  }
  return pairs;
}

function blurAndHalveColumns(pairs: Float64Array, w2: number, height: number, h2: number): Float32Array {
  const out = new Float32Array(w2 * h2);
  // Halved weights: w * 0.5 is exact, so the products are as in w * 0.5 * pair.
  const [k0, k1, k2, k3, k4] = BINOMIAL.map((w) => w * 0.5);
  for (let y = 0; y < h2; y++) {
    if (2 * y - 2 >= 0 && 2 * y + 3 <= height - 1) {
      // Rows 2y-2 .. 2y+3 all exist: no clamps, the same sum in the same order.
      const r = (2 * y - 2) * w2;
      for (let x = 0; x < w2; x++) {
        const i = r + x;
        const s =
          k0 * pairs[i] + k0 * pairs[i + w2] +
          k1 * pairs[i + w2] + k1 * pairs[i + 2 * w2] +
          k2 * pairs[i + 2 * w2] + k2 * pairs[i + 3 * w2] +
          k3 * pairs[i + 3 * w2] + k3 * pairs[i + 4 * w2] +
          k4 * pairs[i + 4 * w2] + k4 * pairs[i + 5 * w2];
        out[y * w2 + x] = s / 2;
      }
      continue;
    }
    for (let x = 0; x < w2; x++) {
      let s = 0;
      for (let t = -2; t <= 2; t++) {
        const w = BINOMIAL[t + 2];
        const ya = Math.min(height - 1, Math.max(0, 2 * y + t));
        const yb = Math.min(height - 1, Math.max(0, 2 * y + 1 + t));
        s += w * 0.5 * pairs[ya * w2 + x];
        s += w * 0.5 * pairs[yb * w2 + x];
      }
      out[y * w2 + x] = s / 2;
    }
  }
  return out;
}

/** Gaussian pyramid, finest first, down to about SEARCH_SIDE on the longest side. */
export function buildPyramid(image: GreyImage): GreyImage[] {
  const levels = [image];
  while (Math.max(levels[levels.length - 1].width, levels[levels.length - 1].height) > SEARCH_SIDE * 1.5) {
    levels.push(downsample(levels[levels.length - 1]));
  }
  return levels;
}

/** Level l+1 coordinates from level l: pixel centres at (p + 0.5) / 2 - 0.5. */
const HALVE: Affine = [0.5, 0, -0.25, 0, 0.5, -0.25];
const DOUBLE: Affine = invertAffine(HALVE);

/** Carries a transform between levels: M_fine = D^-1 M_coarse D with D mapping fine to coarse. */
function toFinerLevel(m: Affine): Affine {
  return composeAffine(DOUBLE, composeAffine(m, HALVE));
}

function bilinear(image: GreyImage, x: number, y: number): number {
  const { width, data } = image;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const i = y0 * width + x0;
  const top = data[i] + (data[i + 1] - data[i]) * fx;
  const bottom = data[i + width] + (data[i + width + 1] - data[i + width]) * fx;
  return top + (bottom - top) * fy;
}

/** Twiddle factors e^(-2 pi i k / n), k < n / 2, computed directly (no recurrence drift). */
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
function searchTranslation(template: GreyImage, image: GreyImage): Affine {
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

interface Samples {
  count: number;
  x: Float32Array;
  y: Float32Array;
  value: Float32Array;
  /** Steepest-descent vectors, `params` per sample. */
  steepest: Float32Array;
}

/** The k-th smallest of `values` (0-based), as sorting would find it; reorders `values` (Hoare's selection). */
function kthSmallest(values: Float32Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const swap = values[i];
        values[i] = values[j];
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k];
}

/**
 * Chooses template pixels with strong gradients (flat areas add noise, not information) and
 * precomputes their steepest-descent vectors grad(T) * dW/dp at the identity.
 */
function selectSamples(template: GreyImage, model: AlignModel): Samples {
  const { width, height } = template;
  // Keep the stronger half of the gradients (threshold: the median over a strided sample of pixels).
  const threshold = stridedMedianMagnitude(template, Math.max(1, Math.floor((width * height) / 20000)));
  // Candidates in row-major order; every step-th is kept, so at most MAX_SAMPLES spread evenly.
  const { candidates, count } = listStrongGradients(template, threshold);
  return samplesAt(template, model, candidates, count, Math.max(1, Math.ceil(count / MAX_SAMPLES)));
}

/** Squared central-difference gradient magnitude at pixel i (in float32), 0 on the border. */
function gradientMagnitude({ width, height, data }: GreyImage, i: number): number {
  const x = i % width;
  const y = (i - x) / width;
  if (x < 1 || y < 1 || x >= width - 1 || y >= height - 1) return 0;
  const gx = 0.5 * (data[i + 1] - data[i - 1]);
  const gy = 0.5 * (data[i + width] - data[i - width]);
  return Math.fround(gx * gx + gy * gy);
}

/** The median (the upper one of an even count) of the gradient magnitude at every `stride`-th pixel. */
function stridedMedianMagnitude(image: GreyImage, stride: number): number {
  const n = image.width * image.height;
  const probe = new Float32Array(Math.ceil(n / stride));
  for (let i = 0, k = 0; i < n; i += stride) probe[k++] = gradientMagnitude(image, i);
  return kthSmallest(probe, Math.floor(probe.length * 0.5));
}

/** The pixels whose gradient magnitude (as gradientMagnitude) is above `threshold`, in row-major order. */
function listStrongGradients(image: GreyImage, threshold: number): { candidates: Int32Array; count: number } {
  const candidates = new Int32Array(image.width * image.height);
  let count = 0;
  for (let y = 1; y < image.height - 1; y++) count = listStrongInRow(image, y, threshold, candidates, count);
  return { candidates, count };
}

/** Appends row y's interior pixels above `threshold` to `candidates` from `count`; returns the new count. */
function listStrongInRow({ width, data }: GreyImage, y: number, threshold: number, candidates: Int32Array, count: number): number {
  for (let i = y * width + 1; i < (y + 1) * width - 1; i++) {
    const gx = 0.5 * (data[i + 1] - data[i - 1]);
    const gy = 0.5 * (data[i + width] - data[i - width]);
    // Written always, kept by counting: half the pixels pass, so a branch would mispredict.
    candidates[count] = i;
    count += +(Math.fround(gx * gx + gy * gy) > threshold);
  }
  return count;
}

/** Samples at every `step`-th candidate pixel, with their steepest-descent vectors. */
function samplesAt({ width, height, data }: GreyImage, model: AlignModel, candidates: Int32Array, count: number, step: number): Samples {
  const params = PARAMS[model];
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const scale = Math.hypot(cx, cy);
  const capacity = Math.ceil(count / step) + 1;
  const xs = new Float32Array(capacity);
  const ys = new Float32Array(capacity);
  const values = new Float32Array(capacity);
  const steepest = new Float32Array(capacity * params);
  const similarity = model === 'similarity';
  const affine = model === 'affine';
  let n = 0;
  for (let c = 0; c < count; c += step, n++) {
    const i = candidates[c];
    const x = i % width;
    const y = (i - x) / width;
    const gx = 0.5 * (data[i + 1] - data[i - 1]);
    const gy = 0.5 * (data[i + width] - data[i - width]);
    const u = (x - cx) / scale;
    const v = (y - cy) / scale;
    xs[n] = x;
    ys[n] = y;
    values[n] = data[i];
    const s = n * params;
    steepest[s] = gx;
    steepest[s + 1] = gy;
    if (similarity) {
      steepest[s + 2] = gx * u + gy * v;
      steepest[s + 3] = -gx * v + gy * u;
    } else if (affine) {
      steepest[s + 2] = gx * u;
      steepest[s + 3] = gx * v;
      steepest[s + 4] = gy * u;
      steepest[s + 5] = gy * v;
    }
  }
  return { count: n, x: xs, y: ys, value: values, steepest };
}

/** The warp W(x; p) for a parameter update, in the level's pixel coordinates. */
function paramsToAffine(p: Float64Array, model: AlignModel, width: number, height: number): Affine {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const s = Math.hypot(cx, cy);
  // Parameters are corner displacements in pixels (coordinates normalised by the half-diagonal),
  // which keeps the normal equations well conditioned and the stopping rule in pixels.
  let a = 1;
  let b = 0;
  let d = 0;
  let e = 1;
  if (model === 'similarity') {
    a = 1 + p[2] / s;
    e = a;
    b = -p[3] / s;
    d = p[3] / s;
  } else if (model === 'affine') {
    a = 1 + p[2] / s;
    b = p[3] / s;
    d = p[4] / s;
    e = 1 + p[5] / s;
  }
  // Linear part about the centre, then the shift.
  return [a, b, cx + p[0] - a * cx - b * cy, d, e, cy + p[1] - d * cx - e * cy];
}

/** Solves the small symmetric system H x = g by Gaussian elimination with partial pivoting. */
function solve(h: Float64Array, g: Float64Array, n: number): Float64Array | undefined {
  const a = Array.from({ length: n }, (_, r) => [...h.subarray(r * n, r * n + n), g[r]]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) pivot = r;
    if (!(Math.abs(a[pivot][c]) > 1e-12)) return undefined;
    [a[c], a[pivot]] = [a[pivot], a[c]];
    for (let r = c + 1; r < n; r++) {
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = a[r][n];
    for (let k = r + 1; k < n; k++) s -= a[r][k] * x[k];
    x[r] = s / a[r][r];
  }
  return x;
}

interface LevelResult {
  matrix: Affine;
  correlation: number;
  converged: boolean;
}

/** Sums over template samples that no warp changes: the Gauss-Newton Hessian, sum SD and sum SD T. */
interface TemplateSums {
  /** sum SD SD^T, params x params, row-major. */
  hessian: Float64Array;
  steepest: Float64Array;
  steepestTimesValue: Float64Array;
}

/**
 * TemplateSums over the samples `indices`, or over every sample. Unrolled into locals (the
 * models have 2, 4 or 6 parameters): accumulating in a typed array costs a load and a store per term.
 */
function templateSums(samples: Samples, params: number, indices?: Int32Array): TemplateSums {
  const sd = samples.steepest;
  const count = indices ? indices.length : samples.count;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0;
  let v0 = 0, v1 = 0, v2 = 0, v3 = 0, v4 = 0, v5 = 0;
  let h00 = 0, h01 = 0, h02 = 0, h03 = 0, h04 = 0, h05 = 0;
  let h11 = 0, h12 = 0, h13 = 0, h14 = 0, h15 = 0;
  let h22 = 0, h23 = 0, h24 = 0, h25 = 0;
  let h33 = 0, h34 = 0, h35 = 0;
  let h44 = 0, h45 = 0;
  let h55 = 0;
  for (let c = 0; c < count; c++) {
    const k = indices ? indices[c] : c;
    const s = k * params;
    const t = samples.value[k];
    const a0 = sd[s];
    const a1 = sd[s + 1];
    s0 += a0;
    v0 += a0 * t;
    h00 += a0 * a0;
    h01 += a0 * a1;
    s1 += a1;
    v1 += a1 * t;
    h11 += a1 * a1;
    if (params > 2) {
      const a2 = sd[s + 2];
      const a3 = sd[s + 3];
      h02 += a0 * a2;
      h03 += a0 * a3;
      h12 += a1 * a2;
      h13 += a1 * a3;
      s2 += a2;
      v2 += a2 * t;
      h22 += a2 * a2;
      h23 += a2 * a3;
      s3 += a3;
      v3 += a3 * t;
      h33 += a3 * a3;
      if (params > 4) {
        const a4 = sd[s + 4];
        const a5 = sd[s + 5];
        h04 += a0 * a4;
        h05 += a0 * a5;
        h14 += a1 * a4;
        h15 += a1 * a5;
        h24 += a2 * a4;
        h25 += a2 * a5;
        h34 += a3 * a4;
        h35 += a3 * a5;
        s4 += a4;
        v4 += a4 * t;
        h44 += a4 * a4;
        h45 += a4 * a5;
        s5 += a5;
        v5 += a5 * t;
        h55 += a5 * a5;
      }
    }
  }
  const upper = [
    [h00, h01, h02, h03, h04, h05],
    [0, h11, h12, h13, h14, h15],
    [0, 0, h22, h23, h24, h25],
    [0, 0, 0, h33, h34, h35],
    [0, 0, 0, 0, h44, h45],
    [0, 0, 0, 0, 0, h55],
  ];
  const hessian = new Float64Array(params * params);
  for (let i = 0; i < params; i++) for (let j = 0; j < params; j++) hessian[i * params + j] = i <= j ? upper[i][j] : upper[j][i];
  return { hessian, steepest: Float64Array.from([s0, s1, s2, s3, s4, s5].slice(0, params)), steepestTimesValue: Float64Array.from([v0, v1, v2, v3, v4, v5].slice(0, params)) };
}

function subtractSums(all: TemplateSums, part: TemplateSums): TemplateSums {
  const minus = (x: Float64Array, y: Float64Array) => x.map((v, i) => v - y[i]);
  return { hessian: minus(all.hessian, part.hessian), steepest: minus(all.steepest, part.steepest), steepestTimesValue: minus(all.steepestTimesValue, part.steepestTimesValue) };
}

/** n, outside count, sum T, sum I, sum T^2, sum I^2, sum T I, then sum SD I (up to 6 params). */
const WARPED_SUMS = 13;

/**
 * One pass over the samples at the warp `matrix`: the sums refineAtLevel needs (WARPED_SUMS) into
 * `sums`, and the indices of the samples that fall outside the image into `outside`.
 */
function sampleWarped(samples: Samples, params: number, image: GreyImage, matrix: Affine, outside: Int32Array, sums: Float64Array): void {
  const sd = samples.steepest;
  const xMax = image.width - 1;
  const yMax = image.height - 1;
  let n = 0;
  let outsideCount = 0;
  let st = 0;
  let si = 0;
  let stt = 0;
  let sii = 0;
  let sti = 0;
  let g0 = 0;
  let g1 = 0;
  let g2 = 0;
  let g3 = 0;
  let g4 = 0;
  let g5 = 0;
  const [m0, m1, m2, m3, m4, m5] = matrix;
  for (let k = 0; k < samples.count; k++) {
    const x = samples.x[k];
    const y = samples.y[k];
    const wx = m0 * x + m1 * y + m2;
    const wy = m3 * x + m4 * y + m5;
    if (!(wx >= 0 && wy >= 0 && wx < xMax && wy < yMax)) {
      outside[outsideCount++] = k;
      continue;
    }
    const v = bilinear(image, wx, wy);
    const t = samples.value[k];
    n++;
    st += t;
    si += v;
    stt += t * t;
    sii += v * v;
    sti += t * v;
    const s = k * params;
    g0 += sd[s] * v;
    g1 += sd[s + 1] * v;
    if (params > 2) {
      g2 += sd[s + 2] * v;
      g3 += sd[s + 3] * v;
      if (params > 4) {
        g4 += sd[s + 4] * v;
        g5 += sd[s + 5] * v;
      }
    }
  }
  sums.set([n, outsideCount, st, si, stt, sii, sti, g0, g1, g2, g3, g4, g5]);
}

/**
 * Inverse-compositional Gauss-Newton at one level, with gain/bias refitted each iteration. The
 * residual gain I(W(x)) + bias - T(x) has T's steepest-descent vectors SD as its Jacobian, so the
 * Hessian, sum SD and sum SD T depend only on which samples land inside the image: they are summed
 * once over all samples (Baker & Matthews' precomputation) and those outside are taken off. An
 * iteration is then one pass over the samples, with g = gain sum(SD I) + bias sum(SD) - sum(SD T).
 */
function refineAtLevel(template: GreyImage, image: GreyImage, start: Affine, model: AlignModel, maxIterations: number): LevelResult {
  const params = PARAMS[model];
  const samples = selectSamples(template, model);
  const all = templateSums(samples, params);
  const outside = new Int32Array(samples.count);
  let matrix = start;
  let correlation = 0;
  let converged = false;
  const g = new Float64Array(params);
  const sums = new Float64Array(WARPED_SUMS);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    // Sample I(W(x; p)) for the gain/bias that best maps it onto T, and sum SD I alongside.
    sampleWarped(samples, params, image, matrix, outside, sums);
    const [n, outsideCount, st, si, stt, sii, sti] = sums;
    if (n < 10 * params) return { matrix, correlation: 0, converged: false };
    const varI = sii - (si * si) / n;
    const varT = stt - (st * st) / n;
    const cov = sti - (st * si) / n;
    correlation = cov / Math.sqrt(Math.max(1e-12, varI * varT));
    const gain = varI > 1e-12 ? cov / varI : 1;
    const bias = (st - gain * si) / n;
    // Normal equations of the geometric update on the photometrically matched residual.
    const inside = outsideCount === 0 ? all : subtractSums(all, templateSums(samples, params, outside.subarray(0, outsideCount)));
    for (let i = 0; i < params; i++) g[i] = gain * sums[7 + i] + bias * inside.steepest[i] - inside.steepestTimesValue[i];
    const delta = solve(inside.hessian, g, params);
    if (!delta || delta.some((v) => !Number.isFinite(v))) return { matrix, correlation, converged: false };
    // W <- W o W(dp)^-1 (the inverse-compositional update).
    const step = paramsToAffine(delta, model, template.width, template.height);
    matrix = composeAffine(matrix, invertAffine(step));
    if (cornerMotion(step, template.width, template.height) < CORNER_TOLERANCE) {
      converged = true;
      break;
    }
  }
  return { matrix, correlation, converged };
}

/** Largest displacement of the frame's corners under `m` relative to the identity, in pixels. */
export function cornerMotion(m: Affine, width: number, height: number, from: Affine = IDENTITY): number {
  let worst = 0;
  for (const [x, y] of [
    [0, 0],
    [width - 1, 0],
    [0, height - 1],
    [width - 1, height - 1],
  ]) {
    const [ax, ay] = applyAffine(m, x, y);
    const [bx, by] = applyAffine(from, x, y);
    worst = Math.max(worst, Math.hypot(ax - bx, ay - by));
  }
  return worst;
}

/**
 * Estimates the transform taking slice `a` (template, pyramid `pa`) onto slice `b` (`pb`): coarse translation search,
 * then Gauss-Newton level by level, translation first at the coarsest level.
 */
export function estimatePair(pa: GreyImage[], pb: GreyImage[], model: AlignModel): PairEstimate {
  const top = pa.length - 1;
  let matrix = searchTranslation(pa[top], pb[top]);
  let result: LevelResult = { matrix, correlation: 0, converged: false };
  for (let level = top; level >= 0; level--) {
    if (level === top) matrix = refineAtLevel(pa[level], pb[level], matrix, 'translation', 30).matrix;
    // Coarse levels only need to land inside the next level's basin; the finest one decides.
    result = refineAtLevel(pa[level], pb[level], matrix, model, level === 0 ? 40 : 20);
    matrix = result.matrix;
    if (level > 0) matrix = toFinerLevel(matrix);
  }
  return { matrix, correlation: result.correlation, converged: result.converged };
}

/** Gain and offset per colour channel: corrected = gain * value + offset (in sample units). */
export interface BrightnessFit {
  gains: number[];
  offsets: number[];
}

/**
 * Side of the blocks (in colour-copy pixels, 1/16 of its longest side) averaged before the
 * brightness fit: measured on synthetic brackets, blocks of 1/64 of the frame left 2-3% gain
 * error from the blur difference at the ends of a bracket, 1/16 stays under 1%.
 */
const BRIGHTNESS_BLOCK = 32;

/**
 * Fits, per channel, ref ~ gain * slice + offset over the overlap, `matrix` mapping colour-copy
 * coordinates of `ref` onto `slice`. The slice is first resampled onto the reference's grid and
 * only then are both low-passed (block means), so the low-pass covers the same content in both:
 * filtering each in its own frame would blur a magnified slice less and bias the gain. Iteratively
 * reweighted least squares with Tukey's biweight (Holland & Welsch 1977): blur differences leave
 * outliers where detail is, and those must not tilt the line.
 */
export function fitBrightness(ref: ColourThumb, slice: ColourThumb, matrix: Affine): BrightnessFit {
  const { xs, ys } = blockMeans(ref, slice, matrix);
  const gains: number[] = [];
  const offsets: number[] = [];
  for (let c = 0; c < ref.channels; c++) {
    const fit = robustLine(xs[c], ys[c]);
    gains.push(fit.gain);
    offsets.push(fit.offset);
  }
  return { gains, offsets };
}

/** Per channel, the means of `slice` resampled onto `ref`'s grid (xs) and of `ref` (ys) over each block wholly inside both. */
function blockMeans(ref: ColourThumb, slice: ColourThumb, matrix: Affine): { xs: number[][]; ys: number[][] } {
  const { width, height, channels } = ref;
  const bw = Math.floor(width / BRIGHTNESS_BLOCK);
  const bh = Math.floor(height / BRIGHTNESS_BLOCK);
  const xs: number[][] = Array.from({ length: channels }, () => []);
  const ys: number[][] = Array.from({ length: channels }, () => []);
  const sumRef = new Float64Array(channels);
  const sumSlice = new Float64Array(channels);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      if (!sumBlock(ref, slice, matrix, bx * BRIGHTNESS_BLOCK, by * BRIGHTNESS_BLOCK, sumRef, sumSlice)) continue;
      for (let c = 0; c < channels; c++) {
        xs[c].push(sumSlice[c] / BRIGHTNESS_BLOCK ** 2);
        ys[c].push(sumRef[c] / BRIGHTNESS_BLOCK ** 2);
      }
    }
  }
  return { xs, ys };
}

/**
 * Sums over one block from (x0, y0) of `ref` and of `slice` resampled bilinearly through `matrix`,
 * per channel; false (sums unfinished) when the block reaches outside `slice`. A small function
 * called per block is compiled by V8 after a few blocks, where one long loop nest waits longer.
 */
function sumBlock(ref: ColourThumb, slice: ColourThumb, matrix: Affine, x0: number, y0: number, sumRef: Float64Array, sumSlice: Float64Array): boolean {
  const { width, channels } = ref;
  const [m0, m1, m2, m3, m4, m5] = matrix;
  sumRef.fill(0);
  sumSlice.fill(0);
  for (let y = y0; y < y0 + BRIGHTNESS_BLOCK; y++) {
    for (let x = x0; x < x0 + BRIGHTNESS_BLOCK; x++) {
      const wx = m0 * x + m1 * y + m2;
      const wy = m3 * x + m4 * y + m5;
      if (!(wx >= 0 && wy >= 0 && wx < slice.width - 1 && wy < slice.height - 1)) return false;
      const xi = Math.floor(wx);
      const yi = Math.floor(wy);
      const fx = wx - xi;
      const fy = wy - yi;
      const i = (yi * slice.width + xi) * channels;
      const j = i + slice.width * channels;
      for (let c = 0; c < channels; c++) {
        const top = slice.data[i + c] + (slice.data[i + channels + c] - slice.data[i + c]) * fx;
        const bottom = slice.data[j + c] + (slice.data[j + channels + c] - slice.data[j + c]) * fx;
        sumSlice[c] += top + (bottom - top) * fy;
        sumRef[c] += ref.data[(y * width + x) * channels + c];
      }
    }
  }
  return true;
}

function robustLine(xs: number[], ys: number[]): { gain: number; offset: number } {
  const n = xs.length;
  if (n < 16) return { gain: 1, offset: 0 };
  const weights = new Float64Array(n).fill(1);
  let gain = 1;
  let offset = 0;
  for (let iteration = 0; iteration < 10; iteration++) {
    let sw = 0;
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      sw += weights[i];
      sx += weights[i] * xs[i];
      sy += weights[i] * ys[i];
    }
    const mx = sx / sw;
    const my = sy / sw;
    let sxx = 0;
    let sxy = 0;
    for (let i = 0; i < n; i++) {
      sxx += weights[i] * (xs[i] - mx) ** 2;
      sxy += weights[i] * (xs[i] - mx) * (ys[i] - my);
    }
    // A nearly flat overlap cannot tell gain from offset: match the means with a gain alone,
    // the physical model of exposure flicker and white-balance drift.
    if (!(sxx > sw * (0.03 * Math.abs(mx) + 1e-6) ** 2)) return { gain: mx > 0 && my > 0 ? my / mx : 1, offset: 0 };
    gain = sxy / sxx;
    offset = my - gain * mx;
    const residuals = xs.map((x, i) => Math.abs(ys[i] - gain * x - offset));
    const sorted = [...residuals].sort((a, b) => a - b);
    // Scale by the median absolute residual (1.4826 makes it a standard deviation for Gaussians).
    const sigma = Math.max(1e-6, 1.4826 * sorted[Math.floor(n / 2)]);
    const cutoff = 4.685 * sigma;
    for (let i = 0; i < n; i++) {
      const u = residuals[i] / cutoff;
      weights[i] = u < 1 ? (1 - u * u) ** 2 : 0;
    }
  }
  return { gain, offset };
}

/** One estimate between a slice and its neighbour towards the reference, full-resolution pixels. */
export interface PairResult {
  /** Maps pixel coordinates of the neighbour (nearer the reference) onto the slice. */
  matrix: Affine;
  correlation: number;
  converged: boolean;
  /** neighbour ~ gain * slice + offset. */
  brightness?: BrightnessFit;
  /** Set when the estimate could not be made at all (e.g. the slice is too small). */
  error?: string;
}


/** Minimum size of the grey copy for a meaningful estimate. */
const MIN_SIDE = 32;

/**
 * Estimates slice `far` against its neighbour `near` (the one nearer the reference) from their
 * reduced copies, and expresses the result at the full resolution `width` x `height`.
 */
export function estimateNeighbour(near: AlignmentCopies, far: AlignmentCopies, model: AlignModel, width: number, height: number): PairResult {
  const grey = near.pyramid[0];
  if (Math.min(grey.width, grey.height) < MIN_SIDE) {
    return { matrix: IDENTITY, correlation: 0, converged: false, error: `the slices are too small to align (under ${MIN_SIDE} px)` };
  }
  const found = estimatePair(near.pyramid, far.pyramid, model);
  const matrix = reducedToFullTransform(found.matrix, width, height, grey.width, grey.height);
  const onColour = fullToReducedTransform(matrix, width, height, near.colour.width, near.colour.height);
  return { matrix, correlation: found.correlation, converged: found.converged, brightness: fitBrightness(near.colour, far.colour, onColour) };
}
