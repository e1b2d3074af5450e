// Stage "export", metadata half: carries the reference slice's EXIF, XMP and ICC profile into an
// output file, in every format. sharp can embed an ICC profile but takes EXIF only as tag objects
// and drops it from TIFF entirely, so EXIF and XMP are copied tag by tag by ExifTool (the vendored
// perl build: no network, no native binary), which writes JPEG, PNG, TIFF and WebP alike.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ExifTool } from 'exiftool-vendored';
import sharp from 'sharp';
import type { SliceRef } from '../../../shared/types';
import { DeepfieldError } from '../errors';
import { isRawFileName } from '../input/raw';

/** What the reference slice carries, read once per job. */
export interface ReferenceMetadata {
  /** The file the tags are copied from. */
  file: string;
  hasExif: boolean;
  hasXmp: boolean;
  /** The raw ICC profile, when the slice embeds one. */
  icc?: Buffer;
  /** ICC colour space signature ('RGB ', 'GRAY'), to tell whether sharp can convert into it. */
  iccSpace?: string;
  /** EXIF orientation of the source (1-8); the composite is written upright, so always as 1. */
  orientation?: number;
}

export async function readReferenceMetadata(slice: SliceRef): Promise<ReferenceMetadata> {
  // A camera RAW file keeps its EXIF in TIFF-style IFDs that ExifTool reads and libvips does not;
  // it embeds no ICC profile (its colours are the development's: sRGB primaries), and the
  // development made it upright.
  if (slice.develop) return { file: slice.file, hasExif: true, hasXmp: false };
  let meta;
  try {
    meta = await sharp(slice.file, slice.page === undefined ? {} : { page: slice.page }).metadata();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DeepfieldError(`Cannot read the metadata of ${slice.name}: ${reason}`, slice.file);
  }
  const icc = meta.icc && meta.icc.length >= 20 ? Buffer.from(meta.icc) : undefined;
  // TIFF keeps EXIF in its own IFD, which libvips does not surface as an `exif` blob: assume it
  // may be there and let ExifTool copy whatever exists.
  const hasExif = Boolean(meta.exif?.length) || meta.format === 'tiff';
  return {
    file: slice.file,
    hasExif,
    hasXmp: Boolean(meta.xmp?.length),
    icc,
    iccSpace: icc ? icc.subarray(16, 20).toString('latin1') : undefined,
    orientation: meta.orientation,
  };
}

let tool: ExifTool | undefined;

function exifTool(): ExifTool {
  // One ExifTool process, started on first use: perl's start-up costs ~0.2 s per call otherwise.
  tool ??= new ExifTool({ maxProcs: 1, taskTimeoutMillis: 60_000 });
  return tool;
}

/**
 * Starts ExifTool now, in the background, when `file` carries tags to copy: perl takes about a
 * second to load it, which then overlaps the stacking instead of delaying the first write.
 */
export function warmUpMetadataTool(file: string): void {
  if (isRawFileName(file)) {
    void exifTool().version().catch(() => undefined);
    return;
  }
  void sharp(file)
    .metadata()
    .then((meta) => {
      if (meta.exif?.length || meta.xmp?.length || meta.format === 'tiff') return exifTool().version();
    })
    .catch(() => undefined); // only a head start: the real read reports any problem
}

/** Ends the ExifTool process, if one was started; a process that used metadata calls this before exiting. */
export async function closeMetadataTool(): Promise<void> {
  const running = tool;
  tool = undefined;
  await running?.end();
}

export interface CarryOptions {
  /** Also copy the ICC profile as is (when the encoder could not embed it with a conversion). */
  copyIcc: boolean;
}

/**
 * Copies EXIF and XMP (and, when asked, the ICC profile) from the reference slice into `target`
 * in place. The orientation is set to 1: the slices were decoded upright, so a viewer must not
 * rotate the composite again. Thumbnails are left out: they show one slice, not the composite.
 */
export async function carryMetadata(target: string, reference: ReferenceMetadata, options: CarryOptions): Promise<void> {
  const wantsIcc = options.copyIcc && reference.icc !== undefined;
  if (!reference.hasExif && !reference.hasXmp && !wantsIcc) return;
  const args = ['-overwrite_original', '-tagsFromFile', reference.file, '-exif:all', '-xmp:all'];
  if (wantsIcc) args.push('-icc_profile');
  args.push('--ThumbnailImage', '--PreviewImage', '--ThumbnailOffset', '--ThumbnailLength');
  if (reference.hasExif) args.push('-IFD0:Orientation#=1');
  if (reference.hasXmp) args.push('-XMP-tiff:Orientation=');
  try {
    await exifTool().write(target, {}, args);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new DeepfieldError(`Cannot copy the metadata of ${path.basename(reference.file)} into the output: ${reason}`, reference.file);
  }
}

/**
 * The reference's ICC profile as a file sharp can read (withIccProfile takes a path), removed by
 * the returned cleanup.
 */
export async function iccProfileFile(reference: ReferenceMetadata): Promise<{ file: string; remove: () => Promise<void> }> {
  const file = path.join(os.tmpdir(), `deepfield-${randomBytes(6).toString('hex')}.icc`);
  await fs.writeFile(file, reference.icc!);
  return { file, remove: () => fs.rm(file, { force: true }) };
}
