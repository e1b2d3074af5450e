// Stage "export": writes images atomically (a hidden temporary file beside the target, synced,
// then renamed), so a failed or cancelled run never leaves a half-written file, and refuses to
// overwrite a source slice or, unless asked, any existing file.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import type { PixelLayout } from '../../shared/types';
import type { PixelData } from './decode';
import { DeepfieldError, describeFsError } from './errors';

export type OutputFormat = 'png' | 'tiff' | 'jpeg' | 'webp';

const FORMAT_BY_EXTENSION: Record<string, OutputFormat> = {
  '.png': 'png',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
};

export function formatFromPath(file: string): OutputFormat {
  const format = FORMAT_BY_EXTENSION[path.extname(file).toLowerCase()];
  if (!format) {
    throw new DeepfieldError(
      `Cannot tell the output format of ${path.basename(file)}: use one of ${Object.keys(FORMAT_BY_EXTENSION).join(', ')}`,
      file,
    );
  }
  return format;
}

async function realPathOrResolved(file: string): Promise<string> {
  try {
    return await fs.realpath(file);
  } catch {
    const dir = path.dirname(path.resolve(file));
    try {
      return path.join(await fs.realpath(dir), path.basename(file));
    } catch {
      return path.resolve(file);
    }
  }
}

function temporaryPathFor(target: string): string {
  const dir = path.dirname(target);
  const ext = path.extname(target);
  return path.join(dir, `.${path.basename(target, ext)}.${randomBytes(6).toString('hex')}.partial${ext}`);
}

export interface OutputCheck {
  /** Files the output must never replace (the stack's slices). */
  protectedFiles?: string[];
  overwrite?: boolean;
}

/**
 * Checks before any work is done that `output` can be written: a known format, an existing and
 * writable folder, not one of the inputs, and not an existing file unless overwriting is allowed.
 */
export async function checkOutputPath(output: string, check: OutputCheck = {}): Promise<void> {
  formatFromPath(output);
  const target = await realPathOrResolved(output);
  for (const input of check.protectedFiles ?? []) {
    if ((await realPathOrResolved(input)) === target) {
      throw new DeepfieldError(`Refusing to write ${output}: it is one of the input slices`, output);
    }
  }
  const dir = path.dirname(path.resolve(output));
  let stat;
  try {
    stat = await fs.stat(dir);
  } catch (error) {
    throw new DeepfieldError(`Cannot write ${output}: the folder ${dir} is not usable (${describeFsError(error)})`, output);
  }
  if (!stat.isDirectory()) throw new DeepfieldError(`Cannot write ${output}: ${dir} is not a folder`, output);
  const existing = await fs.stat(output).catch(() => undefined);
  if (existing?.isDirectory()) throw new DeepfieldError(`Cannot write ${output}: it is a folder`, output);
  if (existing && !check.overwrite) {
    throw new DeepfieldError(`Refusing to overwrite ${output}: it exists (pass --overwrite to replace it)`, output);
  }
  // Prove the folder takes a new file now, rather than after minutes of stacking.
  const probe = temporaryPathFor(path.resolve(output));
  try {
    await (await fs.open(probe, 'wx')).close();
    await fs.unlink(probe);
  } catch (error) {
    throw new DeepfieldError(`Cannot write ${output}: the folder ${dir} is not writable (${describeFsError(error)})`, output);
  }
}

export interface WriteOptions {
  format?: OutputFormat;
  /** JPEG/WebP quality 1-100. */
  quality?: number;
}

/** Linearly maps the samples' actual range onto 0..255 (a 10-bit signal in 16 bits stays visible). */
export function scaleTo8Bit(pixels: Uint16Array, layout: PixelLayout): Uint8Array {
  const colour = layout.channels >= 3 ? 3 : 1;
  let lo = 65535;
  let hi = 0;
  for (let i = 0; i < pixels.length; i += layout.channels) {
    for (let c = 0; c < colour; c++) {
      const v = pixels[i + c];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const out = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i += layout.channels) {
    for (let c = 0; c < layout.channels; c++) {
      out[i + c] = c < colour ? Math.round((pixels[i + c] - lo) * scale) : pixels[i + c] >> 8;
    }
  }
  return out;
}

function encoder(pixels: PixelData, layout: PixelLayout, format: OutputFormat, quality: number): Sharp {
  const { width, height, channels } = layout;
  const keeps16 = layout.bitDepth === 16 && (format === 'png' || format === 'tiff');
  const data = layout.bitDepth === 16 && !keeps16 ? scaleTo8Bit(pixels as Uint16Array, layout) : pixels;
  let image = sharp(data, { raw: { width, height, channels } });
  if (keeps16) image = image.toColourspace(channels <= 2 ? 'grey16' : 'rgb16');
  switch (format) {
    case 'png':
      return image.png({ compressionLevel: 6 });
    case 'tiff':
      // Lossless only: JPEG-in-TIFF would also force 8 bits.
      return image.tiff({ compression: 'deflate', predictor: 'horizontal' });
    case 'jpeg':
      return image.jpeg({ quality, chromaSubsampling: '4:4:4' });
    case 'webp':
      return image.webp({ quality });
  }
}

/** Writes `pixels` to `output` atomically. */
export async function writeImageAtomic(
  output: string,
  pixels: PixelData,
  layout: PixelLayout,
  options: WriteOptions = {},
): Promise<void> {
  const target = path.resolve(output);
  const format = options.format ?? formatFromPath(target);
  const temporary = temporaryPathFor(target);
  try {
    await encoder(pixels, layout, format, options.quality ?? 92).toFile(temporary);
    const handle = await fs.open(temporary, 'r+');
    await handle.sync();
    await handle.close();
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    if (error instanceof DeepfieldError) throw error;
    throw new DeepfieldError(`Cannot write ${output}: ${describeFsError(error)}`, output);
  }
}

/** The index map as a 16-bit greyscale PNG (or TIFF), values = 0-based slice index. */
export async function writeIndexMap(output: string, indexMap: Uint16Array, width: number, height: number): Promise<void> {
  await writeImageAtomic(output, indexMap, { width, height, channels: 1, bitDepth: 16 });
}
