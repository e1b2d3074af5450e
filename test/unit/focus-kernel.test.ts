// The WebAssembly focus kernel against a brute-force float64 reference: a direct 2-D Gaussian sum
// with scipy 'reflect' borders, written independently of both kernels. The bound is the one the
// engine promises: |v - reference| <= 1e-5 of the reference map's maximum, v never negative or NaN.
// Every case runs the kernel three ways: as the engine does (float32 tiles, float64 where their
// proven bound is too large), float64 alone (tolerance 0) and float32 alone (tolerance Infinity,
// which must then stay within the bound it reports).
import { describe, expect, it } from 'vitest';
import { gaussianKernel, reflectIndex } from '../../src/shared/gaussian';
import type { PixelLayout } from '../../src/shared/types';
import type { PixelData } from '../../src/main/engine/input/decode';
import { FOCUS_TOLERANCE, measureFocusBands, measureFocusMap, staggeredStart, wasmKernelAvailable, type FocusMapStats } from '../../src/main/engine/focus/focus-variance-kernel';
import { createProfileBuffers, ProfileMerger, type ProfileBuffers } from '../../src/main/engine/merge/profile';

function referenceFocusMap(pixels: PixelData, layout: PixelLayout, sigma: number): Float64Array {
  const { width, height, channels } = layout;
  const lum = new Float64Array(width * height);
  for (let p = 0; p < lum.length; p++) {
    const i = p * channels;
    lum[p] = channels >= 3 ? 0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2] : pixels[i];
  }
  const w = gaussianKernel(sigma);
  const r = (w.length - 1) / 2;
  const out = new Float64Array(width * height);
  // reflected[k][i] = source index of coordinate i - r along an axis of size k.
  const reflected = (size: number) => Int32Array.from({ length: size + 2 * r }, (_, i) => reflectIndex(i - r, size));
  const rowOf = reflected(height);
  const colOf = reflected(width);
  // Two passes per pixel, m = sum w L then v = sum w (L - m)^2: the same value as s - m^2 in exact
  // arithmetic, without its cancellation, so the reference stays exact on bright flat areas too.
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = 0;
      for (let dy = -r; dy <= r; dy++) {
        const row = rowOf[y + dy + r] * width;
        for (let dx = -r; dx <= r; dx++) m += w[dy + r] * w[dx + r] * lum[row + colOf[x + dx + r]];
      }
      let v = 0;
      for (let dy = -r; dy <= r; dy++) {
        const row = rowOf[y + dy + r] * width;
        for (let dx = -r; dx <= r; dx++) {
          const d = lum[row + colOf[x + dx + r]] - m;
          v += w[dy + r] * w[dx + r] * d * d;
        }
      }
      out[y * width + x] = v;
    }
  }
  return out;
}

/** A small fast seeded generator (mulberry32), so every run tests the same images. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomImage(layout: PixelLayout, seed: number): PixelData {
  const next = random(seed);
  const n = layout.width * layout.height * layout.channels;
  const top = layout.bitDepth === 16 ? 65536 : 256;
  const pixels = layout.bitDepth === 16 ? new Uint16Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) pixels[i] = Math.floor(next() * top);
  return pixels;
}

/**
 * 16-bit image whose left part is bright and flat with a few levels of texture (where float32
 * E[L^2] - E[L]^2 cancels catastrophically), its right part dark and flat with the same texture,
 * and a soft bright square in the middle.
 */
function brightFlatImage(layout: PixelLayout, seed: number, texture: number): Uint16Array {
  const next = random(seed);
  const { width, height, channels } = layout;
  const pixels = new Uint16Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = x < width * 0.6 ? 62000 : 900;
      const square = Math.abs(x - width / 2) < 20 && Math.abs(y - height / 2) < 20 ? 1500 : 0;
      for (let c = 0; c < channels; c++) {
        pixels[(y * width + x) * channels + c] = base + square + Math.floor(next() * (texture + 1));
      }
    }
  }
  return pixels;
}

/** The largest |actual - reference|, checking on the way that no value is NaN or negative. */
function largestError(actual: Float32Array, reference: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < reference.length; i++) {
    expect(Number.isNaN(actual[i])).toBe(false);
    expect(actual[i]).toBeGreaterThanOrEqual(0);
    worst = Math.max(worst, Math.abs(actual[i] - reference[i]));
  }
  return worst;
}

function largest(values: ArrayLike<number>): number {
  let top = 0;
  for (let i = 0; i < values.length; i++) top = Math.max(top, values[i]);
  return top;
}

function expectWithinBound(actual: Float32Array, reference: Float64Array): number {
  // A flat image's map is zero up to rounding (~1e-16): judge it against a floor of 1e-6 squared
  // sample units, far below the quantisation of any input.
  const relative = largestError(actual, reference) / Math.max(largest(reference), 1e-6);
  expect(relative).toBeLessThanOrEqual(1e-5);
  return relative;
}

/**
 * That no value of `map` is further from the reference than the bound the kernel proved for it,
 * give or take the reference's own float64 rounding (~1e-13 of its maximum: its two passes sum 289
 * terms each, about the local mean).
 */
function expectWithinProvenBound(map: Float32Array, stats: FocusMapStats, reference: Float64Array): void {
  expect(largestError(map, reference)).toBeLessThanOrEqual(stats.bound! + 1e-12 * largest(reference) + 1e-18);
}

/**
 * The kernel as the engine runs it, within 1e-5 of the map's maximum; float64 alone, too; float32
 * alone, within the bound it proves (whatever that is). Returns the engine's run.
 */
function check(pixels: PixelData, layout: PixelLayout, sigma: number) {
  const reference = referenceFocusMap(pixels, layout, sigma);
  const { map, stats } = measureFocusMap(pixels, layout, sigma);
  expectWithinBound(map, reference);
  expectWithinProvenBound(map, stats, reference);
  const float64 = measureFocusMap(pixels, layout, sigma, 0);
  expectWithinBound(float64.map, reference);
  expect(float64.stats.fallbackTiles).toBe(float64.stats.tiles);
  expectWithinProvenBound(float64.map, float64.stats, reference);
  const float32 = measureFocusMap(pixels, layout, sigma, Infinity);
  expect(float32.stats.fallbackTiles).toBe(0);
  expectWithinProvenBound(float32.map, float32.stats, reference);
  return { map, stats, reference };
}

describe('WebAssembly focus kernel', () => {
  it('is available in this Node (WebAssembly SIMD), so the tests below exercise it and not the fallback', () => {
    expect(wasmKernelAvailable()).toBe(true);
  });

  it('matches the float64 reference on 8-bit RGB noise across tile (128 columns) and block (128 rows) edges', () => {
    const layout: PixelLayout = { width: 300, height: 150, channels: 3, bitDepth: 8 };
    check(randomImage(layout, 1), layout, 2);
  });

  it.each([0.7, 1.5, 3.3])('matches the reference with sigma %f, border rows and columns included', (sigma) => {
    const layout: PixelLayout = { width: 61, height: 37, channels: 1, bitDepth: 8 };
    check(randomImage(layout, 2), layout, sigma);
  });

  it.each([
    [1, 1],
    [1, 7],
    [5, 1],
    [5, 3],
    [9, 6],
  ])('matches the reference on a %ix%i image, smaller than the kernel radius', (width, height) => {
    const layout: PixelLayout = { width, height, channels: 3, bitDepth: 8 };
    check(randomImage(layout, width * 100 + height), layout, 3.3);
  });

  it('keeps a bright flat 16-bit grey image with a few levels of texture within the bound', () => {
    // The map's maximum is the texture's own variance (a few levels squared) while L^2 is ~4e9:
    // float32 without the per-tile offset is off by ~7e-3 of the maximum here.
    const layout: PixelLayout = { width: 300, height: 140, channels: 1, bitDepth: 16 };
    const next = random(3);
    const pixels = new Uint16Array(layout.width * layout.height);
    for (let i = 0; i < pixels.length; i++) pixels[i] = 62000 + Math.floor(next() * 4);
    check(pixels, layout, 2);
  });

  it('keeps the texture of bright flat 16-bit areas next to dark ones and a soft square, also locally', () => {
    const layout: PixelLayout = { width: 300, height: 140, channels: 1, bitDepth: 16 };
    const { map, reference } = check(brightFlatImage(layout, 3, 3), layout, 2);
    // Stricter than the bound: away from edges the few levels of texture must come through, even
    // in tiles that also hold the dark area (a float32 kernel with a per-tile offset loses them).
    // The row means are rounded once, at the scale of their column's range over the block: in the
    // columns the square crosses (1500 levels above the flat), that moves v by at most about
    // 4 u R sqrt(v), u = 2^-24, R = 1503 (the header of assembly/focus-variance.ts); elsewhere
    // the texture's own 3 levels.
    const u = 2 ** -24;
    let worstLocal = 0;
    let worstSquareColumns = 0;
    for (let y = 12; y < 128; y++) {
      for (let x = 12; x < 168; x++) {
        if (Math.abs(x - 150) < 30 && Math.abs(y - 70) < 30) continue;
        const i = y * layout.width + x;
        const error = Math.abs(map[i] - reference[i]);
        if (x < 130 - 8) worstLocal = Math.max(worstLocal, error / reference[i]);
        else worstSquareColumns = Math.max(worstSquareColumns, error / (4 * u * 1503 * Math.sqrt(reference[i]) + 1e-5 * reference[i]));
      }
    }
    expect(worstLocal).toBeLessThan(1e-5);
    expect(worstSquareColumns).toBeLessThan(1);
  });

  it('keeps bright flat 16-bit RGB areas with texture within the bound', () => {
    const layout: PixelLayout = { width: 270, height: 40, channels: 3, bitDepth: 16 };
    check(brightFlatImage(layout, 4, 2), layout, 1.5);
  });

  it('matches the reference on 16-bit grey noise', () => {
    const layout: PixelLayout = { width: 259, height: 33, channels: 1, bitDepth: 16 };
    check(randomImage(layout, 5), layout, 2);
  });

  it.each([2, 4] as const)('matches the reference with %i channels (alpha ignored)', (channels) => {
    const layout: PixelLayout = { width: 270, height: 20, channels, bitDepth: 8 };
    check(randomImage(layout, 6 + channels), layout, 2);
  });

  it('matches the reference on a steep smooth 16-bit ramp', () => {
    // The ramp's variance is tiny next to the spread of values across a tile: a hard case for
    // the offset trick alone (float32 lanes with a per-tile offset miss the bound here).
    const layout: PixelLayout = { width: 300, height: 24, channels: 1, bitDepth: 16 };
    const pixels = new Uint16Array(layout.width * layout.height);
    for (let y = 0; y < layout.height; y++) for (let x = 0; x < layout.width; x++) pixels[y * layout.width + x] = x * 210 + y;
    check(pixels, layout, 2);
  });

  it('returns the sum and maximum of the map it hands out', () => {
    const layout: PixelLayout = { width: 280, height: 130, channels: 3, bitDepth: 8 };
    const { map, stats } = measureFocusMap(randomImage(layout, 9), layout, 2);
    let sum = 0;
    let max = 0;
    for (const v of map) {
      sum += v;
      max = Math.max(max, v);
    }
    expect(stats.max).toBe(max);
    expect(Math.abs(stats.sum - sum) / sum).toBeLessThan(1e-6);
  });

  it('hands out consecutive bands of the requested height, in order', () => {
    const layout: PixelLayout = { width: 20, height: 300, channels: 1, bitDepth: 8 };
    const bands: Array<[number, number, number]> = [];
    measureFocusBands(randomImage(layout, 10), layout, 2, (y0, y1, band) => bands.push([y0, y1, band.length]), 64);
    expect(bands).toEqual([
      [0, 64, 64 * 20],
      [64, 128, 64 * 20],
      [128, 192, 64 * 20],
      [192, 256, 64 * 20],
      [256, 300, 44 * 20],
    ]);
  });

  it('keeps faint texture in a 16-bit tile that holds a bright and a dark half, also locally', () => {
    // One 128-column tile, its left half at ~62000 and its right half at ~900, each with three
    // levels of texture: a per-tile offset sits far from both halves (float32 lanes lost the
    // texture here). Every pixel away from the step must match to 1e-5 of its own variance.
    const layout: PixelLayout = { width: 128, height: 96, channels: 1, bitDepth: 16 };
    const next = random(11);
    const pixels = new Uint16Array(layout.width * layout.height);
    for (let y = 0; y < layout.height; y++) {
      for (let x = 0; x < layout.width; x++) pixels[y * layout.width + x] = (x < 64 ? 62000 : 900) + Math.floor(next() * 4);
    }
    const { map, reference } = check(pixels, layout, 2);
    let worstLocal = 0;
    for (let y = 0; y < layout.height; y++) {
      for (let x = 0; x < layout.width; x++) {
        if (Math.abs(x - 64) < 12) continue;
        const i = y * layout.width + x;
        worstLocal = Math.max(worstLocal, Math.abs(map[i] - reference[i]) / reference[i]);
      }
    }
    expect(worstLocal).toBeLessThan(1e-5);
  });
});

describe('the kernel\'s argmax merge', () => {
  /**
   * Merges the slices in `order` into fresh buffers: through the kernel's merge in place (state in
   * the job's shared kernel arena), the kernel's merge by copying (state in plain shared
   * buffers), or the JavaScript one.
   */
  function mergeAll(slices: PixelData[], layout: PixelLayout, order: number[], how: 'in-place' | 'in-place, second slot' | 'copying' | 'script'): ProfileBuffers {
    const bandRows = 16;
    const features = { peaks: false, sums: false, weightedSums: false };
    const inPlace = how.startsWith('in-place');
    const buffers = createProfileBuffers(layout, bandRows, slices.length, features, inPlace ? { sigma: 2, workers: 2 } : undefined);
    expect(buffers.arena !== undefined).toBe(inPlace);
    // The second worker's slot starts its bands half way down the image.
    if (how === 'in-place, second slot') Atomics.store(buffers.arena!.claims, 0, 1);
    const useKernel = how !== 'script';
    const merger = new ProfileMerger(buffers, layout);
    for (const k of order) {
      let offered = 0;
      measureFocusBands(
        slices[k],
        layout,
        2,
        (y0, _y1, variance, kernelMerge) => {
          if (kernelMerge) offered++;
          merger.mergeBand(k, y0, variance, slices[k], useKernel ? kernelMerge : undefined);
        },
        bandRows,
        buffers.arena,
      );
      expect(offered).toBeGreaterThan(0);
    }
    return buffers;
  }

  it.each([
    [{ width: 75, height: 70, channels: 3, bitDepth: 8 }],
    [{ width: 131, height: 150, channels: 3, bitDepth: 8 }],
    [{ width: 41, height: 37, channels: 1, bitDepth: 16 }],
    [{ width: 47, height: 39, channels: 1, bitDepth: 8 }],
    [{ width: 43, height: 35, channels: 2, bitDepth: 8 }],
    [{ width: 29, height: 33, channels: 3, bitDepth: 16 }],
  ] as Array<[PixelLayout]>)('equals the JavaScript mergeArgmax bit for bit, ties included, in any order (%o)', (layout) => {
    // Noise of different strengths, a flat slice (v = 0: ties with the other flat one), and
    // exact duplicates (equal v everywhere: ties must go to the lowest index).
    const noise = (seed: number, scale: number) => {
      const p = randomImage(layout, seed);
      for (let i = 0; i < p.length; i++) p[i] = Math.floor(p[i] * scale);
      return p;
    };
    const flat = (value: number) => (layout.bitDepth === 16 ? new Uint16Array(layout.width * layout.height * layout.channels) : new Uint8Array(layout.width * layout.height * layout.channels)).fill(value);
    const a = noise(20, 1); // the strongest slice, twice: its pixels are ties at the maximum
    const slices = [flat(7), noise(21, 0.5), a, noise(22, 0.25), a.slice(), flat(9), noise(23, 0.4)];
    let first: ProfileBuffers['argmax'] | undefined;
    for (const order of [[0, 1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1, 0], [4, 0, 5, 2, 6, 1, 3]]) {
      const viaScript = mergeAll(slices, layout, order, 'script').argmax;
      for (const how of ['in-place', 'in-place, second slot', 'copying'] as const) {
        const viaKernel = mergeAll(slices, layout, order, how).argmax;
        expect(bytes(viaKernel.maxVariance).equals(bytes(viaScript.maxVariance)), how).toBe(true);
        expect(bytes(viaKernel.winner).equals(bytes(viaScript.winner)), how).toBe(true);
        expect(bytes(viaKernel.composite).equals(bytes(viaScript.composite)), how).toBe(true);
      }
      expect(viaScript.winner.includes(2)).toBe(true);
      expect(viaScript.winner.includes(4)).toBe(false); // the duplicate of slice 2 never wins its ties
      first ??= viaScript;
      expect(bytes(viaScript.winner).equals(bytes(first.winner))).toBe(true); // order-independent
      expect(bytes(viaScript.composite).equals(bytes(first.composite))).toBe(true);
    }
    // All flat: every pixel a tie at v = 0, won by slice 0 whatever the order.
    const flats = [flat(3), flat(5), flat(1)];
    for (const how of ['in-place', 'copying'] as const) {
      const tied = mergeAll(flats, layout, [2, 1, 0], how).argmax;
      expect(tied.winner.every((k) => k === 0)).toBe(true);
      expect(bytes(tied.composite).equals(Buffer.from(flats[0].buffer))).toBe(true);
    }
  });
});

/** The bytes a typed array views, for bit-for-bit comparisons. */
function bytes(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** An image of the given layout whose sample (x, y, channel) is `value(x, y, c, next)`, clamped to the depth. */
function imageOf(layout: PixelLayout, seed: number, value: (x: number, y: number, c: number, next: () => number) => number): PixelData {
  const next = random(seed);
  const { width, height, channels, bitDepth } = layout;
  const top = bitDepth === 16 ? 65535 : 255;
  const pixels = bitDepth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) pixels[(y * width + x) * channels + c] = Math.max(0, Math.min(top, Math.round(value(x, y, c, next))));
    }
  }
  return pixels;
}

/** The adversarial images of the float32 pass, at a given size: [name, layout, pixels]. */
function adversarialImages(width: number, height: number): Array<[string, PixelLayout, PixelData]> {
  const grey8: PixelLayout = { width, height, channels: 1, bitDepth: 8 };
  const grey16: PixelLayout = { width, height, channels: 1, bitDepth: 16 };
  const rgb8: PixelLayout = { width, height, channels: 3, bitDepth: 8 };
  const rgb16: PixelLayout = { width, height, channels: 3, bitDepth: 16 };
  return [
    ['a pure 16-bit ramp', grey16, imageOf(grey16, 1, (x, y) => x * 210 + y)],
    ['a pure 8-bit RGB ramp', rgb8, imageOf(rgb8, 2, (x, y, c) => x * 0.8 + y * 0.3 + c * 20)],
    ['a 16-bit ramp with a tiny texture', grey16, imageOf(grey16, 3, (x, y, _c, next) => x * 210 + y + Math.floor(next() * 2))],
    ['an 8-bit ramp with a tiny texture', grey8, imageOf(grey8, 4, (x, _y, _c, next) => x * 0.8 + Math.floor(next() * 2))],
    ['a 16-bit flat at 65000 with noise of 1 level', grey16, imageOf(grey16, 5, (_x, _y, _c, next) => 65000 + Math.floor(next() * 2))],
    ['a near-saturated 16-bit flat (65533 to 65535)', grey16, imageOf(grey16, 6, (_x, _y, _c, next) => 65533 + Math.floor(next() * 3))],
    ['8-bit RGB noise', rgb8, imageOf(rgb8, 7, (_x, _y, _c, next) => next() * 256)],
    ['16-bit grey noise', grey16, imageOf(grey16, 8, (_x, _y, _c, next) => next() * 65536)],
    ['hot pixels on a dark 16-bit flat', grey16, imageOf(grey16, 9, (_x, _y, _c, next) => 1000 + (next() < 0.002 ? 60000 : 0))],
    ['a step between 16-bit extremes with texture', grey16, imageOf(grey16, 10, (x, _y, _c, next) => (x < width / 2 ? 65000 : 0) + Math.floor(next() * 4))],
    // 1000 L far from the tile's offset does not fit float32's 24 bits: x is rounded on conversion.
    ['16-bit RGB between black and white', rgb16, imageOf(rgb16, 11, (x, y, _c, next) => ((x + y) % 7 < 3 ? 65535 : 0) + next() * 100)],
  ];
}

describe('the float32 pass and its proven bound', () => {
  // 64 columns and 96 rows: one tile of one block, so the bound reported is that tile's own.
  it.each(adversarialImages(64, 96))('keeps every float32 value of %s within the bound it proves', (_name, layout, pixels) => {
    const reference = referenceFocusMap(pixels, layout, 2);
    const { map, stats } = measureFocusMap(pixels, layout, 2, Infinity);
    expect(stats.tiles).toBe(1);
    expectWithinProvenBound(map, stats, reference);
  });

  it.each(
    adversarialImages(200, 150).map(([name, layout, pixels]): [string, PixelLayout, PixelData, boolean] => [
      name,
      layout,
      pixels,
      // The float32 pass proves ramps, steps and strong patterns (its errors scale with local
      // second moments) but not noise that fills the frame (the flats are noise too), sparse hot
      // pixels or 16-bit RGB black and white three pixels in seven, whose second moments about a
      // pixel are several times the map's maximum (that one's bound: 1.3e-5 of it).
      /noise|near-saturated|hot pixels|black and white/.test(name),
    ]),
  )('on %s, keeps float32 tiles only where their bound is within 1e-5 of the map maximum', (_name, layout, pixels, fallsBack) => {
    const reference = referenceFocusMap(pixels, layout, 2);
    const { map, stats } = measureFocusMap(pixels, layout, 2);
    expectWithinBound(map, reference);
    expectWithinProvenBound(map, stats, reference);
    expect(stats.bound!).toBeLessThanOrEqual(FOCUS_TOLERANCE * stats.max * (1 + 1e-9));
    expect(stats.fallbackTiles > 0).toBe(fallsBack);
    // The fallback alone (every tile in float64) holds the engine's tolerance on these images too.
    expectWithinBound(measureFocusMap(pixels, layout, 2, 0).map, reference);
    // Where it falls back, float32 alone could not prove the tolerance.
    if (fallsBack) expect(measureFocusMap(pixels, layout, 2, Infinity).stats.bound!).toBeGreaterThan(FOCUS_TOLERANCE * stats.max);
  });

  it('keeps every value within the bound it proves on 30 seeded random images (ramps, steps, noise, hot pixels)', () => {
    // The bound is derived by hand (assembly/focus-variance.ts): a property check over layouts,
    // depths, sigmas (odd and even radii) and mixtures the named cases do not cover.
    const next = random(2026);
    const pick = <T>(options: T[]) => options[Math.floor(next() * options.length)];
    let fellBack = 0;
    for (let n = 0; n < 30; n++) {
      const layout: PixelLayout = { width: 32 + Math.floor(next() * 48), height: 24 + Math.floor(next() * 72), channels: pick([1, 2, 3, 3, 4]), bitDepth: pick([8, 16]) };
      const sigma = pick([0.7, 1.5, 2, 2, 3.3]);
      const top = layout.bitDepth === 16 ? 65535 : 255;
      const base = next() * top;
      const slopeX = ((next() - 0.5) * 2 * next() * top) / layout.width;
      const slopeY = ((next() - 0.5) * 2 * next() * top) / layout.height;
      const noise = top * next() ** 4 * 0.5;
      const stepAt = next() < 0.5 ? Math.floor(next() * layout.width) : layout.width;
      const step = (next() - 0.5) * top;
      const hot = next() < 0.2 ? next() * 0.01 : 0;
      const pixels = imageOf(layout, n, (x, y, c, more) =>
        hot && more() < hot ? top : base + slopeX * x + slopeY * y + (x >= stepAt ? step : 0) + (more() - 0.5) * noise + c * 7,
      );
      const reference = referenceFocusMap(pixels, layout, sigma);
      const alone = measureFocusMap(pixels, layout, sigma, Infinity);
      expectWithinProvenBound(alone.map, alone.stats, reference);
      const engine = measureFocusMap(pixels, layout, sigma);
      expectWithinProvenBound(engine.map, engine.stats, reference);
      expectWithinBound(engine.map, reference);
      fellBack += engine.stats.fallbackTiles;
    }
    // Some of them need the fallback (the noisy ones), so both paths were exercised.
    expect(fellBack).toBeGreaterThan(0);
  });

  it('decides tile by tile: hot pixels fall back, the ramp beside them does not', () => {
    const layout: PixelLayout = { width: 256, height: 100, channels: 1, bitDepth: 16 };
    const pixels = imageOf(layout, 12, (x, y, _c, next) => (x < 100 ? 1000 + (next() < 0.01 ? 60000 : 0) : x * 150 + y));
    const reference = referenceFocusMap(pixels, layout, 2);
    const { map, stats } = measureFocusMap(pixels, layout, 2);
    expect(stats.tiles).toBe(4);
    expect(stats.fallbackTiles).toBe(2); // the two tiles the hot pixels reach (columns 0-63, 64-127)
    expectWithinBound(map, reference);
    expectWithinProvenBound(map, stats, reference);
  });
});

describe('the argmax of a stack', () => {
  /**
   * A focus sweep: one texture whose contrast peaks in slice k where k = focus(x), a ramp across
   * the frame, with independent noise per slice. Columns where the focus falls between two
   * slices have near-ties.
   */
  function sweep(layout: PixelLayout, count: number, base: number, amplitude: number, noise: number): PixelData[] {
    const texture = imageOf({ ...layout, bitDepth: 16 }, 20, (_x, _y, _c, next) => next() * 65535);
    return Array.from({ length: count }, (_, k) =>
      imageOf(layout, 30 + k, (x, y, c, next) => {
        const focus = ((count - 1) * x) / (layout.width - 1);
        const contrast = Math.exp(-((k - focus) ** 2) / 2);
        const t = texture[(y * layout.width + x) * layout.channels + c] / 65535 - 0.5;
        return base + amplitude * contrast * t + noise * (next() - 0.5);
      }),
    );
  }

  it.each([
    ['8-bit RGB', { width: 150, height: 90, channels: 3, bitDepth: 8 }, 120, 200, 3],
    ['bright 16-bit grey', { width: 150, height: 90, channels: 1, bitDepth: 16 }, 60000, 3000, 4],
  ] as Array<[string, PixelLayout, number, number, number]>)(
    'of %s equals a float64 argmax on every pixel whose top-two margin exceeds the bounds',
    (_name, layout, base, amplitude, noise) => {
      const slices = sweep(layout, 6, base, amplitude, noise);
      const buffers = createProfileBuffers(layout, 16, slices.length, { peaks: false, sums: false, weightedSums: false }, { sigma: 2, workers: 1 });
      const merger = new ProfileMerger(buffers, layout);
      const bounds = slices.map((pixels, k) =>
        measureFocusBands(pixels, layout, 2, (y0, _y1, variance, kernelMerge) => merger.mergeBand(k, y0, variance, pixels, kernelMerge), 16, buffers.arena).bound!,
      );
      const references = slices.map((pixels) => referenceFocusMap(pixels, layout, 2));
      let decisive = 0;
      let nearTies = 0;
      for (let p = 0; p < layout.width * layout.height; p++) {
        let top = 0;
        for (let k = 1; k < slices.length; k++) if (references[k][p] > references[top][p]) top = k;
        // Decisive: every other slice is further below the top than the two bounds together.
        let clear = true;
        for (let k = 0; k < slices.length; k++) {
          if (k !== top && references[top][p] - references[k][p] <= bounds[top] + bounds[k]) clear = false;
        }
        if (!clear) {
          nearTies++;
          continue;
        }
        decisive++;
        expect(buffers.argmax.winner[p]).toBe(top);
      }
      expect(decisive).toBeGreaterThan(0.95 * layout.width * layout.height);
      expect(nearTies + decisive).toBe(layout.width * layout.height);
    },
  );
});

describe('the map of a slice does not depend on the worker that computes it', () => {
  // The float32 kernel's fallback decision takes a running lower bound of the map's maximum, so
  // the map depends on the block a slice starts at. That start used to come from the arena slot
  // the task claimed, i.e. from timing: the same job could give different files (CI: one pixel of
  // a 12-slice stack). Now it comes from the slice's index in the stack.
  // Two blocks of 128 rows: a strong 16-bit stripe pattern above (the slice's maximum), and below
  // a bright flat with one level of noise, whose float32 bound is large against its own small
  // values but small against the stripes': started below, its tiles fall back; started above, not.
  const layout: PixelLayout = { width: 192, height: 256, channels: 1, bitDepth: 16 };
  const pixels = imageOf(layout, 31, (x, y, _c, next) => (y < 128 ? (x % 8 < 4 ? 1000 : 64000) : 65000 + Math.floor(next() * 2)));
  const bandRows = 16;
  const blocks = 2;

  /** The map as a worker computes it: in the job's arena, in the slot left free, staggered by `index`. */
  function inArena(index: number | undefined, takenSlots: number[]) {
    const buffers = createProfileBuffers(layout, bandRows, 1, { peaks: false, sums: false, weightedSums: false }, { sigma: 2, workers: 2 });
    for (const slot of takenSlots) Atomics.store(buffers.arena!.claims, slot, 1);
    const map = new Float32Array(layout.width * layout.height);
    const firstRows: number[] = [];
    const stats = measureFocusBands(pixels, layout, 2, (y0, _y1, band) => {
      firstRows.push(y0);
      map.set(band, y0 * layout.width);
    }, bandRows, buffers.arena, undefined, index);
    return { map, stats, firstRow: firstRows[0] };
  }

  it('gives the same map in either slot, for a slice that starts at the top and for one that starts below', () => {
    expect(staggeredStart(0, blocks)).toBe(0);
    expect(staggeredStart(1, blocks)).toBe(1);
    for (const index of [0, 1]) {
      const first = inArena(index, []);
      const second = inArena(index, [0]);
      expect(first.firstRow).toBe(index * 128);
      expect(second.firstRow).toBe(first.firstRow);
      expect(second.stats.fallbackTiles).toBe(first.stats.fallbackTiles);
      expect(second.stats.sum).toBe(first.stats.sum);
      expect(bytes(second.map).equals(bytes(first.map))).toBe(true);
    }
  });

  it('starts neighbouring slices apart, and every start keeps the map within the bound', () => {
    const reference = referenceFocusMap(pixels, layout, 2);
    const top = inArena(0, []);
    const below = inArena(1, []);
    // The case the start changes: started below, the flat's tiles see only their own maximum.
    expect(below.stats.fallbackTiles).toBeGreaterThan(top.stats.fallbackTiles);
    for (const run of [top, below]) {
      expectWithinBound(run.map, reference);
      expectWithinProvenBound(run.map, run.stats, reference);
    }
    for (const many of [7, 63, 250]) {
      for (let k = 0; k + 1 < 40; k++) {
        const gap = Math.abs(staggeredStart(k + 1, many) - staggeredStart(k, many));
        expect(Math.min(gap, many - gap), `blocks ${many}, slices ${k} and ${k + 1}`).toBeGreaterThanOrEqual(Math.floor(0.38 * many) - 1);
      }
    }
  });
});
