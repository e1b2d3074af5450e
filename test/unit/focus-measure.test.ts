// The focus measure against an independent float64 brute force: a direct 2-D Gaussian sum with
// scipy 'reflect' borders, written without the separable trick or any shared code path.
import { describe, expect, test } from 'vitest';
import { gaussianKernel, gaussianRadius, reflectIndex } from '../../src/shared/gaussian';
import { computeFocusMap } from '../../src/main/engine/focus/focus-measure';
import type { PixelLayout } from '../../src/shared/types';
import { random } from '../helpers/fixtures';

function bruteForceVariance(pixels: ArrayLike<number>, layout: PixelLayout, sigma: number): Float64Array {
  const { width, height, channels } = layout;
  const r = Math.floor(4 * sigma + 0.5);
  const w1 = [];
  let total = 0;
  for (let i = -r; i <= r; i++) {
    const w = Math.exp(-(i * i) / (2 * sigma * sigma));
    w1.push(w);
    total += w;
  }
  const w = w1.map((x) => x / total);
  const mirror = (i: number, n: number) => {
    // Unfold repeatedly: ... d c b a | a b c d | d c b a ...
    while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
    return i;
  };
  const lum = (x: number, y: number) => {
    const i = (y * width + x) * channels;
    return channels >= 3 ? 0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2] : pixels[i];
  };
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = 0;
      let s = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const weight = w[dy + r] * w[dx + r];
          const l = lum(mirror(x + dx, width), mirror(y + dy, height));
          m += weight * l;
          s += weight * l * l;
        }
      }
      out[y * width + x] = Math.max(0, s - m * m);
    }
  }
  return out;
}

function maxRelativeError(actual: Float32Array, expected: Float64Array): number {
  let max = 0;
  let err = 0;
  for (let i = 0; i < expected.length; i++) {
    max = Math.max(max, expected[i]);
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
  }
  return err / max;
}

function randomRgb8(width: number, height: number, seed: number): Uint8Array {
  const rnd = random(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rnd() * 256);
  return data;
}

/** Bright flat 16-bit areas with faint texture: where float32 E[x^2]-E[x]^2 cancels. */
function bright16(width: number, height: number, seed: number): Uint16Array {
  const rnd = random(seed);
  const data = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const flat = x < width / 2;
      data[y * width + x] = flat ? 60000 + Math.floor(rnd() * 3) : Math.floor(rnd() * 65536);
    }
  }
  return data;
}

describe('the Gaussian matches scipy.ndimage (truncate 4, reflect)', () => {
  test('radius is int(4 sigma + 0.5)', () => {
    expect(gaussianRadius(2)).toBe(8);
    expect(gaussianRadius(0.6)).toBe(2);
    expect(gaussianRadius(1.5)).toBe(6);
    expect(gaussianRadius(3.3)).toBe(13);
  });
  test('weights are normalised and symmetric', () => {
    const k = gaussianKernel(2);
    expect(k.length).toBe(17);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    for (let i = 0; i < 8; i++) expect(k[i]).toBe(k[16 - i]);
  });
  test('reflect repeats the edge sample: d c b a | a b c d | d c b a', () => {
    const mapped = [-4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7].map((i) => reflectIndex(i, 4));
    expect(mapped).toEqual([3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0]);
  });
});

describe('computeFocusMap agrees with a brute-force float64 2-D sum within 1e-5 of the maximum', () => {
  const cases: Array<[string, number, number, number]> = [
    ['sigma 2 on a band-spanning image', 41, 150, 2],
    ['sigma 0.8', 30, 27, 0.8],
    ['sigma 1.5', 33, 70, 1.5],
    ['sigma 3.3, image smaller than the kernel', 9, 7, 3.3],
  ];
  for (const [name, width, height, sigma] of cases) {
    test(`8-bit RGB, ${name}`, () => {
      const layout: PixelLayout = { width, height, channels: 3, bitDepth: 8 };
      const pixels = randomRgb8(width, height, width * 31 + height);
      const expected = bruteForceVariance(pixels, layout, sigma);
      const actual = computeFocusMap(pixels, layout, sigma);
      expect(maxRelativeError(actual, expected)).toBeLessThan(1e-5);
    });
    test(`16-bit grey with bright flat areas, ${name}`, () => {
      const layout: PixelLayout = { width, height, channels: 1, bitDepth: 16 };
      const pixels = bright16(width, height, width + height * 17);
      const expected = bruteForceVariance(pixels, layout, sigma);
      const actual = computeFocusMap(pixels, layout, sigma);
      expect(maxRelativeError(actual, expected)).toBeLessThan(1e-5);
    });
  }

  test('a flat image has zero variance everywhere, never negative or NaN', () => {
    const layout: PixelLayout = { width: 20, height: 80, channels: 1, bitDepth: 16 };
    const map = computeFocusMap(new Uint16Array(20 * 80).fill(65535), layout, 2);
    for (const v of map) {
      expect(Number.isNaN(v)).toBe(false);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1e-3);
    }
  });

  test('alpha is not part of luminance', () => {
    const width = 12;
    const height = 10;
    const rgb = randomRgb8(width, height, 5);
    const rgba = new Uint8Array(width * height * 4);
    const rnd = random(9);
    for (let p = 0; p < width * height; p++) {
      rgba.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
      rgba[p * 4 + 3] = Math.floor(rnd() * 256);
    }
    const a = computeFocusMap(rgb, { width, height, channels: 3, bitDepth: 8 }, 1.2);
    const b = computeFocusMap(rgba, { width, height, channels: 4, bitDepth: 8 }, 1.2);
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
