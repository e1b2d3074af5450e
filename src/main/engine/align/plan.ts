// Stage "align", planning: chains the neighbour-to-neighbour estimates into one transform and one
// brightness correction per slice towards the reference, rejects implausible ones (the slice is
// then left unaligned and named in its status), and finds the frame every slice covers. Chaining
// neighbours rather than matching every slice against the reference works because neighbours
// are focused at nearly the same depth, while distant slices share little sharp detail.
import type { SliceAlignment, SliceRef, StackAlignment } from '../../../shared/types';
import { type Affine, IDENTITY, applyAffine, composeAffine, invertAffine, isFiniteAffine } from './geometry';
import type { PairResult } from './estimate';
import { type AlignModel, cornerMotion } from './gauss-newton';
import { AUTO_ALIGN_MIN_MOTION, AUTO_ALIGN_SIGNIFICANCE } from '../../../shared/options';
import { IDENTITY_TOLERANCE, type SliceWarp } from './warp';

/** Largest magnification change accepted between a slice and the reference. */
export const MAX_SCALE_CHANGE = 0.1;
/** Largest shift accepted, as a fraction of the frame's width or height. */
export const MAX_SHIFT_FRACTION = 0.25;
/** Below this normalised correlation of the aligned low-passed images, the match is not trusted. */
export const MIN_CORRELATION = 0.3;
/** Brightness corrections closer to the identity than this are not applied (see withinDeadBand). */
const GAIN_DEAD_BAND = 0.015;
const MID_GREY_DEAD_BAND = 0.005;

export interface AlignmentPlan {
  alignment: Omit<StackAlignment, 'estimateMs'>;
  /** Per slice, what the worker applies (an integer shift without gains is a plain copy). */
  warps: SliceWarp[];
  width: number;
  height: number;
}

/** Why a transform is not believable, or undefined if it is. */
export function implausibility(m: Affine, width: number, height: number): string | undefined {
  if (!isFiniteAffine(m)) return 'the estimate is not a number (NaN)';
  const scale = Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]));
  if (Math.abs(scale - 1) > MAX_SCALE_CHANGE) return `scale ${scale.toFixed(3)} is off by more than ${MAX_SCALE_CHANGE * 100}%`;
  const [cx, cy] = [(width - 1) / 2, (height - 1) / 2];
  const [x, y] = applyAffine(m, cx, cy);
  if (Math.abs(x - cx) > MAX_SHIFT_FRACTION * width || Math.abs(y - cy) > MAX_SHIFT_FRACTION * height) {
    return `shift (${(x - cx).toFixed(1)}, ${(y - cy).toFixed(1)}) px is beyond a quarter of the frame`;
  }
  // A strongly anisotropic or sheared map is no camera motion (affine model only).
  const sx = Math.hypot(m[0], m[3]);
  const sy = Math.hypot(m[1], m[4]);
  if (Math.abs(sx / sy - 1) > MAX_SCALE_CHANGE) return `the axes scale differently (${sx.toFixed(3)} vs ${sy.toFixed(3)})`;
  return undefined;
}

function describe(index: number, slice: SliceRef, m: Affine, width: number, height: number): Omit<SliceAlignment, 'status' | 'gains' | 'offsets' | 'motion'> {
  const [cx, cy] = [(width - 1) / 2, (height - 1) / 2];
  const [x, y] = applyAffine(m, cx, cy);
  return {
    index,
    name: slice.name,
    shiftX: x - cx,
    shiftY: y - cy,
    // The rotation of the closest similarity, which is exact for similarity and translation.
    rotationDeg: (Math.atan2(m[3] - m[1], m[0] + m[4]) * 180) / Math.PI,
    scale: Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3])),
    matrix: [...m],
  };
}

export interface PlanOptions {
  method: AlignModel;
  /** Apply only the motion that is real (options.ts, 'auto'); by default every plausible estimate. */
  auto?: boolean;
  reference: number;
  brightness: boolean;
  keepSize: boolean;
  width: number;
  height: number;
  colourChannels: number;
  maxValue: number;
}

/**
 * Plans the alignment of `slices` from `pairs[k]` (the estimate for slice k against its neighbour
 * towards `reference`; unused at the reference). The output frame is the largest axis-aligned
 * rectangle inside every slice, or the whole reference frame with `keepSize`.
 */
export function planAlignment(slices: SliceRef[], pairs: Array<PairResult | undefined>, options: PlanOptions): AlignmentPlan {
  const { width, height, reference } = options;
  const n = slices.length;
  const { applied, gains, offsets, results } = chainToReference(slices, pairs, options);
  const moved = applied.filter((m) => m !== IDENTITY).length;
  const crop = options.keepSize ? { x: 0, y: 0, width, height } : commonFrame(applied, width, height);
  const shiftToCrop: Affine = [1, 0, crop.x, 0, 1, crop.y];
  const warps = applied.map((m, k) => {
    const apply = options.brightness && !withinDeadBand(gains[k], offsets[k], options.maxValue, results[k].status === 'ok');
    return { matrix: composeAffine(m, shiftToCrop), ...(apply ? { gains: gains[k], offsets: offsets[k] } : {}) };
  });
  const largest = results.reduce((a, b) => (b.motion > a.motion ? b : a));
  return {
    alignment: {
      method: options.method,
      mode: options.auto ? 'auto' : 'forced',
      reference,
      crop,
      applied: moved > 0 || warps.some((w) => w.gains !== undefined),
      largestMotion: { slice: largest.index, motion: largest.motion, ...(largest.uncertainty === undefined ? {} : { uncertainty: largest.uncertainty }) },
      summary: summarise(options, moved, n, largest),
      slices: results,
    },
    warps,
    width: crop.width,
    height: crop.height,
  };
}

/** Per slice: the transform applied, the brightness correction towards the reference, the report. */
interface ChainedSlices {
  applied: Affine[];
  gains: number[][];
  offsets: number[][];
  results: SliceAlignment[];
}

/**
 * Walks out from the reference in both directions, composing each slice's neighbour estimate onto
 * where its neighbour lies, so every slice ends up with one transform and one correction towards
 * the reference (or is left unaligned, with the reason).
 */
function chainToReference(slices: SliceRef[], pairs: Array<PairResult | undefined>, options: PlanOptions): ChainedSlices {
  const { width, height, reference, colourChannels } = options;
  const n = slices.length;
  // Where each slice lies relative to the reference as estimated, and what is applied to it.
  const chain: Affine[] = new Array(n);
  const applied: Affine[] = new Array(n);
  const uncertainty: Array<number | undefined> = new Array(n);
  const gains: number[][] = new Array(n);
  const offsets: number[][] = new Array(n);
  const results: SliceAlignment[] = new Array(n);
  const unity = () => ({ gains: new Array<number>(colourChannels).fill(1), offsets: new Array<number>(colourChannels).fill(0) });
  chain[reference] = applied[reference] = IDENTITY;
  uncertainty[reference] = 0;
  ({ gains: gains[reference], offsets: offsets[reference] } = unity());
  results[reference] = { ...describe(reference, slices[reference], IDENTITY, width, height), motion: 0, uncertainty: 0, status: 'reference', ...unity() };
  for (const direction of [1, -1]) {
    for (let k = reference + direction; k >= 0 && k < n; k += direction) {
      const near = k - direction;
      const pair = pairs[k];
      let reason = pair?.error ?? (pair ? undefined : 'no estimate');
      let matrix: Affine = IDENTITY;
      if (pair && !reason) {
        matrix = composeAffine(pair.matrix, chain[near]);
        reason = untrusted(pair, matrix, slices[near], width, height);
      }
      if (reason || !pair) {
        // Left unaligned: later slices chain on from where this one really lies.
        chain[k] = applied[k] = IDENTITY;
        uncertainty[k] = 0;
        ({ gains: gains[k], offsets: offsets[k] } = unity());
        results[k] = { ...describe(k, slices[k], IDENTITY, width, height), motion: 0, status: 'failed', reason, ...unity() };
        continue;
      }
      chain[k] = matrix;
      // Chained estimates add their errors; a link that could not be checked leaves the chain unchecked.
      const spread = uncertainty[near] === undefined || pair.uncertainty === undefined ? undefined : uncertainty[near]! + pair.uncertainty;
      uncertainty[k] = spread;
      const motion = cornerMotion(matrix, width, height);
      // near ~ g * slice + o and reference ~ G * near + O give reference ~ G g * slice + (G o + O).
      const fit = pair.brightness;
      gains[k] = gains[near].map((g, c) => g * (fit?.gains[c] ?? 1));
      offsets[k] = offsets[near].map((o, c) => gains[near][c] * (fit?.offsets[c] ?? 0) + o);
      const measured = { motion, ...(spread === undefined ? {} : { uncertainty: spread }) };
      if (options.auto && !isRealMotion(motion, spread)) {
        applied[k] = IDENTITY;
        results[k] = { ...describe(k, slices[k], matrix, width, height), ...measured, status: 'still', ...unity() };
        continue;
      }
      // Motions too small to see are snapped to none, so an aligned stack is not resampled.
      applied[k] = motion < IDENTITY_TOLERANCE ? IDENTITY : matrix;
      results[k] = { ...describe(k, slices[k], applied[k], width, height), ...measured, status: 'ok', gains: gains[k], offsets: offsets[k] };
    }
  }
  return { applied, gains, offsets, results };
}

/** Why an estimate (and the transform it chains to) is not to be trusted, or undefined if it is. */
function untrusted(pair: PairResult, chained: Affine, near: SliceRef, width: number, height: number): string | undefined {
  return (
    implausibility(pair.matrix, width, height) ??
    implausibility(chained, width, height) ??
    (!pair.converged ? 'the estimate did not converge' : undefined) ??
    (!(pair.correlation >= MIN_CORRELATION) ? `too little in common with ${near.name} (correlation ${pair.correlation.toFixed(2)})` : undefined)
  );
}

/**
 * Whether a slice's motion (corner displacement from the reference, px) is camera or subject
 * motion rather than the estimate's error: AUTO_ALIGN_SIGNIFICANCE times beyond its measured
 * uncertainty, and at least AUTO_ALIGN_MIN_MOTION. An estimate whose uncertainty could not be
 * measured is not trusted.
 */
export function isRealMotion(motion: number, uncertainty: number | undefined): boolean {
  return uncertainty !== undefined && motion > AUTO_ALIGN_SIGNIFICANCE * uncertainty && motion >= AUTO_ALIGN_MIN_MOTION;
}

function px(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 1)} px`;
}

/** The one line the command line, the sidecar and the app show. */
function summarise(options: PlanOptions, moved: number, n: number, largest: SliceAlignment): string {
  const spread = largest.uncertainty === undefined ? 'uncertainty not measurable' : `uncertainty ${px(largest.uncertainty)}`;
  const measured = `largest motion ${px(largest.motion)} (${largest.name}), ${spread}`;
  if (!options.auto) return `${options.method} alignment as asked: ${moved} of ${n - 1} slices moved; ${measured}`;
  if (moved === 0) return `aligned stack detected: nothing applied; ${measured}`;
  return `${moved} of ${n - 1} slices aligned (${options.method}); ${measured}`;
}

/**
 * A correction that changes mid-grey by less than 0.5% of full scale and contrast by less than
 * 1.5% is within the noise of the fit on an unflickering stack (gain and offset trade off against
 * each other, so their extremes are noisier than their effect): leaving it out keeps an already
 * matched stack bit-identical to the unaligned result.
 */
function withinDeadBand(gains: number[], offsets: number[], maxValue: number, ok: boolean): boolean {
  if (!ok) return true;
  return gains.every((g, c) => Math.abs(g - 1) < GAIN_DEAD_BAND && Math.abs((g - 1) * (maxValue / 2) + offsets[c]) < MID_GREY_DEAD_BAND * maxValue);
}

/** The largest integer rectangle of reference pixels that maps inside every slice. */
export function commonFrame(toSlice: Affine[], width: number, height: number): { x: number; y: number; width: number; height: number } {
  let left = 0;
  let top = 0;
  let right = width - 1;
  let bottom = height - 1;
  for (const m of toSlice) {
    const back = invertAffine(m);
    const [x00, y00] = applyAffine(back, 0, 0);
    const [x10, y10] = applyAffine(back, width - 1, 0);
    const [x01, y01] = applyAffine(back, 0, height - 1);
    const [x11, y11] = applyAffine(back, width - 1, height - 1);
    // For a near-rectangular quadrilateral, bounding each side by its inner corner keeps the
    // rectangle inside it.
    left = Math.max(left, x00, x01);
    right = Math.min(right, x10, x11);
    top = Math.max(top, y00, y10);
    bottom = Math.min(bottom, y01, y11);
  }
  const x = Math.max(0, Math.ceil(left - 1e-6));
  const y = Math.max(0, Math.ceil(top - 1e-6));
  const w = Math.max(1, Math.floor(right + 1e-6) - x + 1);
  const h = Math.max(1, Math.floor(bottom + 1e-6) - y + 1);
  return { x, y, width: w, height: h };
}
