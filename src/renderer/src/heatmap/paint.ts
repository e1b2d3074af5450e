// Turns raw per-slice data into RGBA bitmaps for canvases: heatmaps, the blog-style inverted
// greyscale focus map, the in-focus mask, and the in-focus masks. Pure: typed arrays in,
// typed arrays out (RGBA interleaved, row-major, 8 bits per channel), so it is tested without a DOM.
import { paintColours } from '../../../shared/colour-maps';
import type { VarianceScale } from '../../../shared/colour-scale';

/** `lut`: 256 RGB triples (colourLut in src/shared/colour-maps.ts). */
export function paintHeatmap(values: Float32Array, scale: VarianceScale, lut: Uint8Array): Uint8ClampedArray {
  return paintColours(values, scale.toUnit, lut, { channels: 4, out: new Uint8ClampedArray(values.length * 4) });
}

/** Sharp areas dark on a light ground, as focus maps are usually printed: 1 - scaled variance. */
export function paintInvertedGrey(values: Float32Array, scale: VarianceScale): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    const grey = Math.round((1 - scale.toUnit(values[i])) * 255);
    rgba[i * 4] = grey;
    rgba[i * 4 + 1] = grey;
    rgba[i * 4 + 2] = grey;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

/**
 * The cover laid over a slice to show only its in-focus areas: opaque white where `inFocus` is
 * false, fully transparent where it is true.
 */
export function paintWhiteCover(inFocus: Uint8Array): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(inFocus.length * 4);
  for (let i = 0; i < inFocus.length; i++) {
    const covered = inFocus[i] ? 0 : 255;
    rgba[i * 4] = 255;
    rgba[i * 4 + 1] = 255;
    rgba[i * 4 + 2] = 255;
    rgba[i * 4 + 3] = covered;
  }
  return rgba;
}

/** In focus by threshold: the scaled variance reaches `threshold` (0..1 on the shared scale). */
export function maskAboveThreshold(values: Float32Array, scale: VarianceScale, threshold: number): Uint8Array {
  const mask = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) mask[i] = scale.toUnit(values[i]) >= threshold ? 1 : 0;
  return mask;
}

/** In focus by merge: this slice is the one the composite took the pixel from. */
export function maskWinner(indexMap: Uint8Array, slice: number): Uint8Array {
  const mask = new Uint8Array(indexMap.length);
  for (let i = 0; i < indexMap.length; i++) mask[i] = indexMap[i] === slice ? 1 : 0;
  return mask;
}

/**
 * Slice numbers from the host's 'index' image, 8-bit grey with slice k of N stored as
 * round(255 k / (N - 1)) (see ImageKind in src/shared/api.ts). `rgba` is canvas ImageData; a
 * downsampled index image blends neighbours at edges, and rounding picks the nearest slice.
 */
export function decodeIndexImage(rgba: Uint8ClampedArray, sliceCount: number): Uint8Array {
  const indexMap = new Uint8Array(rgba.length / 4);
  const perLevel = sliceCount > 1 ? (sliceCount - 1) / 255 : 0;
  for (let i = 0; i < indexMap.length; i++) indexMap[i] = Math.round(rgba[i * 4] * perLevel);
  return indexMap;
}

/** The largest value over all previews: the top of the shared heatmap scale. */
export function maxOverPreviews(previews: Iterable<{ values: Float32Array }>): number {
  let max = 0;
  for (const preview of previews) {
    for (let i = 0; i < preview.values.length; i++) if (preview.values[i] > max) max = preview.values[i];
  }
  return max;
}
