// Stage "align", input: decodes one slice straight to the reduced copies that estimation works on
// (a grey image at most ESTIMATION_SIDE on its longest side, and a small colour copy for the
// brightness fit), so the estimation pre-pass never holds a full-size slice.
// JPEG shrink-on-load makes this much cheaper than a full decode.
import sharp from 'sharp';
import type { PixelLayout, SliceRef } from '../../shared/types';
import type { ColourThumb, GreyImage } from './align-geometry';
import { DeepfieldError } from './errors';

/** Longest side of the grey copy geometry is estimated on. */
export const ESTIMATION_SIDE = 1024;
/** Longest side of the colour copy the brightness fit low-passes after aligning it. */
export const COLOUR_SIDE = 512;

export interface AlignmentCopies {
  grey: GreyImage;
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
  const grey = new Float32Array(width * height);
  for (let p = 0; p < width * height; p++) {
    const i = p * channels;
    grey[p] = colour >= 3 ? 0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2] : pixels[i];
  }
  const size = reducedSize(width, height, COLOUR_SIDE);
  const colourData = new Float32Array(size.width * size.height * colour);
  // Box average over each colour pixel's footprint; the same footprint for every slice.
  const counts = new Float32Array(size.width * size.height);
  for (let y = 0; y < height; y++) {
    const ty = Math.min(size.height - 1, Math.floor((y * size.height) / height));
    for (let x = 0; x < width; x++) {
      const tx = Math.min(size.width - 1, Math.floor((x * size.width) / width));
      const t = ty * size.width + tx;
      counts[t]++;
      for (let c = 0; c < colour; c++) colourData[t * colour + c] += pixels[(y * width + x) * channels + c];
    }
  }
  for (let t = 0; t < counts.length; t++) for (let c = 0; c < colour; c++) colourData[t * colour + c] /= Math.max(1, counts[t]);
  return {
    grey: { width, height, data: grey },
    colour: { width: size.width, height: size.height, channels: colour, data: colourData },
  };
}

/** Decodes `slice` to its reduced copies, at the stack's bit depth (16-bit data stays 16-bit). */
export async function prepareAlignmentCopies(slice: SliceRef, layout: PixelLayout): Promise<AlignmentCopies> {
  const grey = layout.channels <= 2;
  const sixteen = layout.bitDepth === 16;
  const size = reducedSize(layout.width, layout.height, ESTIMATION_SIDE);
  let image = sharp(slice.file, slice.page === undefined ? {} : { page: slice.page }).rotate();
  image = image.toColourspace(grey ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb').removeAlpha();
  if (size.width !== layout.width || size.height !== layout.height) {
    image = image.resize({ width: size.width, height: size.height, fit: 'fill' });
  }
  let decoded;
  try {
    decoded = await image.raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new DeepfieldError(`${slice.name} could not be decoded (corrupt or truncated?): ${reason}`, slice.file);
  }
  const { data, info } = decoded;
  const samples = sixteen ? new Uint16Array(new Uint8Array(data).buffer) : data;
  return copiesFromPixels(samples, info.width, info.height, info.channels);
}
