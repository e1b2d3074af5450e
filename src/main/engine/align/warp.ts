// Stage "align", application: resamples one decoded slice onto the reference slice's (cropped)
// grid and applies its brightness correction, at the slice's own bit depth, in the worker right
// after decoding and before the focus measure. Interpolation is Keys' cubic convolution with
// a = -0.5 (R. Keys, "Cubic convolution interpolation for digital image processing", IEEE ASSP
// 29(6), 1981): third-order accurate, reproduces linear ramps exactly, no overshoot beyond a
// few percent. Taps beyond the slice repeat its edge, which is how `keepSize` fills
// the borders without inventing dark edges that the focus measure would mistake for detail.
// The WebAssembly SIMD kernel (assembly/warp.ts, via kernel/warp.ts) does the general case; the
// JavaScript below is its reference and the fallback where WebAssembly SIMD is missing.
import type { PixelLayout } from '../../../shared/types';
import type { Affine } from './geometry';
import type { PixelData } from '../input/decode';
import { warpWithKernel } from './warp-kernel';

/** 'auto': the WebAssembly kernel where available; 'js': the float64 JavaScript reference. */
export type WarpKernel = 'auto' | 'js';

/** What the worker applies to one slice; everything in full-resolution pixels. */
export interface SliceWarp {
  /** Maps output pixel coordinates (the aligned, cropped frame) to source slice coordinates. */
  matrix: Affine;
  /** corrected = gains[c] * value + offsets[c] per colour channel; absent when not matched. */
  gains?: number[];
  offsets?: number[];
}

/** Below this corner motion (px) the resampling would move nothing visible: copy instead. */
export const IDENTITY_TOLERANCE = 0.05;

/** The integer shift `matrix` amounts to, or undefined if it scales, rotates or shifts by a fraction. */
export function integerShift(matrix: Affine, width: number, height: number): [number, number] | undefined {
  const [a, b, c, d, e, f] = matrix;
  const dx = Math.round(c);
  const dy = Math.round(f);
  // Worst displacement over the frame against the pure integer shift (linear part is at most
  // |a-1| w + |b| h off at a corner).
  const off =
    Math.abs(a - 1) * width + Math.abs(b) * height + Math.abs(c - dx) + Math.abs(d) * width + Math.abs(e - 1) * height + Math.abs(f - dy);
  return off < IDENTITY_TOLERANCE ? [dx, dy] : undefined;
}

/**
 * Keys' free parameter. -0.5 is the only value with which the kernel reproduces linear ramps
 * (sum of w_i * offset_i = t) and converges at third order; -0.75 (OpenCV's INTER_CUBIC) is
 * sharper and closes most of the realigned synthetic bracket's PSNR gap (1.38 dB -> 0.14 dB in
 * test/unit/align-warp.test.ts) but displaces gradients by up to 0.05 px (t (t - 1/2) (t - 1)),
 * which fails the ramp test. assembly/warp.ts has the same weights as constants.
 */
export const KEYS_A = -0.5;

// Keys' kernel for taps at offsets -1, 0, 1, 2 from floor(x), as polynomials in the fraction t:
// w0 = a (t^3 - 2t^2 + t), w1 = (a+2) t^3 - (a+3) t^2 + 1, w2 = -(a+2) t^3 + (2a+3) t^2 - a t,
// w3 = -a (t^3 - t^2).
const A0 = KEYS_A;
const A1 = KEYS_A + 2;
const A2 = KEYS_A + 3;
const A3 = 2 * KEYS_A + 3;

function cubicWeights(t: number, w: Float64Array): void {
  const t2 = t * t;
  const t3 = t2 * t;
  w[0] = A0 * (t3 - 2 * t2 + t);
  w[1] = A1 * t3 - A2 * t2 + 1;
  w[2] = -A1 * t3 + A3 * t2 - A0 * t;
  w[3] = -A0 * (t3 - t2);
}

/**
 * Returns the slice resampled to `width` x `height` output pixels. A pure integer shift is a copy
 * (bit-identical to the input); brightness, when given, is applied with rounding and clamping.
 * `resample` skips that copy: a window of a frame whose motion is not an integer shift must be
 * resampled as the whole frame is, even where its own few pixels move by less than the tolerance.
 * `overSource`: the caller is done with `pixels`, so the result may be written over them (a
 * decoded slice is the largest buffer a worker holds; a second one per worker was most of what
 * alignment added to the peak memory).
 */
export function warpSlice(
  pixels: PixelData,
  source: PixelLayout,
  width: number,
  height: number,
  warp: SliceWarp,
  kernel: WarpKernel = 'auto',
  resample = false,
  overSource = false,
): PixelData {
  const correction = brightnessCorrection(warp, source.channels);
  const shift = resample ? undefined : integerShift(warp.matrix, width, height);
  if (shift) return shiftSlice(pixels, source, width, height, shift, correction, overSource);

  if (kernel === 'auto') {
    // The WebAssembly SIMD kernel (assembly/warp.ts): same arithmetic in float32, within one level.
    const { channels, bitDepth } = source;
    const { gains, offsets } = correction;
    const fast = warpWithKernel(pixels, source.width, source.height, channels, bitDepth === 16, width, height, warp.matrix, gains, offsets, undefined, overSource);
    if (fast) return fast;
  }
  // The reference, and the fallback where WebAssembly SIMD is missing.
  return resampleCubic(pixels, source, width, height, warp.matrix, correction);
}

/** Gain and offset for every channel: the colour channels' from the warp, alpha left alone. */
interface BrightnessCorrection {
  gains: Float64Array;
  offsets: Float64Array;
  /** How many leading channels are colour (the rest, if any, is alpha). */
  colour: number;
}

function brightnessCorrection(warp: SliceWarp, channels: number): BrightnessCorrection {
  const colour = channels === 2 || channels === 4 ? channels - 1 : channels;
  const gains = new Float64Array(channels).fill(1);
  const offsets = new Float64Array(channels);
  for (let c = 0; c < colour; c++) {
    gains[c] = warp.gains?.[c] ?? 1;
    offsets[c] = warp.offsets?.[c] ?? 0;
  }
  return { gains, offsets, colour };
}

function allocateFrame(bitDepth: number, samples: number): PixelData {
  return bitDepth === 16 ? new Uint16Array(samples) : new Uint8Array(samples);
}

/**
 * A whole-pixel shift moves samples without resampling them, so the result is bit-identical to
 * the input apart from the brightness correction (applied through look-up tables).
 */
function shiftSlice(
  pixels: PixelData,
  source: PixelLayout,
  width: number,
  height: number,
  [dx, dy]: [number, number],
  correction: BrightnessCorrection,
  overSource: boolean,
): PixelData {
  const { width: sw, height: sh } = source;
  const maxValue = source.bitDepth === 16 ? 65535 : 255;
  const lut = buildLookUp(correction.gains, correction.offsets, correction.colour, maxValue);
  if (!lut && dx === 0 && dy === 0 && width === sw && height === sh) return pixels;
  if (!lut && dx >= 0 && dy >= 0 && dx + width <= sw && dy + height <= sh) return cropSlice(pixels, source, width, height, dx, dy, overSource);
  return shiftWithEdges(pixels, source, width, height, dx, dy, lut, correction.colour);
}

/** The frame lies inside the slice and nothing is corrected: a crop, whole rows at a time. */
function cropSlice(pixels: PixelData, source: PixelLayout, width: number, height: number, dx: number, dy: number, overSource: boolean): PixelData {
  const { channels, width: sw } = source;
  // Over the source, each row moves to an earlier place than any row still to be read, so going
  // down the rows never overwrites what is still needed.
  if (overSource) {
    for (let y = 0; y < height; y++) {
      const start = ((y + dy) * sw + dx) * channels;
      pixels.copyWithin(y * width * channels, start, start + width * channels);
    }
    return pixels.subarray(0, width * height * channels);
  }
  const out = allocateFrame(source.bitDepth, width * height * channels);
  for (let y = 0; y < height; y++) {
    const start = ((y + dy) * sw + dx) * channels;
    out.set(pixels.subarray(start, start + width * channels), y * width * channels);
  }
  return out;
}

/** A shift that reaches past the slice (edges repeated) or changes brightness, into a new frame. */
function shiftWithEdges(
  pixels: PixelData,
  source: PixelLayout,
  width: number,
  height: number,
  dx: number,
  dy: number,
  lut: Uint16Array[] | undefined,
  colour: number,
): PixelData {
  const { channels, width: sw, height: sh } = source;
  const out = allocateFrame(source.bitDepth, width * height * channels);
  // Output columns [x0, x1) read inside the slice; the rest repeat its edge columns.
  const x0 = Math.min(width, Math.max(0, -dx));
  const x1 = Math.max(x0, Math.min(width, sw - dx));
  for (let y = 0; y < height; y++) {
    const sy = Math.min(sh - 1, Math.max(0, y + dy));
    const rowOut = y * width * channels;
    const rowIn = sy * sw * channels;
    for (let x = 0; x < width; x++) {
      if (x === x0) x = x1; // skip the inside run
      if (x >= width) break;
      const sx = Math.min(sw - 1, Math.max(0, x + dx));
      const s = rowIn + sx * channels;
      const o = rowOut + x * channels;
      for (let c = 0; c < channels; c++) out[o + c] = lut && c < colour ? lut[c][pixels[s + c]] : pixels[s + c];
    }
    // The inside run, one channel at a time (monomorphic loops, no clamping).
    const start = rowOut + x0 * channels;
    const end = rowOut + x1 * channels;
    const delta = rowIn + (x0 + dx) * channels - start;
    for (let c = 0; c < channels; c++) {
      const table = lut && c < colour ? lut[c] : undefined;
      if (table) for (let i = start + c; i < end; i += channels) out[i] = table[pixels[i + delta]];
      else for (let i = start + c; i < end; i += channels) out[i] = pixels[i + delta];
    }
  }
  return out;
}

/** Keys' cubic in float64 over the whole frame: the kernel's reference and its fallback. */
function resampleCubic(
  pixels: PixelData,
  source: PixelLayout,
  width: number,
  height: number,
  matrix: Affine,
  { gains, offsets }: BrightnessCorrection,
): PixelData {
  const { channels, width: sw, height: sh } = source;
  const maxValue = source.bitDepth === 16 ? 65535 : 255;
  const out = allocateFrame(source.bitDepth, width * height * channels);
  const [a, b, c0, d, e, f0] = matrix;
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  const acc = new Float64Array(channels);
  for (let y = 0; y < height; y++) {
    let sx = b * y + c0;
    let sy = e * y + f0;
    for (let x = 0; x < width; x++, sx += a, sy += d) {
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const o = (y * width + x) * channels;
      if (channels === 3 && x0 >= 1 && y0 >= 1 && x0 + 2 < sw && y0 + 2 < sh) {
        // The hot path, unrolled for RGB: 16 taps, weights as locals (as cubicWeights).
        const tx = sx - x0;
        const tx2 = tx * tx;
        const tx3 = tx2 * tx;
        const x0w = A0 * (tx3 - 2 * tx2 + tx);
        const x1w = A1 * tx3 - A2 * tx2 + 1;
        const x2w = -A1 * tx3 + A3 * tx2 - A0 * tx;
        const x3w = -A0 * (tx3 - tx2);
        const ty = sy - y0;
        const ty2 = ty * ty;
        const ty3 = ty2 * ty;
        let r = 0;
        let g = 0;
        let bl = 0;
        let row = ((y0 - 1) * sw + (x0 - 1)) * 3;
        for (let j = 0; j < 4; j++, row += sw * 3) {
          const wj = j === 0 ? A0 * (ty3 - 2 * ty2 + ty) : j === 1 ? A1 * ty3 - A2 * ty2 + 1 : j === 2 ? -A1 * ty3 + A3 * ty2 - A0 * ty : -A0 * (ty3 - ty2);
          const hr = x0w * pixels[row] + x1w * pixels[row + 3] + x2w * pixels[row + 6] + x3w * pixels[row + 9];
          const hg = x0w * pixels[row + 1] + x1w * pixels[row + 4] + x2w * pixels[row + 7] + x3w * pixels[row + 10];
          const hb = x0w * pixels[row + 2] + x1w * pixels[row + 5] + x2w * pixels[row + 8] + x3w * pixels[row + 11];
          r += wj * hr;
          g += wj * hg;
          bl += wj * hb;
        }
        const vr = Math.round(gains[0] * r + offsets[0]);
        const vg = Math.round(gains[1] * g + offsets[1]);
        const vb = Math.round(gains[2] * bl + offsets[2]);
        out[o] = vr < 0 ? 0 : vr > maxValue ? maxValue : vr;
        out[o + 1] = vg < 0 ? 0 : vg > maxValue ? maxValue : vg;
        out[o + 2] = vb < 0 ? 0 : vb > maxValue ? maxValue : vb;
        continue;
      }
      cubicWeights(sx - x0, wx);
      cubicWeights(sy - y0, wy);
      acc.fill(0);
      // Any channel count, and near or beyond the edge, where taps repeat the edge samples.
      for (let j = 0; j < 4; j++) {
        const yy = Math.min(sh - 1, Math.max(0, y0 - 1 + j));
        for (let i = 0; i < 4; i++) {
          const xx = Math.min(sw - 1, Math.max(0, x0 - 1 + i));
          const w = wy[j] * wx[i];
          const s = (yy * sw + xx) * channels;
          for (let c = 0; c < channels; c++) acc[c] += w * pixels[s + c];
        }
      }
      for (let c = 0; c < channels; c++) {
        const v = Math.round(gains[c] * acc[c] + offsets[c]);
        out[o + c] = v < 0 ? 0 : v > maxValue ? maxValue : v;
      }
    }
  }
  return out;
}

/** Per-channel tables of corrected values, or undefined when the correction changes nothing. */
function buildLookUp(gains: Float64Array, offsets: Float64Array, colour: number, maxValue: number): Uint16Array[] | undefined {
  let identity = true;
  const tables: Uint16Array[] = [];
  for (let c = 0; c < colour; c++) {
    const table = new Uint16Array(maxValue + 1);
    for (let v = 0; v <= maxValue; v++) {
      const r = Math.round(gains[c] * v + offsets[c]);
      table[v] = r < 0 ? 0 : r > maxValue ? maxValue : r;
      if (table[v] !== v) identity = false;
    }
    tables.push(table);
  }
  return identity ? undefined : tables;
}
