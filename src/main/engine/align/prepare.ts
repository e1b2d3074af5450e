// Stage "align", input: decodes one slice straight to the reduced copies that estimation works on
// (a grey image at most ESTIMATION_SIDE on its longest side, and a small colour copy for the
// brightness fit), so the estimation pre-pass never holds a full-size slice.
// JPEG shrink-on-load makes this much cheaper than a full decode.
import type { PixelLayout, SliceRef } from '../../../shared/types';
import type { ColourThumb, GreyImage } from './geometry';
import { buildPyramid } from './pyramid';
import { readRaw, samplesOf, sliceReader } from '../input/decode';

/** Longest side of the grey copy geometry is estimated on. */
export const ESTIMATION_SIDE = 1024;
/** Longest side of the colour copy the brightness fit low-passes after aligning it. */
export const COLOUR_SIDE = 512;

export interface AlignmentCopies {
  /**
   * The grey copy and its Gaussian pyramid (finest first), built here once per slice rather than
   * once per pair: every slice but the ends is estimated against both its neighbours.
   */
  pyramid: GreyImage[];
  colour: ColourThumb;
}

/** Size of a copy of a width x height frame whose longest side is at most `side`. */
export function reducedSize(width: number, height: number, side: number): { width: number; height: number } {
  const f = Math.min(1, side / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * f)), height: Math.max(1, Math.round(height * f)) };
}

/** Grey copy and colour thumbnail from interleaved samples already at the grey copy's size. */
export function copiesFromPixels(pixels: ArrayLike<number>, width: number, height: number, channels: number): AlignmentCopies {
  const colour = channels === 2 || channels === 4 ? channels - 1 : channels;
  const size = reducedSize(width, height, COLOUR_SIDE);
  return {
    pyramid: buildPyramid({ width, height, data: luminance(pixels, width * height, channels, colour) }),
    colour: { width: size.width, height: size.height, channels: colour, data: boxAverage(pixels, width, height, channels, colour, size) },
  };
}

// Loops in small functions: see align-estimate.ts on why that suits V8.

function luminance(pixels: ArrayLike<number>, count: number, channels: number, colour: number): Float32Array {
  const grey = new Float32Array(count);
  if (colour < 3) {
    for (let p = 0; p < count; p++) grey[p] = pixels[p * channels];
    return grey;
  }
  for (let p = 0; p < count; p++) {
    const i = p * channels;
    grey[p] = 0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2];
  }
  return grey;
}

/** Box average over each reduced pixel's footprint, the first `colour` channels; the same footprint for every slice. */
function boxAverage(pixels: ArrayLike<number>, width: number, height: number, channels: number, colour: number, size: { width: number; height: number }): Float32Array {
  const sums = new Float32Array(size.width * size.height * colour);
  const column = footprints(width, size.width);
  const row = footprints(height, size.height);
  for (let y = 0; y < height; y++) addRowToFootprints(pixels, y * width * channels, width, channels, colour, column.index, row.index[y] * size.width, sums);
  // A footprint's pixel count is its width times its height.
  const counts = new Float32Array(size.width * size.height);
  for (let ty = 0; ty < size.height; ty++) for (let tx = 0; tx < size.width; tx++) counts[ty * size.width + tx] = column.count[tx] * row.count[ty];
  divideByCounts(sums, counts, colour);
  return sums;
}

/** Adds one row of pixels (from sample `start`) to the sums of the reduced row starting at pixel `reducedRow`. */
function addRowToFootprints(pixels: ArrayLike<number>, start: number, width: number, channels: number, colour: number, column: Int32Array, reducedRow: number, sums: Float32Array): void {
  for (let x = 0, i = start; x < width; x++, i += channels) {
    const t = (reducedRow + column[x]) * colour;
    for (let c = 0; c < colour; c++) sums[t + c] += pixels[i + c];
  }
}

/** Along one axis: the reduced pixel each of `from` pixels falls in, and how many fall in each. */
function footprints(from: number, to: number): { index: Int32Array; count: Int32Array } {
  const index = new Int32Array(from);
  const count = new Int32Array(to);
  for (let x = 0; x < from; x++) {
    index[x] = Math.min(to - 1, Math.floor((x * to) / from));
    count[index[x]]++;
  }
  return { index, count };
}

function divideByCounts(sums: Float32Array, counts: Float32Array, colour: number): void {
  for (let t = 0; t < counts.length; t++) for (let c = 0; c < colour; c++) sums[t * colour + c] /= Math.max(1, counts[t]);
}

/**
 * The same copies in one SharedArrayBuffer, so that handing them to the main thread and on to
 * the estimating workers shares them instead of cloning them. Measured on the benchmark's JPEG
 * stack: the clones (several megabytes each, a size glibc keeps in the thread's heap once freed)
 * left about 90 MB resident after the pre-pass, on top of the focus pass's own peak.
 */
export function sharedCopies(copies: AlignmentCopies): AlignmentCopies {
  const arrays = [...copies.pyramid.map((level) => level.data), copies.colour.data];
  const shared = new SharedArrayBuffer(arrays.reduce((sum, a) => sum + a.byteLength, 0));
  let offset = 0;
  const views = arrays.map((a) => {
    const view = new Float32Array(shared, offset, a.length);
    view.set(a);
    offset += a.byteLength;
    return view;
  });
  return {
    pyramid: copies.pyramid.map((level, i) => ({ ...level, data: views[i] })),
    colour: { ...copies.colour, data: views[views.length - 1] },
  };
}

/** Decodes `slice` to its reduced copies, at the stack's bit depth (16-bit data stays 16-bit). */
export async function prepareAlignmentCopies(slice: SliceRef, layout: PixelLayout): Promise<AlignmentCopies> {
  const size = reducedSize(layout.width, layout.height, ESTIMATION_SIDE);
  let image = await sliceReader(slice, layout, false);
  if (size.width !== layout.width || size.height !== layout.height) {
    // A linear (triangle) kernel, widened to the reduction by libvips, low-passes enough for
    // estimation, which blurs again in its pyramid; lanczos3 cost a third more (16-bit TIFF).
    image = image.resize({ width: size.width, height: size.height, fit: 'fill', kernel: 'linear' });
  }
  const { data, info } = await readRaw(slice, layout, image);
  const samples = samplesOf(data, layout.bitDepth);
  return copiesFromPixels(samples, info.width, info.height, info.channels);
}
