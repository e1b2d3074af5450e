// The limits of a stack job's options (src/shared/options.ts, the one place they live).
import { describe, expect, it } from 'vitest';
import { gaussianKernel, gaussianRadius } from '../../src/shared/gaussian';
import { parseStackOptions, SIGMA_MIN } from '../../src/shared/options';

describe('sigma limits', () => {
  it('refuses a sigma whose Gaussian window is a single pixel, which would score every slice 0', () => {
    expect(gaussianRadius(SIGMA_MIN - 1e-9)).toBe(0);
    expect(gaussianKernel(SIGMA_MIN - 1e-9)).toEqual(Float64Array.of(1));
    for (const sigma of [0.1, 1e-9, SIGMA_MIN - 1e-9]) {
      expect(() => parseStackOptions({ sigma }), String(sigma)).toThrow(/Expected a number of pixels from 0.125 to 64 \(below 0.125 the Gaussian window is one pixel/);
    }
  });

  it('takes the smallest sigma with a window wider than one pixel, and the largest', () => {
    expect(gaussianRadius(SIGMA_MIN)).toBe(1);
    expect(parseStackOptions({ sigma: SIGMA_MIN }).sigma).toBe(SIGMA_MIN);
    expect(parseStackOptions({ sigma: 64 }).sigma).toBe(64);
    expect(() => parseStackOptions({ sigma: 64.5 })).toThrow(/for sigma but received 64.5/);
    expect(() => parseStackOptions({ sigma: Number.NaN })).toThrow(/for sigma/);
  });
});
