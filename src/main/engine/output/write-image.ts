// Stage "export": writes images atomically (a hidden temporary file beside the target, synced,
// then renamed), so a failed or cancelled run never leaves a half-written file, and refuses to
// overwrite a source slice or, unless asked, any existing file.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { formatOfName, IMAGE_EXTENSIONS, type ImageFormat } from '../../../shared/formats';
import type { PixelLayout } from '../../../shared/types';
import type { PixelData } from '../input/decode';
import { DeepfieldError, describeFsError } from '../errors';
import { carryMetadata, iccProfileFile, type ReferenceMetadata } from './metadata';

export type OutputFormat = ImageFormat;

export function formatFromPath(file: string): OutputFormat {
  const format = formatOfName(path.basename(file));
  if (!format) {
    throw new DeepfieldError(`Cannot tell the output format of ${path.basename(file)}: use one of ${IMAGE_EXTENSIONS.join(', ')}`, file);
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
  /** Not an image (a sidecar, a CSV): skip the check that the extension names an image format. */
  anyFormat?: boolean;
}

/**
 * Checks before any work is done that `output` can be written: a known format, an existing and
 * writable folder, not one of the inputs, and not an existing file unless overwriting is allowed.
 */
export async function checkOutputPath(output: string, check: OutputCheck = {}): Promise<void> {
  if (!check.anyFormat) formatFromPath(output);
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

export type TiffCompression = 'deflate' | 'lzw';

export interface WriteOptions {
  format?: OutputFormat;
  /** JPEG/WebP quality 1-100; default 92. */
  quality?: number;
  /**
   * Bits per sample in the file. Default: the layout's where the format holds it (PNG, TIFF),
   * else 8. 16 -> 8 stretches the data's actual range (scaleTo8Bit); 8 -> 16 multiplies by 257.
   */
  depth?: 8 | 16;
  /** TIFF compression, lossless only; default deflate. */
  tiffCompression?: TiffCompression;
  /** zlib level of PNG output, 0-9; default 6. */
  pngCompression?: number;
  /** The reference slice's EXIF, XMP and ICC profile, carried into the file. */
  metadata?: ReferenceMetadata;
  /** Never replace a file: take `output` or the first free name beside it (the app's exports). */
  freeName?: boolean;
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

/** 8-bit samples in a 16-bit container, full range (255 -> 65535). */
function scaleTo16Bit(pixels: Uint8Array): Uint16Array {
  const out = new Uint16Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] * 257;
  return out;
}

/** The bit depth a file of `format` gets for `layout`, validating an explicit request. */
export function outputDepth(format: OutputFormat, layout: PixelLayout, requested?: 8 | 16): 8 | 16 {
  const holds16 = format === 'png' || format === 'tiff';
  if (requested === 16 && !holds16) {
    throw new DeepfieldError(`Expected 8 for depth with ${format.toUpperCase()} output (it holds 8 bits only) but received 16 of type number`);
  }
  return requested ?? (holds16 ? layout.bitDepth : 8);
}

interface Encoding {
  image: Sharp;
  /** Whether sharp embedded the reference's ICC profile itself (converting the pixels into it). */
  embeddedIcc: boolean;
}

function encoder(pixels: PixelData, layout: PixelLayout, format: OutputFormat, options: WriteOptions, iccFile?: string): Encoding {
  const { width, height, channels } = layout;
  const depth = outputDepth(format, layout, options.depth);
  let data: PixelData = pixels;
  if (layout.bitDepth === 16 && depth === 8) data = scaleTo8Bit(pixels as Uint16Array, layout);
  if (layout.bitDepth === 8 && depth === 16) data = scaleTo16Bit(pixels as Uint8Array);
  let image = sharp(data, { raw: { width, height, channels } });
  // Without an explicit colourspace sharp writes one-band 8-bit data as RGB: keep grey grey.
  if (depth === 16) image = image.toColourspace(channels <= 2 ? 'grey16' : 'rgb16');
  else if (channels <= 2) image = image.toColourspace('b-w');
  // decode hands over sRGB (sharp converts from the embedded profile on read), so converting back
  // into the reference's profile restores its colours. sharp does that conversion in 8 bits only
  // (16-bit data comes back in 0..255) and not for grey, so those get the profile copied as is.
  const embeddedIcc = iccFile !== undefined && depth === 8 && channels >= 3;
  if (embeddedIcc) image = image.withIccProfile(iccFile);
  const quality = options.quality ?? 92;
  switch (format) {
    case 'png':
      return { image: image.png({ compressionLevel: options.pngCompression ?? 6 }), embeddedIcc };
    case 'tiff':
      // Lossless only: JPEG-in-TIFF would also force 8 bits.
      return { image: image.tiff({ compression: options.tiffCompression ?? 'deflate', predictor: 'horizontal' }), embeddedIcc };
    case 'jpeg':
      // No Huffman optimisation: it holds every DCT coefficient of the image until the end (about
      // 140 MB more at 24 MP, measured), for files only a few per cent smaller.
      return { image: image.jpeg({ quality, chromaSubsampling: '4:4:4', optimiseCoding: false }), embeddedIcc };
    case 'webp':
      return { image: image.webp({ quality }), embeddedIcc };
  }
}

/**
 * Runs `write(temporary)` and moves the result onto `output` only once it is complete and synced;
 * on any failure the temporary file is removed and `output` is untouched. With `freeName` an
 * existing file is never replaced: the result takes `output` or the first free name beside it
 * (name-2.ext, name-3.ext, ...), which is returned.
 */
export async function writeAtomically(output: string, write: (temporary: string) => Promise<void>, options: { freeName?: boolean } = {}): Promise<string> {
  const target = path.resolve(output);
  const temporary = temporaryPathFor(target);
  try {
    await write(temporary);
    const handle = await fs.open(temporary, 'r+');
    await handle.sync();
    await handle.close();
    if (options.freeName) return await publishUnderFreeName(temporary, target);
    await fs.rename(temporary, target);
    return target;
  } catch (error) {
    if (error instanceof DeepfieldError) throw error;
    throw new DeepfieldError(`Cannot write ${output}: ${describeFsError(error)}`, output);
  } finally {
    await fs.rm(temporary, { force: true });
  }
}

/** `name.ext`, `name-2.ext`, `name-3.ext`, ... */
function candidateName(target: string, attempt: number): string {
  if (attempt === 1) return target;
  const ext = path.extname(target);
  return `${target.slice(0, target.length - ext.length)}-${attempt}${ext}`;
}

/**
 * Gives a finished temporary file `target` or the first free variant of it. Hard-linking fails
 * if the name exists, so two writers racing for one name both survive.
 */
async function publishUnderFreeName(temporary: string, target: string): Promise<string> {
  for (let attempt = 1; attempt < 10_000; attempt++) {
    const candidate = candidateName(target, attempt);
    try {
      await fs.link(temporary, candidate);
      return candidate;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
    }
    // File systems without hard links (FAT, some network shares): reserve the name by creating
    // it exclusively, then replace that empty reservation with the finished file.
    try {
      await (await fs.open(candidate, 'wx')).close();
    } catch (error) {
      if ((error as { code?: string }).code === 'EEXIST') continue;
      throw error;
    }
    await fs.rename(temporary, candidate);
    return candidate;
  }
  throw new DeepfieldError(`Cannot find a free file name next to ${target}`, target);
}

/** Writes bytes (a sidecar, a CSV, a hand-made TIFF) to `output` atomically. */
export async function writeBytesAtomic(output: string, bytes: Uint8Array | string): Promise<void> {
  await writeAtomically(output, (temporary) => fs.writeFile(temporary, bytes));
}

/**
 * Writes `pixels` to `output` atomically, with the reference slice's metadata when given; returns
 * the file written (with `freeName`, perhaps a free name beside `output`).
 */
export async function writeImageAtomic(
  output: string,
  pixels: PixelData,
  layout: PixelLayout,
  options: WriteOptions = {},
): Promise<string> {
  const format = options.format ?? formatFromPath(output);
  const metadata = options.metadata;
  const icc = metadata?.icc ? await iccProfileFile(metadata) : undefined;
  try {
    return await writeAtomically(
      output,
      async (temporary) => {
        const { image, embeddedIcc } = encoder(pixels, layout, format, options, icc?.file);
        await image.toFile(temporary);
        if (metadata) await carryMetadata(temporary, metadata, { copyIcc: !embeddedIcc });
      },
      { freeName: options.freeName },
    );
  } finally {
    await icc?.remove();
  }
}

/** The index map as a 16-bit greyscale PNG (or TIFF), values = 0-based slice index. */
export async function writeIndexMap(output: string, indexMap: Uint16Array, width: number, height: number, options: Pick<WriteOptions, 'freeName'> = {}): Promise<string> {
  // zlib level 3: half the time of the default 6 on a 24 MP map (0.74 vs 1.43 s, the last step
  // of every job, nothing else running), for a file ~18% larger; TIFF keeps its own default.
  return writeImageAtomic(output, indexMap, { width, height, channels: 1, bitDepth: 16 }, { pngCompression: 3, ...options });
}
