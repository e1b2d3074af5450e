// Misaligned synthetic brackets with a known answer: a synthetic focus stack rendered with a
// margin, each slice then resampled through its own known similarity transform and given a known
// per-channel gain, as a hand-held camera with focus breathing and flicker would record it.
import { type Affine, composeAffine, invertAffine } from '../../src/main/engine/align-geometry';
import { type AlignModel, estimateNeighbour, type PairResult } from '../../src/main/engine/align-estimate';
import { copiesFromPixels } from '../../src/main/engine/align-prepare';
import { type AlignmentPlan, planAlignment } from '../../src/main/engine/align-plan';
import { warpSlice } from '../../src/main/engine/align-warp';
import { createSyntheticStack, seededRandom } from '../../src/main/engine/synthetic-stack';
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
  /** The all-in-focus scene in the reference geometry. */
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

/**
 * `motions[k]` is how slice k's content moved relative to the reference; the reference slice
 * (index `reference`) gets the identity and unit gains whatever `motions` says.
 */
export async function createMisalignedStack(
  width: number,
  height: number,
  motions: TrueMotion[],
  reference: number,
  seed = 3,
): Promise<MisalignedStack> {
  const margin = Math.ceil(Math.max(width, height) * 0.08);
  const big = await createSyntheticStack({ width: width + 2 * margin, height: height + 2 * margin, sliceCount: motions.length, seed, noise: 1 });
  const bigLayout = big.layout;
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
    aligned.push(warpSlice(rendered, bigLayout, width, height, { matrix: crop }) as Uint8Array);
    // Content moved by `motion`: the slice shows at p what the reference shows at motion^-1(p),
    // so the reference-to-slice map is the motion itself.
    const motionMatrix = similarityAbout(cx, cy, motion);
    truth.push(motionMatrix);
    const sliceToBig = composeAffine(crop, invertAffine(motionMatrix));
    observed.push(warpSlice(rendered, bigLayout, width, height, { matrix: sliceToBig, gains: motion.gains, offsets: [0, 0, 0] }) as Uint8Array);
  }
  const scene = warpSlice(big.truth, bigLayout, width, height, { matrix: crop }) as Uint8Array;
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

/** Runs estimation and planning in-process on 640x480 slices, as the engine's pre-pass does in workers. */
export function alignInProcess(observed: Uint8Array[], reference: number, method: AlignModel, keepSize = false): AlignmentPlan {
  const [WIDTH, HEIGHT] = [640, 480];
  const copies = observed.map((p) => copiesFromPixels(p, WIDTH, HEIGHT, 3));
  const pairs: PairResult[] = [];
  for (let k = 0; k < observed.length; k++) {
    if (k !== reference) pairs[k] = estimateNeighbour(copies[k < reference ? k + 1 : k - 1], copies[k], method, WIDTH, HEIGHT);
  }
  return planAlignment(observed.map((_, i) => ({ file: `/synthetic/slice-${i}`, name: `slice-${i}` })), pairs, { method, reference, brightness: true, keepSize, width: WIDTH, height: HEIGHT, colourChannels: 3, maxValue: 255 });
}

