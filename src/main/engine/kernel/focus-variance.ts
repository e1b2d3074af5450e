// Runs the WebAssembly SIMD focus kernel (assembly/focus-variance.ts) over a slice in blocks of
// rows: copies each block's source rows (reflected at the top and bottom edges) into the kernel's
// memory, lets it compute the block's focus map, and hands the map to the caller band by band.
// Memory stays a few blocks deep whatever the slice's size. A plain argmax job's merge of each
// band can run in the kernel too (ArgmaxBandMerge), several times faster than the JavaScript
// loop. Where WebAssembly SIMD is missing, the float64 JavaScript kernel (focus-measure.ts) does
// the same job, more slowly.
import { gaussianKernel, reflectIndex } from '../../../shared/gaussian';
import type { PixelLayout } from '../../../shared/types';
import type { PixelData } from '../decode';
import { computeFocusBands, DEFAULT_BAND_ROWS, type FocusBandHandler } from '../focus-measure';
import { focusVarianceWasm } from './focus-variance.wasm.generated';

/** Must match TILE and STRIDE in assembly/focus-variance.ts. */
const TILE = 128;
const STRIDE = TILE + 16;
/** Rows per kernel call: tall enough that the 2 * radius halo rows cost little, short enough to stay in cache. */
const BLOCK_ROWS = 128;
const PAGE = 65536;

interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  configure(...args: number[]): void;
  focusBand(rows: number): void;
  mergeArgmax(k: number, firstRow: number, rows: number, maxVariance: number, winner: number, composite: number): void;
}

/**
 * Merges the band being handed out (by the kernel, in WebAssembly SIMD) into a plain argmax
 * state: the full-image views of ProfileMerger (merge-profile.ts), whose mergeArgmax it
 * replaces bit for bit. The band's state is copied into the kernel's memory, merged against the
 * slice's pixels already there, and copied back; the caller holds the band's lock.
 */
export type ArgmaxBandMerge = (sliceIndex: number, maxVariance: Float32Array, winner: Uint16Array, composite: PixelData) => void;

/** A band handler that may merge the band through the kernel (the fourth argument, when offered). */
export type KernelBandHandler = (y0: number, y1: number, variance: Float32Array, merge?: ArgmaxBandMerge) => void;

export interface FocusMapStats {
  /** Sum of v over the slice (mean variance = sum / pixels). */
  sum: number;
  /** Largest v in the slice. */
  max: number;
  /** Which kernel ran. */
  kernel: 'wasm-simd' | 'js-float64';
}

let kernel: KernelExports | null | undefined;

/** The kernel's instance, made once per thread; null where WebAssembly SIMD is unavailable. */
function loadKernel(): KernelExports | null {
  if (kernel !== undefined) return kernel;
  const bytes = Buffer.from(focusVarianceWasm, 'base64');
  kernel = WebAssembly.validate(bytes)
    ? (new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as KernelExports)
    : null;
  return kernel;
}

export function wasmKernelAvailable(): boolean {
  return loadKernel() !== null;
}

const align = (n: number) => Math.ceil(n / 16) * 16;

/** Lays out the kernel's buffers for one slice geometry, growing its memory as needed. */
function prepare(k: KernelExports, layout: PixelLayout, kernelWeights: Float64Array, blockRows: number, bandRows: number) {
  const radius = (kernelWeights.length - 1) / 2;
  const rowBytes = layout.width * layout.channels * (layout.bitDepth / 8);
  const inputRows = blockRows + 2 * radius;
  let next = align(k.heapBase());
  const take = (bytes: number) => {
    const at = next;
    next = align(next + bytes);
    return at;
  };
  const weights = take((radius + 1) * 16);
  const input = take(inputRows * rowBytes + 64); // SIMD loads read up to 32 bytes past a row
  const lum = take((TILE + 2 * radius + 8) * 8);
  const rowMean = take(inputRows * STRIDE * 8);
  const rowMeanSq = take(inputRows * STRIDE * 8);
  const colMean = take(TILE * 8);
  const output = take(blockRows * layout.width * 4 + 16);
  const stats = take(16);
  // One band of argmax state, copied in and out around the kernel's merge (SIMD loads read 64
  // bytes ahead at most, inside the padding).
  const bandPixels = bandRows * layout.width;
  const mergeMax = take(bandPixels * 4 + 64);
  const mergeWinner = take(bandPixels * 2 + 64);
  const mergeComposite = take(bandPixels * layout.channels * (layout.bitDepth / 8) + 64);
  const pages = Math.ceil(next / PAGE) - k.memory.buffer.byteLength / PAGE;
  if (pages > 0) k.memory.grow(pages);

  const splats = new Float64Array(k.memory.buffer, weights, (radius + 1) * 2);
  for (let t = 0; t <= radius; t++) splats.fill(kernelWeights[radius + t], t * 2, t * 2 + 2);
  new Float64Array(k.memory.buffer, stats, 2).fill(0);
  k.configure(
    layout.width, layout.channels, layout.bitDepth === 16 ? 1 : 0, radius,
    input, weights, lum, rowMean, rowMeanSq, colMean, output, stats,
  );
  return { radius, rowBytes, input, output, stats, mergeMax, mergeWinner, mergeComposite };
}

/**
 * Computes the focus map of `pixels` and calls `onBand` for each band of `bandRows` rows, in
 * order, as computeFocusBands does (same values within the accuracy bound). The band array is a
 * view into the kernel's memory, valid only during the call. Returns the map's statistics.
 */
export function measureFocusBands(
  pixels: PixelData,
  layout: PixelLayout,
  sigma: number,
  onBand: KernelBandHandler,
  bandRows = DEFAULT_BAND_ROWS,
): FocusMapStats {
  const k = loadKernel();
  if (!k) return measureWithJavaScript(pixels, layout, sigma, onBand, bandRows);
  const { width, height } = layout;
  const blockRows = bandRows * Math.max(1, Math.round(BLOCK_ROWS / bandRows));
  const { radius, rowBytes, input, output, stats, mergeMax, mergeWinner, mergeComposite } = prepare(
    k, layout, gaussianKernel(sigma), blockRows, bandRows,
  );
  const source = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const heap = new Uint8Array(k.memory.buffer);
  const totals = new Float64Array(k.memory.buffer, stats, 2);
  const channels = layout.channels;
  const bandMax = new Float32Array(k.memory.buffer, mergeMax, bandRows * width);
  const bandWinner = new Uint16Array(k.memory.buffer, mergeWinner, bandRows * width);
  const bandComposite: PixelData =
    layout.bitDepth === 16
      ? new Uint16Array(k.memory.buffer, mergeComposite, bandRows * width * channels)
      : new Uint8Array(k.memory.buffer, mergeComposite, bandRows * width * channels);
  // The band being handed out: rows bandFirst .. bandFirst + bandCount of the image, starting at
  // row bandInBlock of the kernel's current block.
  let bandFirst = 0;
  let bandCount = 0;
  let bandInBlock = 0;
  const merge: ArgmaxBandMerge = (sliceIndex, maxVariance, winner, composite) => {
    const n = bandCount * width;
    const p = bandFirst * width;
    bandMax.set(maxVariance.subarray(p, p + n));
    bandWinner.set(winner.subarray(p, p + n));
    bandComposite.set(composite.subarray(p * channels, (p + n) * channels));
    k.mergeArgmax(sliceIndex, bandInBlock, bandCount, mergeMax, mergeWinner, mergeComposite);
    maxVariance.set(bandMax.subarray(0, n), p);
    winner.set(bandWinner.subarray(0, n), p);
    composite.set(bandComposite.subarray(0, n * channels), p * channels);
  };

  for (let y0 = 0; y0 < height; y0 += blockRows) {
    const rows = Math.min(blockRows, height - y0);
    // Source rows y0 - radius .. y0 + rows + radius, copied in runs of consecutive rows.
    const inputRows = rows + 2 * radius;
    for (let j = 0; j < inputRows; ) {
      const first = reflectIndex(y0 - radius + j, height);
      let run = 1;
      while (j + run < inputRows && reflectIndex(y0 - radius + j + run, height) === first + run) run++;
      heap.set(source.subarray(first * rowBytes, (first + run) * rowBytes), input + j * rowBytes);
      j += run;
    }
    k.focusBand(rows);
    for (let b = 0; b < rows; b += bandRows) {
      const bandEnd = Math.min(rows, b + bandRows);
      bandFirst = y0 + b;
      bandCount = bandEnd - b;
      bandInBlock = b;
      onBand(y0 + b, y0 + bandEnd, new Float32Array(k.memory.buffer, output + b * width * 4, (bandEnd - b) * width), merge);
    }
  }
  // The map holds v rounded to float32; rounding is monotonic, so this is the map's own maximum.
  return { sum: totals[0], max: Math.fround(totals[1]), kernel: 'wasm-simd' };
}

function measureWithJavaScript(
  pixels: PixelData,
  layout: PixelLayout,
  sigma: number,
  onBand: FocusBandHandler,
  bandRows: number,
): FocusMapStats {
  let sum = 0;
  let max = 0;
  computeFocusBands(
    pixels,
    layout,
    sigma,
    (y0, y1, variance) => {
      for (let i = 0; i < variance.length; i++) {
        const v = variance[i];
        sum += v;
        if (v > max) max = v;
      }
      onBand(y0, y1, variance);
    },
    bandRows,
  );
  return { sum, max, kernel: 'js-float64' };
}

/** The whole focus map from the fast kernel: for tests and small images. */
export function measureFocusMap(pixels: PixelData, layout: PixelLayout, sigma: number): { map: Float32Array; stats: FocusMapStats } {
  const map = new Float32Array(layout.width * layout.height);
  const stats = measureFocusBands(pixels, layout, sigma, (y0, _y1, band) => map.set(band, y0 * layout.width));
  return { map, stats };
}
