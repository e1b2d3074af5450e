// Renders what the viewer shows (a slice, the composite, the index map, the colourised depth
// map) as PNG or JPEG, optionally one region of it, scaled to fit a largest side.
import sharp, { type Sharp } from 'sharp';
import type { ImageRegion } from '../../shared/api';
import { depthColour, paintColours } from '../../shared/colour-maps';
import type { PixelLayout, SliceRef } from '../../shared/types';
import { decodeSlice, scaleTo8Bit } from '../engine';

export interface RenderOptions {
  maxSize?: number;
  format: 'png' | 'jpeg';
  region?: ImageRegion;
}

export interface RenderedImage {
  data: Buffer;
  contentType: 'image/png' | 'image/jpeg';
}

function finish(image: Sharp, options: RenderOptions, nearest = false): Promise<RenderedImage> {
  if (options.region) {
    const { x, y, width, height } = options.region;
    image = image.extract({ left: x, top: y, width, height });
  }
  if (options.maxSize) {
    // Nearest neighbour for maps: averaging slice numbers would invent slices that did not win.
    image = image.resize({ width: options.maxSize, height: options.maxSize, fit: 'inside', withoutEnlargement: true, kernel: nearest ? 'nearest' : 'lanczos3' });
  }
  const encoded = options.format === 'jpeg' ? image.jpeg({ quality: 90 }) : image.png({ compressionLevel: 3 });
  return encoded.toBuffer().then((data) => ({ data, contentType: options.format === 'jpeg' ? 'image/jpeg' : 'image/png' }));
}

/** A source slice as the user sees it: upright, 16-bit stretched to its own range. */
export async function renderSlice(slice: SliceRef, layout: PixelLayout, options: RenderOptions): Promise<RenderedImage> {
  if (layout.bitDepth === 8) {
    return finish(sharp(slice.file, slice.page === undefined ? {} : { page: slice.page }).rotate(), options);
  }
  const pixels = scaleTo8Bit((await decodeSlice(slice, layout)) as Uint16Array, layout);
  return finish(sharp(pixels, { raw: { width: layout.width, height: layout.height, channels: layout.channels } }), options);
}

/** 8-bit interleaved pixels (a composite, or a one-channel map). */
export function renderPixels(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  options: RenderOptions,
  nearest = false,
): Promise<RenderedImage> {
  return finish(sharp(pixels, { raw: { width, height, channels } }), options, nearest);
}

/** The 8-bit level of slice k of N in the 'index' image: round(255 k / (N - 1)), distinct for N <= 256. */
export function indexLevels(sliceCount: number): Uint8Array {
  const levels = new Uint8Array(sliceCount);
  for (let k = 0; k < sliceCount; k++) levels[k] = sliceCount > 1 ? Math.round((255 * k) / (sliceCount - 1)) : 128;
  return levels;
}

export function indexTo8Bit(indexMap: Uint16Array, sliceCount: number): Uint8Array {
  const levels = indexLevels(sliceCount);
  const out = new Uint8Array(indexMap.length);
  for (let i = 0; i < indexMap.length; i++) out[i] = levels[indexMap[i]] ?? 255;
  return out;
}

/** Level -> RGB lookup so that the pixel of slice k gets exactly depthColour(k, N). */
function depthLevelLut(sliceCount: number): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  const levels = indexLevels(sliceCount);
  for (let k = 0; k < sliceCount; k++) lut.set(depthColour(k, sliceCount), levels[k] * 3);
  return lut;
}

/** One-channel 8-bit values to RGB through a 256-entry lookup table. */
export function colourise(values: Uint8Array, lut: Uint8Array): Uint8Array {
  return paintColours(values, (v) => v / 255, lut);
}

/**
 * The colourised depth map: the 8-bit index image is cut and scaled first (nearest neighbour,
 * so no level between two slices appears), then coloured, so a small preview stays cheap.
 */
export async function renderDepth(index8: Uint8Array, width: number, height: number, sliceCount: number, options: RenderOptions): Promise<RenderedImage> {
  let image = sharp(index8, { raw: { width, height, channels: 1 } });
  if (options.region) {
    const { x, y, width: w, height: h } = options.region;
    image = image.extract({ left: x, top: y, width: w, height: h });
  }
  if (options.maxSize) image = image.resize({ width: options.maxSize, height: options.maxSize, fit: 'inside', withoutEnlargement: true, kernel: 'nearest' });
  // libvips hands one-band raw input back as three bands unless told to keep one.
  const { data, info } = await image.extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const rgb = colourise(new Uint8Array(data.buffer, data.byteOffset, data.length), depthLevelLut(sliceCount));
  return renderPixels(rgb, info.width, info.height, 3, { format: options.format });
}
