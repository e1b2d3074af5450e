// Stage "load", first half: finds the slices of a stack (natural order, one per TIFF page), skips
// what is not an image, and checks that every slice shares one size before any pixel is decoded.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { DEFAULT_STACK_OPTIONS, type RawColour } from '../../../shared/options';
import { formatOfName, IMAGE_EXTENSIONS } from '../../../shared/formats';
import type { PixelLayout, SkippedFile, SliceRef } from '../../../shared/types';
import { DeepfieldError, describeFsError } from '../errors';
import { isRawFileName, probeRaw } from './raw';
import { readTiffFileTags, TAG } from './tiff';


const naturalOrder = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Orders names as people do: z2 before z10. */
export function naturalCompare(a: string, b: string): number {
  return naturalOrder.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

export function isImageFileName(name: string): boolean {
  // Formats libvips reads (shared/formats.ts); camera RAW files (raw.ts) come on top.
  return formatOfName(name) !== undefined || isRawFileName(name);
}

export interface FoundFiles {
  files: string[];
  skipped: SkippedFile[];
}

/**
 * Resolves the command line's inputs (one or more folders or files) to image files in natural
 * order. Non-image files inside a folder are skipped and reported; a missing input is an error.
 */
export async function findSliceFiles(inputs: string[]): Promise<FoundFiles> {
  if (inputs.length === 0) throw new DeepfieldError('No input given: name a folder of slices or the slice files');
  const files: string[] = [];
  const skipped: SkippedFile[] = [];
  for (const input of inputs) {
    const absolute = path.resolve(input);
    let stat;
    try {
      stat = await fs.stat(absolute);
    } catch (error) {
      throw new DeepfieldError(`Cannot read ${input}: ${describeFsError(error)}`, absolute);
    }
    if (stat.isDirectory()) {
      const entries = await fs.readdir(absolute, { withFileTypes: true });
      const names = entries.map((e) => e.name).sort(naturalCompare);
      for (const name of names) {
        const file = path.join(absolute, name);
        const entry = entries.find((e) => e.name === name)!;
        if (name.startsWith('.')) continue;
        if (entry.isDirectory()) continue;
        if (!isImageFileName(name)) {
          skipped.push({ file, reason: 'not an image (unknown extension)' });
          continue;
        }
        files.push(file);
      }
    } else if (isImageFileName(absolute)) {
      files.push(absolute);
    } else {
      skipped.push({ file: absolute, reason: 'not an image (unknown extension)' });
    }
  }
  if (inputs.length > 1) files.sort((a, b) => naturalCompare(path.basename(a), path.basename(b)));
  if (files.length === 0) {
    const where = inputs.length === 1 ? inputs[0] : 'the inputs';
    throw new DeepfieldError(
      `No images found in ${where} (looked for ${IMAGE_EXTENSIONS.join(', ')} and camera RAW files)`,
      inputs.length === 1 ? path.resolve(inputs[0]) : undefined,
    );
  }
  return { files, skipped };
}

export interface ProbedStack {
  slices: SliceRef[];
  layout: PixelLayout;
  /** Why the stack looks like a microscope z-stack (e.g. "16-bit greyscale TIFF"), when it does. */
  microscope?: string;
  /** What the user should know about how the slices are read (mixed bit depths), one line each. */
  notices: string[];
}

/** How the slices are to be read: the stack options that concern reading. */
export interface SliceReading {
  rawColour?: RawColour;
  /** Largest slice in pixels; 0 for none; default DEFAULT_INPUT_PIXEL_LIMIT. */
  limitInputPixels?: number;
}

/** sharp's own limit (16383 x 16383), against images whose header promises more than memory holds. */
export const DEFAULT_INPUT_PIXEL_LIMIT = 0x3fff * 0x3fff;

function megapixels(pixels: number): string {
  return pixels >= 1e7 ? String(Math.round(pixels / 1e6)) : String(+(pixels / 1e6).toPrecision(2));
}

interface ProbedFile {
  file: string;
  format?: string;
  width: number;
  height: number;
  pages: number;
  channels: number;
  hasAlpha: boolean;
  bitDepth: 8 | 16;
  raw: boolean;
}

async function probeFile(file: string): Promise<ProbedFile> {
  const name = path.basename(file);
  try {
    const handle = await fs.open(file, 'r');
    await handle.close();
  } catch (error) {
    throw new DeepfieldError(`Cannot read ${name}: ${describeFsError(error)}`, file);
  }
  if (isRawFileName(file)) {
    // Developed as 16-bit RGB, whatever the sensor's depth (raw.ts).
    return { file, ...(await probeRaw(file)), pages: 1, channels: 3, hasAlpha: false, bitDepth: 16, raw: true };
  }
  let meta;
  try {
    // The header only (no pixels are decoded): the pixel limit is checked below, with its own message.
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DeepfieldError(`${name} is not a readable image (corrupt or unsupported): ${reason}`, file);
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new DeepfieldError(`${name} has no image size in its header (corrupt?)`, file);
  const sixteen = meta.depth === 'ushort' || meta.depth === 'short' || (meta.bitsPerSample ?? 8) > 8;
  return {
    file,
    format: meta.format,
    width,
    height,
    pages: meta.format === 'tiff' ? Math.max(1, meta.pages ?? 1) : 1,
    channels: meta.channels ?? 3,
    hasAlpha: Boolean(meta.hasAlpha),
    bitDepth: sixteen ? 16 : 8,
    raw: false,
  };
}

/**
 * Reads every file's header, expands multi-page TIFFs into one slice per page, and fixes the
 * stack's pixel layout from the first slice, at the deepest bit depth of any slice (so mixing 8-
 * and 16-bit slices loses nothing, and says so). Slices of another size are an error naming both,
 * and so is a slice over `reading.limitInputPixels` pixels (0: none; default sharp's). Camera RAW
 * slices carry how they are to be developed (`reading.rawColour`).
 */
export async function probeSlices(files: string[], signal?: AbortSignal, reading: SliceReading = {}): Promise<ProbedStack> {
  const pixelLimit = reading.limitInputPixels ?? DEFAULT_INPUT_PIXEL_LIMIT;
  const rawColour = reading.rawColour ?? DEFAULT_STACK_OPTIONS.rawColour;
  const probed: ProbedFile[] = [];
  for (const file of files) {
    signal?.throwIfAborted();
    const header = await probeFile(file);
    // Checked on the header, so that decoding (which allows the stack's own size) never starts.
    const pixels = header.width * header.height;
    if (pixelLimit > 0 && pixels > pixelLimit) {
      throw new DeepfieldError(
        `${path.basename(file)} is ${header.width}x${header.height} (${megapixels(pixels)} megapixels), over the ${megapixels(pixelLimit)}-megapixel limit on slices (use --limit-input-pixels to raise it)`,
        file,
      );
    }
    probed.push(header);
  }
  const first = probed[0];
  for (const other of probed.slice(1)) {
    if (other.width !== first.width || other.height !== first.height) {
      throw new DeepfieldError(
        `Slices differ in size: ${path.basename(first.file)} is ${first.width}x${first.height} but ` +
          `${path.basename(other.file)} is ${other.width}x${other.height}`,
        other.file,
      );
    }
  }
  const grey = first.channels <= 2;
  const channels = ((grey ? 1 : 3) + (first.hasAlpha ? 1 : 0)) as PixelLayout['channels'];
  const notices: string[] = [];
  const eight = probed.filter((p) => p.bitDepth === 8);
  const sixteen = probed.filter((p) => p.bitDepth === 16);
  if (eight.length > 0 && sixteen.length > 0) {
    notices.push(
      `slices mix bit depths (${eight.length} 8-bit like ${path.basename(eight[0].file)}, ${sixteen.length} 16-bit like ${path.basename(sixteen[0].file)}): ` +
        'all are read as 16-bit, the 8-bit ones scaled to the full 16-bit range, and the composite is 16-bit where its format holds it',
    );
  }
  const bitDepth = sixteen.length > 0 ? 16 : 8;
  const layout: PixelLayout = { width: first.width, height: first.height, channels, bitDepth };
  const slices: SliceRef[] = [];
  for (const p of probed) {
    const base = path.basename(p.file);
    if (p.raw) slices.push({ file: p.file, name: base, develop: rawColour });
    else if (p.pages === 1) slices.push({ file: p.file, name: base });
    else for (let page = 0; page < p.pages; page++) slices.push({ file: p.file, page, name: `${base}#${page + 1}` });
  }
  if (slices.length > 65535) throw new DeepfieldError(`Too many slices (${slices.length}); the index map holds at most 65535`);
  // Taken as it is, the same in the command line and the app: there is nothing to choose between.
  if (slices.length === 1) notices.push(`only one slice (${slices[0].name}): the composite is that slice`);
  const microscope = microscopeSigns(first, layout);
  return { slices, layout, notices, ...(microscope ? { microscope } : {}) };
}

/**
 * What marks a TIFF stack as a microscope's z-stack: 16-bit grey samples (scientific cameras;
 * photographs are colour), ImageJ's or OME's description, or the whole stack in one multi-page
 * file. Undefined for anything else.
 */
function microscopeSigns(first: ProbedFile, layout: PixelLayout): string | undefined {
  if (first.format !== 'tiff') return undefined;
  const signs: string[] = [];
  if (layout.bitDepth === 16 && layout.channels <= 2) signs.push('16-bit greyscale TIFF');
  let description: unknown;
  try {
    description = readTiffFileTags(first.file).get(TAG.ImageDescription);
  } catch {
    // A BigTIFF or an unusual header: sharp read it, so only the description is unknown.
  }
  if (typeof description === 'string' && description.startsWith('ImageJ=')) signs.push('ImageJ metadata');
  if (typeof description === 'string' && description.includes('<OME')) signs.push('OME metadata');
  if (first.pages > 1) signs.push('multi-page TIFF');
  return signs.length > 0 ? signs.join(', ') : undefined;
}
