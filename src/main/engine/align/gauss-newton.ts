// Stage "align": inverse-compositional Gauss-Newton image alignment on the pyramid (Baker &
// Matthews, "Lucas-Kanade 20 Years On", IJCV 56(3), 2004) with a global gain/bias fitted in closed
// form at every iteration (the photometric invariance of ECC, Evangelidis & Psarakis, PAMI 2008).
import {
  type Affine,
  IDENTITY,
  applyAffine,
  composeAffine,
  invertAffine,
  type GreyImage,
} from './geometry';
import { searchTranslation } from './translation-search';

export type AlignModel = 'translation' | 'similarity' | 'affine';

export interface PairEstimate {
  /** Maps pixel coordinates of slice `a` (the template) onto slice `b`, at the grey copies' scale. */
  matrix: Affine;
  /** Normalised cross-correlation of the aligned low-passed images, 1 = identical up to gain. */
  correlation: number;
  /** Whether the last Gauss-Newton update moved the corners by less than the tolerance. */
  converged: boolean;
  /**
   * With checkQuadrants: the model estimated again on each quadrant of the finest level alone
   * (undefined for a quadrant with too little detail), at the grey copies' scale.
   */
  quadrants?: Array<QuadrantEstimate | undefined>;
}

const PARAMS: Record<AlignModel, number> = { translation: 2, similarity: 4, affine: 6 };
/** Samples used per level at most: beyond this the fit is no more accurate, only slower. */
const MAX_SAMPLES = 250_000;
/** Stop when the update moves every corner by less than this (pixels of the level). */
const CORNER_TOLERANCE = 0.002;

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

export interface LevelResult {
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
  return refineSamples(selectSamples(template, model), template, image, start, model, maxIterations);
}

/** refineAtLevel on chosen template `samples` (steepest-descent vectors of `model`). */
function refineSamples(samples: Samples, template: GreyImage, image: GreyImage, start: Affine, model: AlignModel, maxIterations: number): LevelResult {
  const params = PARAMS[model];
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

/** Fewer strong-gradient samples than this in a quadrant leave it out of the spread (1% of a 1024x768 copy's). */
const MIN_QUADRANT_SAMPLES = 2000;
/**
 * Gauss-Newton iterations per quadrant, from the whole frame's answer: as many as the finest
 * level's coarser-level refinements get. With 8, quadrants still moving stopped early and the
 * spread came out 10-40% lower on stacks that never moved (closer to their defocus drift).
 */
const QUADRANT_ITERATIONS = 20;

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface QuadrantEstimate extends LevelResult {
  /** The quadrant, in the template's pixels. */
  quadrant: Rectangle;
}

/** The samples of `samples` whose pixel lies in [x0, x1) x [y0, y1). */
function samplesInside(samples: Samples, params: number, r: Rectangle): Samples {
  const inside = (k: number) => samples.x[k] >= r.x && samples.x[k] < r.x + r.width && samples.y[k] >= r.y && samples.y[k] < r.y + r.height;
  let count = 0;
  for (let k = 0; k < samples.count; k++) if (inside(k)) count++;
  const out: Samples = { count, x: new Float32Array(count), y: new Float32Array(count), value: new Float32Array(count), steepest: new Float32Array(count * params) };
  for (let k = 0, n = 0; k < samples.count; k++) {
    if (!inside(k)) continue;
    out.x[n] = samples.x[k];
    out.y[n] = samples.y[k];
    out.value[n] = samples.value[k];
    for (let p = 0; p < params; p++) out.steepest[n * params + p] = samples.steepest[k * params + p];
    n++;
  }
  return out;
}

/**
 * The same model estimated again on each quadrant of the template alone, starting from the
 * whole frame's `matrix`. Motion of the camera moves every quadrant alike; defocus does not
 * (a bright edge spreading as it blurs moves only the quadrants it crosses), so the quadrants'
 * disagreement measures how far the whole-frame estimate can be trusted. Tried and dropped, on
 * stacks that never moved: a shift alone per quadrant (cheaper, but a depth slope makes defocus
 * drift every quadrant alike, and 20 of 39 slices of the 40-slice slope stack were then taken
 * as moved) and the spread between the two finest pyramid levels (0.02-0.04 px a pair there,
 * under the 0.05 px the slope drifts each pair).
 */
function quadrantEstimates(samples: Samples, template: GreyImage, image: GreyImage, matrix: Affine, model: AlignModel): Array<QuadrantEstimate | undefined> {
  const params = PARAMS[model];
  const midX = Math.floor(template.width / 2);
  const midY = Math.floor(template.height / 2);
  const quadrants: Rectangle[] = [
    { x: 0, y: 0, width: midX, height: midY },
    { x: midX, y: 0, width: template.width - midX, height: midY },
    { x: 0, y: midY, width: midX, height: template.height - midY },
    { x: midX, y: midY, width: template.width - midX, height: template.height - midY },
  ];
  return quadrants.map((quadrant) => {
    // Every model's first two steepest-descent components are the translation's.
    const inside = samplesInside(samples, params, quadrant);
    // A quadrant with little detail says nothing either way.
    if (inside.count < MIN_QUADRANT_SAMPLES) return undefined;
    const found = refineSamples(inside, template, image, matrix, model, QUADRANT_ITERATIONS);
    return found.correlation > 0 ? { ...found, quadrant } : undefined;
  });
}

/** Largest displacement of the frame's corners under `m` relative to the identity, in pixels. */
export function cornerMotion(m: Affine, width: number, height: number, from: Affine = IDENTITY): number {
  return rectangleMotion(m, { x: 0, y: 0, width, height }, from);
}

/** Largest displacement of the corners of pixel rectangle `r` under `m` relative to `from`. */
export function rectangleMotion(m: Affine, r: Rectangle, from: Affine = IDENTITY): number {
  let worst = 0;
  for (const [x, y] of [
    [r.x, r.y],
    [r.x + r.width - 1, r.y],
    [r.x, r.y + r.height - 1],
    [r.x + r.width - 1, r.y + r.height - 1],
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
export function estimatePair(pa: GreyImage[], pb: GreyImage[], model: AlignModel, checkQuadrants = false): PairEstimate {
  const top = pa.length - 1;
  let matrix = searchTranslation(pa[top], pb[top]);
  let result: LevelResult = { matrix, correlation: 0, converged: false };
  let quadrants: PairEstimate['quadrants'];
  for (let level = top; level >= 0; level--) {
    if (level === top) matrix = refineAtLevel(pa[level], pb[level], matrix, 'translation', 30).matrix;
    // Coarse levels only need to land inside the next level's basin; the finest one decides.
    const samples = selectSamples(pa[level], model);
    result = refineSamples(samples, pa[level], pb[level], matrix, model, level === 0 ? 40 : 20);
    matrix = result.matrix;
    if (level > 0) matrix = toFinerLevel(matrix);
    else if (checkQuadrants) quadrants = quadrantEstimates(samples, pa[0], pb[0], matrix, model);
  }
  return { matrix, correlation: result.correlation, converged: result.converged, ...(quadrants ? { quadrants } : {}) };
}

