// Stage "load", second half: decodes one slice to interleaved raw samples in the stack's layout,
// at its own bit depth (16-bit stays 16-bit), upright per its EXIF orientation.
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import type { PixelLayout, SliceRef } from '../../../shared/types';
import { DeepfieldError } from '../errors';
import { developRaw } from './raw';
import { DEFAULT_INPUT_PIXEL_LIMIT } from './slices';

export type PixelData = Uint8Array | Uint16Array;

/**
 * The one way a slice is read: upright, in the stack's colour space and bit depth, with or without
 * alpha. Every reader (whole slices, windows for focus profiles, reduced copies for alignment)
 * starts here and adds its own resize or extract, so they all see the same samples. A camera RAW
 * slice is developed first (raw.ts), whole: LibRaw has no windowed reading.
 */
export async function sliceReader(slice: SliceRef, layout: PixelLayout, alpha = layout.channels === 2 || layout.channels === 4): Promise<Sharp> {
  const grey = layout.channels <= 2;
  const sixteen = layout.bitDepth === 16;
  let source: Sharp;
  if (slice.develop) {
    const { width, height, rgb } = await developRaw(slice.file, slice.develop);
    source = sharp(rgb, { raw: { width, height, channels: 3 } });
  } else {
    // The stack's own size was checked against the user's limit on every header (probeSlices):
    // allow that much here, so a stack the user let through is decoded whatever sharp's default.
    const limitInputPixels = Math.max(DEFAULT_INPUT_PIXEL_LIMIT, layout.width * layout.height);
    source = sharp(slice.file, slice.page === undefined ? { limitInputPixels } : { page: slice.page, limitInputPixels }).rotate();
  }
  const image = source.toColourspace(grey ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb');
  return alpha ? image.ensureAlpha() : image.removeAlpha();
}

/** Raw output of a reader at the layout's bit depth, with decoding errors naming the slice. */
export async function readRaw(
  slice: SliceRef,
  layout: PixelLayout,
  image: Sharp,
  hint = 'corrupt or truncated?',
): Promise<{ data: Buffer; info: OutputInfo }> {
  try {
    return await image.raw({ depth: layout.bitDepth === 16 ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    if (/exceeds pixel limit/i.test(reason)) {
      throw new DeepfieldError(`${slice.name} is over the pixel limit on slices (use --limit-input-pixels to raise it)`, slice.file);
    }
    throw new DeepfieldError(`${slice.name} could not be decoded (${hint}): ${reason}`, slice.file);
  }
}

/** Views raw bytes as samples of the given depth (copying only when a 16-bit view would be unaligned). */
export function samplesOf(data: Buffer, bitDepth: 8 | 16): PixelData {
  if (bitDepth === 8) return new Uint8Array(data.buffer, data.byteOffset, data.length);
  if (data.byteOffset % 2 === 0) return new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  return new Uint16Array(new Uint8Array(data).buffer);
}

export async function decodeSlice(slice: SliceRef, layout: PixelLayout): Promise<PixelData> {
  const { data, info } = await readRaw(slice, layout, await sliceReader(slice, layout));
  if (info.width !== layout.width || info.height !== layout.height || info.channels !== layout.channels) {
    throw new DeepfieldError(
      `${slice.name} decoded as ${info.width}x${info.height}x${info.channels}, expected ` +
        `${layout.width}x${layout.height}x${layout.channels}`,
      slice.file,
    );
  }
  return samplesOf(data, layout.bitDepth);
}
