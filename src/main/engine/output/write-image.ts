// Stage "export": encodes images into files, each under a hidden temporary name first (alone:
// synced, then renamed; as part of a run's output set: see transaction.ts), so a failed or
// cancelled run never leaves a half-written file; and checks before any work that an output
// replaces no source slice and, unless asked, no existing file.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { formatOfName, IMAGE_EXTENSIONS, type ImageFormat } from '../../../shared/formats';
import type { PixelLayout } from '../../../shared/types';
import type { PixelData } from '../input/decode';
import { DeepfieldError, describeFsError } from '../errors';
import { carryMetadata, iccProfileFile, type ReferenceMetadata } from './metadata';
import { isDiskFull, temporaryPathFor } from './transaction';

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
    throw new DeepfieldError(`Cannot write ${output}: the folder ${dir} is not writable (${await whyNoNewFile(dir, error)})`, output);
  }
}

/** Kernel file systems that list files but never take new ones (statfs magic numbers). */
const VIRTUAL_FILE_SYSTEMS: Record<number, string> = { 0x9fa0: 'proc', 0x62656572: 'sysfs', 0x64626720: 'debugfs', 0x27e0eb: 'cgroup', 0x63677270: 'cgroup2' };

/**
 * Why a new file cannot be created in an existing folder. ENOENT there does not mean "it does not
 * exist": /proc and /sys answer that way because they never take new files.
 */
async function whyNoNewFile(dir: string, error: unknown): Promise<string> {
  if ((error as { code?: string }).code !== 'ENOENT') return describeFsError(error);
  const type = await fs.statfs(dir).then((s) => s.type).catch(() => undefined);
  const name = type === undefined ? undefined : VIRTUAL_FILE_SYSTEMS[type];
  return name ? `it takes no new files: it is the kernel's ${name} file system` : 'it takes no new files: the file system refused to create one';
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
  /** Where the file goes: alone (default, writeAtomically) or into a run's output set. */
  stage?: StageFile;
}

/**
 * How a writer's file reaches its name: `produce(temporary)` writes it under a temporary name,
 * and the stage puts it in place, alone (writeAtomically) or with the rest of a run's outputs
 * (OutputTransaction.stage, which puts the whole set in place at its commit).
 */
export type StageFile = (output: string, produce: (temporary: string) => Promise<void>) => Promise<unknown>;

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
 * on any failure the temporary file is removed and `output` is untouched.
 */
export async function writeAtomically(output: string, write: (temporary: string) => Promise<void>): Promise<void> {
  await writeThenPublish(output, write, (temporary, target) => fs.rename(temporary, target).then(() => target));
}

/**
 * A stage (StageFile) that never replaces a file, for the app's single-file exports: the finished
 * file takes `output` or the first free name beside it (name-2.ext, name-3.ext, ...), returned.
 */
export function writeUnderFreeName(output: string, write: (temporary: string) => Promise<void>): Promise<string> {
  return writeThenPublish(output, write, publishUnderFreeName);
}

/** Writes under a temporary name, syncs, then `publish`es it; on any failure nothing is left. */
async function writeThenPublish(output: string, write: (temporary: string) => Promise<void>, publish: (temporary: string, target: string) => Promise<string>): Promise<string> {
  const target = path.resolve(output);
  const temporary = temporaryPathFor(target);
  try {
    await write(temporary);
    const handle = await fs.open(temporary, 'r+');
    await handle.sync();
    await handle.close();
    return await publish(temporary, target);
  } catch (error) {
    const size = (await fs.stat(temporary).catch(() => undefined))?.size ?? 0;
    await fs.rm(temporary, { force: true });
    if (error instanceof DeepfieldError) throw error;
    if (isDiskFull(error)) {
      throw new DeepfieldError(`No space left on the device holding ${path.dirname(target)} (needed at least ${Math.max(1, Math.ceil(size / 1e6))} MB)`, output);
    }
    throw new DeepfieldError(`Cannot write ${output}: ${describeFsError(error)}`, output);
  }
}

/** `name.ext`, `name-2.ext`, `name-3.ext`, ...: the names an export tries in turn. */
export function candidateName(target: string, attempt: number): string {
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
      await fs.rm(temporary, { force: true });
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
export async function writeBytesAtomic(output: string, bytes: Uint8Array | string, stage: StageFile = writeAtomically): Promise<void> {
  await stage(output, (temporary) => fs.writeFile(temporary, bytes));
}

/** Writes `pixels` to `output` atomically, with the reference slice's metadata when given. */
export async function writeImageAtomic(
  output: string,
  pixels: PixelData,
  layout: PixelLayout,
  options: WriteOptions = {},
): Promise<void> {
  const format = options.format ?? formatFromPath(output);
  const metadata = options.metadata;
  const icc = metadata?.icc ? await iccProfileFile(metadata) : undefined;
  const stage = options.stage ?? writeAtomically;
  try {
    await stage(output, async (temporary) => {
      const { image, embeddedIcc } = encoder(pixels, layout, format, options, icc?.file);
      await image.toFile(temporary);
      if (metadata) await carryMetadata(temporary, metadata, { copyIcc: !embeddedIcc });
    });
  } finally {
    await icc?.remove();
  }
}

/** The index map as a 16-bit greyscale PNG (or TIFF), values = 0-based slice index. */
export async function writeIndexMap(output: string, indexMap: Uint16Array, width: number, height: number, stage?: StageFile): Promise<void> {
  // zlib level 3: half the time of the default 6 on a 24 MP map (0.74 vs 1.43 s, the last step
  // of every job, nothing else running), for a file ~18% larger; TIFF keeps its own default.
  await writeImageAtomic(output, indexMap, { width, height, channels: 1, bitDepth: 16 }, { pngCompression: 3, stage });
}
