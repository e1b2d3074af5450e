// The merge methods against known truth, and the properties the engine relies on: a merge state
// that does not depend on the order slices arrive in, and a pyramid that reconstructs exactly.
import { describe, expect, test } from 'vitest';
import type { PixelLayout } from '../../src/shared/types';
import { computeConfidence } from '../../src/main/engine/merge/confidence';
import { composeInMemory, measureProfile } from '../../src/main/engine/merge/in-memory';
import { collapse, forEachLaplacianLevel, levelSizes, type Level } from '../../src/main/engine/merge/pyramid-kernel';
import { createSyntheticStack, seededRandom } from '../../src/main/demo/synthetic-stack';

function rms(image: ArrayLike<number>, truth: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += (image[i] - truth[i]) ** 2;
  return Math.sqrt(sum / truth.length);
}

/** A flat grey scene: every slice is the same grey plus its own sensor noise. */
function noisyFlatStack(sliceCount: number, noise: number) {
  const layout: PixelLayout = { width: 48, height: 40, channels: 3, bitDepth: 8 };
  const truth = new Uint8Array(48 * 40 * 3).fill(100);
  const slices = Array.from({ length: sliceCount }, (_, k) => {
    const random = seededRandom(100 + k);
    return Uint8Array.from(truth, (v) => Math.round(v + noise * (random() + random() + random() - 1.5) * 2));
  });
  return { layout, truth, slices };
}

describe('merge method smooth', () => {
  test('on a noisy flat scene it is closer to the truth than argmax, which picks the noisiest slice', () => {
    const { layout, truth, slices } = noisyFlatStack(8, 8);
    const profile = measureProfile((k) => slices[k], 8, layout, 2);
    const argmax = composeInMemory(profile, (k) => slices[k], layout, 'argmax');
    const smooth = composeInMemory(profile, (k) => slices[k], layout, 'smooth');
    expect(rms(smooth.composite, truth)).toBeLessThan(0.7 * rms(argmax.composite, truth));
  });

  test('on a noisy textured stack its depth is more often within one slice of the truth than argmax', async () => {
    const stack = await createSyntheticStack({ width: 120, height: 90, sliceCount: 8, seed: 5, noise: 12 });
    const slices = Array.from({ length: 8 }, (_, k) => stack.renderSlice(k));
    const profile = measureProfile((k) => slices[k], 8, stack.layout, 2);
    const within = (indexMap: Uint16Array) => indexMap.filter((d, p) => Math.abs(d - stack.depth[p]) <= 1).length / indexMap.length;
    const argmax = composeInMemory(profile, (k) => slices[k], stack.layout, 'argmax');
    const smooth = composeInMemory(profile, (k) => slices[k], stack.layout, 'smooth');
    expect(within(smooth.indexMap)).toBeGreaterThan(within(argmax.indexMap) + 0.05);
  });
});

describe('merge method pyramid', () => {
  test('a Laplacian pyramid collapses back to its image', () => {
    const random = seededRandom(9);
    const width = 37;
    const height = 29;
    const image = Float32Array.from({ length: width * height }, () => 255 * random());
    const sizes = levelSizes(width, height, 4);
    const levels: Level[] = [];
    forEachLaplacianLevel({ width, height, values: image }, 4, (l, values) => levels.push({ ...sizes[l], values: values.slice() }));
    const back = collapse(levels);
    for (let i = 0; i < image.length; i++) expect(back[i]).toBeCloseTo(image[i], 2);
  });

  test('on a 16-bit stack its composite has no holes, stays in range and is close to the truth', async () => {
    const stack = await createSyntheticStack({ width: 96, height: 72, sliceCount: 6, seed: 8, noise: 2 });
    const layout: PixelLayout = { width: 96, height: 72, channels: 1, bitDepth: 16 };
    const grey = (rgb: Uint8Array) => Uint16Array.from({ length: 96 * 72 }, (_, p) => Math.round(257 * (0.299 * rgb[p * 3] + 0.587 * rgb[p * 3 + 1] + 0.114 * rgb[p * 3 + 2])));
    const slices = Array.from({ length: 6 }, (_, k) => grey(stack.renderSlice(k)));
    const truth = grey(stack.truth);
    const profile = measureProfile((k) => slices[k], 6, layout, 2);
    const pyramid = composeInMemory(profile, (k) => slices[k], layout, 'pyramid');
    const argmax = composeInMemory(profile, (k) => slices[k], layout, 'argmax');
    expect(pyramid.composite).toBeInstanceOf(Uint16Array);
    // A NaN or an overflow would show as 0 or a wrapped value far from the truth.
    const worst = Array.from(pyramid.composite).reduce((m, v, i) => Math.max(m, Math.abs(v - truth[i])), 0);
    expect(worst).toBeLessThan(40 * 257);
    expect(rms(pyramid.composite, truth)).toBeLessThan(1.1 * rms(argmax.composite, truth));
  });
});

describe('confidence', () => {
  test('is higher where the scene has texture than in its flat patches', async () => {
    const stack = await createSyntheticStack({ width: 120, height: 90, sliceCount: 8, seed: 4, noise: 2, scene: 'textureless' });
    const slices = Array.from({ length: 8 }, (_, k) => stack.renderSlice(k));
    const confidence = computeConfidence(measureProfile((k) => slices[k], 8, stack.layout, 2));
    // Centres of two areas: a flattened patch (x 5-30%, y 55-90%) and textured ground beside it.
    const mean = (x0: number, y0: number, x1: number, y1: number) => {
      let sum = 0;
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++, n++) sum += confidence[y * 120 + x];
      return sum / n;
    };
    const flat = mean(12, 58, 30, 75);
    const textured = mean(40, 58, 58, 75);
    expect(textured).toBeGreaterThan(flat + 0.2);
  });
});

describe('merge state', () => {
  test('is the same whatever order the slices arrive in (peak neighbours completed)', async () => {
    const stack = await createSyntheticStack({ width: 64, height: 80, sliceCount: 7, seed: 6, noise: 6 });
    const slices = Array.from({ length: 7 }, (_, k) => stack.renderSlice(k));
    const orders = [
      [0, 1, 2, 3, 4, 5, 6],
      [6, 5, 4, 3, 2, 1, 0],
      [3, 0, 6, 1, 5, 2, 4],
    ];
    const profiles = orders.map((order) => measureProfile((k) => slices[k], 7, stack.layout, 2, { order }));
    const bytes = (buffer: SharedArrayBuffer | undefined) => Buffer.from(new Uint8Array(buffer!));
    const viewBytes = (view: ArrayBufferView) => Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    for (const other of profiles.slice(1)) {
      for (const field of ['winner', 'maxVariance', 'composite'] as const) {
        expect(viewBytes(other.argmax[field]).equals(viewBytes(profiles[0].argmax[field])), field).toBe(true);
      }
      for (const field of ['below', 'above'] as const) {
        expect(bytes(other[field]).equals(bytes(profiles[0][field])), field).toBe(true);
      }
      const sums = new Float64Array(other.sumVariance!);
      new Float64Array(profiles[0].sumVariance!).forEach((s, p) => expect(sums[p]).toBeCloseTo(s, 6));
    }
  });

  test('keeps the exact focus values of the slices beside each peak', async () => {
    const stack = await createSyntheticStack({ width: 40, height: 30, sliceCount: 5, seed: 2, noise: 4 });
    const slices = Array.from({ length: 5 }, (_, k) => stack.renderSlice(k));
    const { computeFocusMap } = await import('../../src/main/engine/focus/focus-measure');
    const maps = slices.map((s) => computeFocusMap(s, stack.layout, 2));
    const profile = measureProfile((k) => slices[k], 5, stack.layout, 2, { order: [4, 2, 0, 3, 1] });
    const winner = profile.argmax.winner;
    const below = new Float32Array(profile.below!);
    const above = new Float32Array(profile.above!);
    for (let p = 0; p < winner.length; p++) {
      const w = winner[p];
      expect(below[p]).toBe(w > 0 ? maps[w - 1][p] : NaN);
      expect(above[p]).toBe(w < 4 ? maps[w + 1][p] : NaN);
    }
  });
});

describe('the synthetic halo scene', () => {
  test('shows the flat background where the object is far away, in every slice', async () => {
    // Regression: the one-band alpha levels came back from libvips as three sRGB bands, so the
    // object's coverage was read at the wrong pixels (dark patches over the background).
    const stack = await createSyntheticStack({ width: 80, height: 60, sliceCount: 5, seed: 4, scene: 'halo' });
    const background = [40, 45, 55];
    for (let k = 0; k < 5; k++) {
      const slice = stack.renderSlice(k);
      // Bottom-left corner: 0.4 w from the disc's centre minus its radius, outside the bar.
      for (const [x, y] of [[0, 59], [2, 57], [1, 0]]) {
        for (let c = 0; c < 3; c++) expect(Math.abs(slice[(y * 80 + x) * 3 + c] - background[c]), `slice ${k} (${x}, ${y})`).toBeLessThanOrEqual(2);
      }
    }
  });
});
