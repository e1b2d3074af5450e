// Stage "focus-measure": the raw local-variance focus map v = G*L^2 - (G*L)^2 of one slice,
// with L = 0.299 R + 0.587 G + 0.114 B (grey input as is) and G the scipy-style Gaussian
// (src/shared/gaussian.ts). Computed in bands of rows so memory stays a few rows deep, and
// handed to the caller band by band. Float64 throughout: on 16-bit data with bright flat areas,
// E[L^2] - E[L]^2 in float32 cancels catastrophically.
import { gaussianKernel, reflectIndex } from '../../../shared/gaussian';
import type { PixelLayout } from '../../../shared/types';
import type { PixelData } from '../input/decode';

export type FocusBandHandler = (y0: number, y1: number, variance: Float32Array) => void;

export const DEFAULT_BAND_ROWS = 64;

/** Writes the luminance of source row `y` into `out` at offset `pad`, mirrored into the pads. */
function luminanceRow(
  pixels: PixelData,
  layout: PixelLayout,
  y: number,
  out: Float64Array,
  pad: number,
  mirror: Int32Array,
): void {
  const { width, channels } = layout;
  const rowStart = y * width * channels;
  if (channels >= 3) {
    for (let x = 0; x < width; x++) {
      const i = rowStart + x * channels;
      out[pad + x] = 0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2];
    }
  } else {
    for (let x = 0; x < width; x++) out[pad + x] = pixels[rowStart + x * channels];
  }
  for (let p = 0; p < pad; p++) {
    out[p] = out[pad + mirror[p]];
    out[pad + width + p] = out[pad + mirror[pad + width + p]];
  }
}

/**
 * Computes the focus map of `pixels` and calls `onBand` for each band of `bandRows` rows, in
 * order. The band array is reused between calls: copy what must outlive the call.
 */
export function computeFocusBands(
  pixels: PixelData,
  layout: PixelLayout,
  sigma: number,
  onBand: FocusBandHandler,
  bandRows = DEFAULT_BAND_ROWS,
): void {
  const { width, height } = layout;
  const kernel = gaussianKernel(sigma);
  const radius = (kernel.length - 1) / 2;
  const paddedWidth = width + 2 * radius;
  // mirror[p] = source column for padded column p (only the pads are read).
  const mirror = new Int32Array(paddedWidth);
  for (let p = 0; p < paddedWidth; p++) mirror[p] = reflectIndex(p - radius, width);

  const lum = new Float64Array(paddedWidth);
  const lumSq = new Float64Array(paddedWidth);
  const inputRows = bandRows + 2 * radius;
  const rowMean = new Float64Array(inputRows * width);
  const rowMeanSq = new Float64Array(inputRows * width);
  const sumMean = new Float64Array(width);
  const sumMeanSq = new Float64Array(width);
  const variance = new Float32Array(bandRows * width);
  const centre = kernel[radius];

  for (let y0 = 0; y0 < height; y0 += bandRows) {
    const y1 = Math.min(height, y0 + bandRows);
    const rows = y1 - y0;
    // Horizontal pass over every source row the band's vertical window touches.
    for (let j = 0; j < rows + 2 * radius; j++) {
      luminanceRow(pixels, layout, reflectIndex(y0 - radius + j, height), lum, radius, mirror);
      for (let p = 0; p < paddedWidth; p++) lumSq[p] = lum[p] * lum[p];
      const o = j * width;
      for (let x = 0; x < width; x++) {
        const c = x + radius;
        let m = centre * lum[c];
        let s = centre * lumSq[c];
        for (let t = 1; t <= radius; t++) {
          const w = kernel[radius + t];
          m += w * (lum[c - t] + lum[c + t]);
          s += w * (lumSq[c - t] + lumSq[c + t]);
        }
        rowMean[o + x] = m;
        rowMeanSq[o + x] = s;
      }
    }
    // Vertical pass, accumulated row by row so the inner loop runs along memory.
    for (let y = 0; y < rows; y++) {
      const c = (y + radius) * width;
      for (let x = 0; x < width; x++) {
        sumMean[x] = centre * rowMean[c + x];
        sumMeanSq[x] = centre * rowMeanSq[c + x];
      }
      for (let t = 1; t <= radius; t++) {
        const w = kernel[radius + t];
        const above = c - t * width;
        const below = c + t * width;
        for (let x = 0; x < width; x++) {
          sumMean[x] += w * (rowMean[above + x] + rowMean[below + x]);
          sumMeanSq[x] += w * (rowMeanSq[above + x] + rowMeanSq[below + x]);
        }
      }
      const o = y * width;
      for (let x = 0; x < width; x++) {
        const v = sumMeanSq[x] - sumMean[x] * sumMean[x];
        variance[o + x] = v > 0 ? v : 0;
      }
    }
    onBand(y0, y1, variance.subarray(0, rows * width));
  }
}

/** The whole focus map in one array: for tests, profiles and small images. */
export function computeFocusMap(pixels: PixelData, layout: PixelLayout, sigma: number): Float32Array {
  const map = new Float32Array(layout.width * layout.height);
  computeFocusBands(pixels, layout, sigma, (y0, _y1, band) => map.set(band, y0 * layout.width));
  return map;
}
