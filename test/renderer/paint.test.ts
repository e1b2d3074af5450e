import { describe, expect, it } from 'vitest';
import { createVarianceScale } from '../../src/shared/colour-scale';
import { depthColour, VIRIDIS } from '../../src/renderer/src/heatmap/colour-maps';
import {
  maskAboveThreshold,
  maskWinner,
  maxOverPreviews,
  paintHeatmap,
  paintIndexMap,
  paintInvertedGrey,
  paintWhiteCover,
} from '../../src/renderer/src/heatmap/paint';

const scale = createVarianceScale(100, 'linear');

describe('colour tables', () => {
  it('runs viridis from dark purple to yellow', () => {
    expect(Array.from(VIRIDIS.slice(0, 3))).toEqual([68, 1, 84]);
    expect(Array.from(VIRIDIS.slice(255 * 3))).toEqual([253, 231, 37]);
  });

  it('gives neighbouring slices different depth colours', () => {
    expect(depthColour(6, 24)).not.toEqual(depthColour(7, 24));
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

  it('colours an index map with the palette entry of each slice', () => {
    const rgba = paintIndexMap(new Uint8Array([1, 0, 7]), [
      [10, 20, 30],
      [40, 50, 60],
    ]);
    expect(Array.from(rgba)).toEqual([40, 50, 60, 255, 10, 20, 30, 255, 0, 0, 0, 255]);
  });

  it('finds the top of the shared scale over all previews', () => {
    expect(maxOverPreviews([{ values: new Float32Array([1, 5]) }, { values: new Float32Array([9, 2]) }])).toBe(9);
  });
});
