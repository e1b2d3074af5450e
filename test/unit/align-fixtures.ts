// Misaligned synthetic brackets with a known answer, recorded the way a camera records them: a
// synthetic focus stack rendered a few times finer than the sensor and with a margin, then each
// slice exposed through its own known similarity transform (every sensor pixel averages the scene
// over its footprint), given a known per-channel gain and sensor noise, as a hand-held camera
// with focus breathing and flicker would record it. The never-misaligned slices and the scene
// are exposed the same way through the identity, so the only resampling any of them sees is the
// alignment's own.
import { type Affine, composeAffine, invertAffine } from '../../src/main/engine/align/geometry';
import { estimateNeighbour, type PairResult } from '../../src/main/engine/align/estimate';
import type { AlignModel } from '../../src/main/engine/align/gauss-newton';
import { copiesFromPixels } from '../../src/main/engine/align/prepare';
import { type AlignmentPlan, planAlignment } from '../../src/main/engine/align/plan';
import { createSyntheticStack, seededRandom } from '../../src/main/demo/synthetic-stack';
import { computeFocusMap } from '../../src/main/engine/focus/focus-measure';
import type { PixelData } from '../../src/main/engine/input/decode';
import type { PixelLayout } from '../../src/shared/types';

export interface TrueMotion {
  dx: number;
  dy: number;
  scale: number;
  rotationDeg: number;
  gains: [number, number, number];
}

export interface MisalignedStack {
  layout: PixelLayout;
  /** The all-in-focus scene in the reference geometry, without noise. */
  scene: Uint8Array;
  /** The never-misaligned slices (the reference geometry), same size as the observed ones. */
  aligned: Uint8Array[];
  /** What the camera recorded. */
  observed: Uint8Array[];
  /** True map from reference-slice pixel coordinates to slice pixel coordinates. */
  truth: Affine[];
  motions: TrueMotion[];
}

/** Similarity about the frame centre: scale s, rotation r, then shift (dx, dy). */
export function similarityAbout(cx: number, cy: number, m: Omit<TrueMotion, 'gains'>): Affine {
  const t = (m.rotationDeg * Math.PI) / 180;
  const a = m.scale * Math.cos(t);
  const b = -m.scale * Math.sin(t);
  return [a, b, cx + m.dx - a * cx - b * cy, -b, a, cy + m.dy + b * cx - a * cy];
}

/** Standard deviation of the sensor noise, in 8-bit levels. */
const SENSOR_NOISE = 1;

interface Exposure {
  /** Maps sensor pixel coordinates to scene coordinates (the unsupersampled render's pixels). */
  sensorToScene: Affine;
  gains?: readonly number[];
  /** Seed of the sensor noise; none without. */
  noiseSeed?: number;
}

/**
 * What a width x height sensor records of `render` (RGB 8-bit, `supersample` times finer than
 * the scene's pixels), taking the scene as the bilinear interpolation of the render: each pixel
 * its mean over the pixel's footprint, then the gain per channel and the noise, rounded and
 * clamped. The footprint is taken as the axis-aligned square of the same area (the motions
 * rotate it by a degree at most), over which the mean is exact: the render weighted, per axis,
 * by the box convolved with the bilinear tent. Point samples averaged over the footprint would
 * not do: their bilinear blur depends on where they fall between render pixels, so slices moved
 * by fractions of a pixel would come out blurred more than the never-misaligned ones.
 */
function expose(render: Uint8Array, renderWidth: number, renderHeight: number, supersample: number, width: number, height: number, exposure: Exposure): Uint8Array {
  const s = supersample;
  // Scene pixel u covers render pixels s u .. s u + s - 1, whose centres average to s u + (s - 1) / 2.
  const [a, b, c, d, e, f] = composeAffine([s, 0, (s - 1) / 2, 0, s, (s - 1) / 2], exposure.sensorToScene);
  const side = Math.sqrt(Math.abs(a * e - b * d));
  const taps = Math.ceil(side) + 2;
  const wx = new Float64Array(taps);
  const wy = new Float64Array(taps);
  const gains = exposure.gains ?? [1, 1, 1];
  const noise = exposure.noiseSeed === undefined ? undefined : gaussianNoise(width * height * 3, exposure.noiseSeed);
  const out = new Uint8Array(width * height * 3);
  const means = new Float64Array(3);
  const rowLength = renderWidth * 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const x0 = footprintWeights(a * x + b * y + c, side, wx);
      const y0 = footprintWeights(d * x + e * y + f, side, wy);
      if (x0 < 0 || y0 < 0 || x0 + taps > renderWidth || y0 + taps > renderHeight) throw new Error('the footprint reaches beyond the render: make the margin wider');
      means.fill(0);
      for (let j = 0, row = (y0 * renderWidth + x0) * 3; j < taps; j++, row += rowLength) {
        let hr = 0;
        let hg = 0;
        let hb = 0;
        for (let i = 0, at = row; i < taps; i++, at += 3) {
          hr += wx[i] * render[at];
          hg += wx[i] * render[at + 1];
          hb += wx[i] * render[at + 2];
        }
        means[0] += wy[j] * hr;
        means[1] += wy[j] * hg;
        means[2] += wy[j] * hb;
      }
      const o = (y * width + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        let v = gains[ch] * means[ch];
        if (noise) v += SENSOR_NOISE * noise[o + ch];
        out[o + ch] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
      }
    }
  }
  return out;
}

/** The tent's integral from -infinity to u. */
function tentIntegral(u: number): number {
  if (u <= -1) return 0;
  if (u <= 0) return 0.5 * (u + 1) ** 2;
  if (u <= 1) return 1 - 0.5 * (1 - u) ** 2;
  return 1;
}

/**
 * Weights of render samples first, first + 1, ... whose tents average to the linear interpolation's
 * mean over [centre - side / 2, centre + side / 2]; returns `first`.
 */
function footprintWeights(centre: number, side: number, weights: Float64Array): number {
  const lo = centre - side / 2;
  const hi = centre + side / 2;
  const first = Math.floor(lo);
  for (let i = 0; i < weights.length; i++) weights[i] = (tentIntegral(hi - first - i) - tentIntegral(lo - first - i)) / side;
  return first;
}

/** `count` seeded standard normal deviates, two at a time by Marsaglia's polar method. */
function gaussianNoise(count: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  const out = new Float64Array(count + 1);
  for (let i = 0; i < count; i += 2) {
    let u: number;
    let v: number;
    let r: number;
    do {
      u = 2 * random() - 1;
      v = 2 * random() - 1;
      r = u * u + v * v;
    } while (r >= 1 || r === 0);
    const scale = Math.sqrt((-2 * Math.log(r)) / r);
    out[i] = u * scale;
    out[i + 1] = v * scale;
  }
  return out;
}

/**
 * `motions[k]` is how slice k's content moved relative to the reference; the reference slice
 * (index `reference`) gets the identity and unit gains whatever `motions` says. `supersample`:
 * how many times finer than the sensor the scene is rendered, per axis. 1 is plenty to test
 * estimation; the composites' PSNR gap (test/unit/align-warp.test.ts) needs 3, where it is
 * within 0.05 dB of finer renders' (even factors put the texture's corners between render
 * pixels, which smooths it).
 */
export async function createMisalignedStack(
  width: number,
  height: number,
  motions: TrueMotion[],
  reference: number,
  seed = 3,
  supersample = 1,
): Promise<MisalignedStack> {
  const margin = Math.ceil(Math.max(width, height) * 0.08);
  const big = await createSyntheticStack({ width: width + 2 * margin, height: height + 2 * margin, sliceCount: motions.length, seed, supersample });
  const { width: renderWidth, height: renderHeight } = big.layout;
  const exposeRender = (render: Uint8Array, exposure: Exposure) => expose(render, renderWidth, renderHeight, supersample, width, height, exposure);
  const layout: PixelLayout = { width, height, channels: 3, bitDepth: 8 };
  const crop: Affine = [1, 0, margin, 0, 1, margin];
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const aligned: Uint8Array[] = [];
  const observed: Uint8Array[] = [];
  const truth: Affine[] = [];
  const used: TrueMotion[] = [];
  for (let k = 0; k < motions.length; k++) {
    const motion = k === reference ? { dx: 0, dy: 0, scale: 1, rotationDeg: 0, gains: [1, 1, 1] as [number, number, number] } : motions[k];
    used.push(motion);
    const rendered = big.renderSlice(k);
    const noiseSeed = seed * 7919 + k + 1;
    aligned.push(exposeRender(rendered, { sensorToScene: crop, noiseSeed }));
    // Content moved by `motion`: the slice shows at p what the reference shows at motion^-1(p),
    // so the reference-to-slice map is the motion itself.
    const motionMatrix = similarityAbout(cx, cy, motion);
    truth.push(motionMatrix);
    observed.push(exposeRender(rendered, { sensorToScene: composeAffine(crop, invertAffine(motionMatrix)), gains: motion.gains, noiseSeed }));
  }
  const scene = exposeRender(big.truth, { sensorToScene: crop });
  return { layout, scene, aligned, observed, truth, motions: used };
}

/** Random motions within the ranges: shift up to 5% of the width, scale 0.97-1.03, rotation up to 1 degree, gain 0.8-1.2. */
export function randomMotions(count: number, width: number, seed: number): TrueMotion[] {
  const random = seededRandom(seed);
  const range = (lo: number, hi: number) => lo + (hi - lo) * random();
  return Array.from({ length: count }, () => ({
    dx: range(-0.05, 0.05) * width,
    dy: range(-0.05, 0.05) * width,
    scale: range(0.97, 1.03),
    rotationDeg: range(-1, 1),
    gains: [range(0.8, 1.2), range(0.8, 1.2), range(0.8, 1.2)] as [number, number, number],
  }));
}

/**
 * Runs estimation and planning in-process on 640x480 slices, as the engine's pre-pass does in
 * workers; `auto` plans as align 'auto' does (only real motion applied).
 */
export function alignInProcess(observed: Uint8Array[], reference: number, method: AlignModel, keepSize = false, auto = false): AlignmentPlan {
  const [WIDTH, HEIGHT] = [640, 480];
  const copies = observed.map((p) => copiesFromPixels(p, WIDTH, HEIGHT, 3));
  const pairs: PairResult[] = [];
  for (let k = 0; k < observed.length; k++) {
    if (k !== reference) pairs[k] = estimateNeighbour(copies[k < reference ? k + 1 : k - 1], copies[k], method, WIDTH, HEIGHT, auto);
  }
  return planAlignment(observed.map((_, i) => ({ file: `/synthetic/slice-${i}`, name: `slice-${i}` })), pairs, { method, auto, reference, brightness: true, keepSize, width: WIDTH, height: HEIGHT, colourChannels: 3, maxValue: 255 });
}


/** Plain argmax of the focus measure of RGB 8-bit slices: the design's default merge, in-process. */
export function argmaxComposite(slices: PixelData[], layout: PixelLayout): Uint8Array {
  const best = new Float32Array(layout.width * layout.height).fill(-1);
  const out = new Uint8Array(layout.width * layout.height * 3);
  for (const pixels of slices) {
    const focus = computeFocusMap(pixels, layout, 2);
    for (let p = 0; p < focus.length; p++) {
      if (focus[p] > best[p]) {
        best[p] = focus[p];
        for (let c = 0; c < 3; c++) out[p * 3 + c] = pixels[p * 3 + c];
      }
    }
  }
  return out;
}

export function psnr(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / a.length));
}
