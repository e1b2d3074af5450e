import { describe, expect, it } from 'vitest';
import { createVarianceScale } from '../../src/shared/colour-scale';
import { colourLut } from '../../src/shared/colour-maps';
import { colourBarTicks, cssGradient } from '../../src/renderer/src/heatmap/colour-bar';
import {
  decodeIndexImage,
  maskAboveThreshold,
  maskWinner,
  maxOverPreviews,
  paintHeatmap,
  paintInvertedGrey,
  paintWhiteCover,
} from '../../src/renderer/src/heatmap/paint';

const scale = createVarianceScale(100, 'linear');

const VIRIDIS = colourLut('viridis');

describe('colour bar', () => {
  it('runs its gradient from the first to the last colour of the map', () => {
    const gradient = cssGradient(VIRIDIS, 3);
    expect(gradient).toMatch(/^linear-gradient\(to right, rgb\(68, 1, 84\) 0\.0%, .* rgb\(253, 231, 37\) 100\.0%\)$/);
  });

  it('labels the ends of the bar with 0 and the top of the shared scale', () => {
    const ticks = colourBarTicks(createVarianceScale(400, 'log'), 5);
    expect(ticks[0].variance).toBe(0);
    expect(ticks[4].variance).toBeCloseTo(400, 6);
    // On a log scale the middle label is far below half the maximum.
    expect(ticks[2].variance).toBeLessThan(40);
  });
});

describe('painting', () => {
  it('paints the bottom and the top of the shared scale with the ends of the colour map', () => {
    const rgba = paintHeatmap(new Float32Array([0, 100]), scale, VIRIDIS);
    expect(Array.from(rgba)).toEqual([68, 1, 84, 255, 253, 231, 37, 255]);
  });

  it('paints sharp areas dark and flat areas white in the inverted focus map', () => {
    const rgba = paintInvertedGrey(new Float32Array([0, 100, 50]), scale);
    expect(rgba[0]).toBe(255);
    expect(rgba[4]).toBe(0);
    expect(rgba[8]).toBe(128);
  });

  it('covers out-of-focus pixels with opaque white and leaves in-focus ones clear', () => {
    const rgba = paintWhiteCover(new Uint8Array([1, 0]));
    expect(rgba[3]).toBe(0);
    expect(Array.from(rgba.slice(4))).toEqual([255, 255, 255, 255]);
  });

  it('counts a pixel in focus by threshold when its scaled variance reaches the threshold', () => {
    expect(Array.from(maskAboveThreshold(new Float32Array([10, 19.9, 20, 90]), scale, 0.2))).toEqual([0, 0, 1, 1]);
  });

  it('counts a pixel in focus by winner only where the index map names this slice', () => {
    expect(Array.from(maskWinner(new Uint8Array([2, 0, 2, 1]), 2))).toEqual([1, 0, 1, 0]);
  });

  it('decodes slice numbers from the 8-bit index image, rounding blended edge values', () => {
    // 5 slices: k is stored as round(255 k / 4), i.e. 0, 64, 128, 191, 255.
    const rgba = new Uint8ClampedArray([0, 0, 0, 255, 64, 64, 64, 255, 191, 191, 191, 255, 255, 255, 255, 255, 100, 100, 100, 255]);
    expect(Array.from(decodeIndexImage(rgba, 5))).toEqual([0, 1, 3, 4, 2]);
  });

  it('finds the top of the shared scale over all previews', () => {
    expect(maxOverPreviews([{ values: new Float32Array([1, 5]) }, { values: new Float32Array([9, 2]) }])).toBe(9);
  });
});

describe('display window', () => {
  it('puts Auto’s min and max at the 0.35% darkest and brightest pixels', async () => {
    const { autoWindow } = await import('../../src/renderer/src/viewer/display');
    const bins = new Array<number>(256).fill(0);
    bins[10] = 1; // a few dark outliers
    bins[20] = 9000;
    bins[40] = 980;
    bins[250] = 19; // a few hot pixels
    expect(autoWindow(bins)).toEqual({ black: 20, white: 40, gamma: 1 });
  });
});
