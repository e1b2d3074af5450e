// Composite formats and bit depths, written by write-image.ts and read back independently (sharp
// for pixels, exifr for EXIF/XMP): values checked, not just sizes.
import path from 'node:path';
import exifr from 'exifr';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { PixelLayout } from '../../src/shared/types';
import { closeMetadataTool, readReferenceMetadata } from '../../src/main/engine/output/metadata';
import { readTiffFileTags, TAG } from '../../src/main/engine/input/tiff';
import { outputDepth, writeImageAtomic } from '../../src/main/engine/output/write-image';
import { random, readRaw, tempDir } from '../helpers/fixtures';

afterAll(() => closeMetadataTool());

const W = 24;
const H = 16;

function rgb8(seed = 1): Uint8Array {
  const r = random(seed);
  return Uint8Array.from({ length: W * H * 3 }, () => Math.floor(r() * 256));
}

function rgb16(seed = 2): Uint16Array {
  const r = random(seed);
  return Uint16Array.from({ length: W * H * 3 }, () => Math.floor(r() * 65536));
}

const layout8: PixelLayout = { width: W, height: H, channels: 3, bitDepth: 8 };
const layout16: PixelLayout = { width: W, height: H, channels: 3, bitDepth: 16 };

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('composite formats', () => {
  const dir = tempDir();

  it.each(['png', 'tif'] as const)('an 8-bit %s keeps every sample exactly', async (ext) => {
    const file = path.join(dir, `exact8.${ext}`);
    const pixels = rgb8();
    await writeImageAtomic(file, pixels, layout8);
    const back = await readRaw(file);
    expect(back.depth).toBe('uchar');
    expect(Array.from(back.data)).toEqual(Array.from(pixels));
  });

  it.each([
    ['png', 'deflate'],
    ['tif', 'deflate'],
    ['tif', 'lzw'],
  ] as const)('a 16-bit %s (%s) keeps every sample exactly', async (ext, compression) => {
    const file = path.join(dir, `exact16-${compression}.${ext}`);
    const pixels = rgb16();
    await writeImageAtomic(file, pixels, layout16, { tiffCompression: compression });
    const back = await readRaw(file);
    expect(back.depth).toBe('ushort');
    expect(Array.from(back.data)).toEqual(Array.from(pixels));
    // TIFF Compression tag: 5 LZW, 8 (or the old 32946) deflate; never 7, JPEG.
    if (ext === 'tif') expect(readTiffFileTags(file).get(TAG.Compression)).toEqual(compression === 'lzw' ? [5] : [8]);
  });

  it.each(['jpg', 'webp'] as const)('a %s at quality 98 stays close to the 8-bit samples', async (ext) => {
    const file = path.join(dir, `lossy.${ext}`);
    // A smooth image: lossy codecs are judged on what they are for, not on white noise.
    const pixels = new Uint8Array(W * H * 3).map((_, i) => ((i % (W * 3)) * 3 + Math.floor(i / (W * 3)) * 5) % 256);
    await writeImageAtomic(file, pixels, layout8, { quality: 98 });
    const back = await readRaw(file);
    expect(back.data.length).toBe(pixels.length);
    expect(meanAbsDiff(back.data, pixels)).toBeLessThan(4);
  });

  it('writes an 8-bit input as 16 bits on request, 255 becoming 65535', async () => {
    const file = path.join(dir, 'promoted.png');
    const pixels = rgb8(3);
    await writeImageAtomic(file, pixels, layout8, { depth: 16 });
    const back = await readRaw(file);
    expect(back.depth).toBe('ushort');
    expect(Array.from(back.data)).toEqual(Array.from(pixels, (v) => v * 257));
  });

  it('stretches a 10-bit signal held in 16 bits over the whole 8-bit range', async () => {
    const file = path.join(dir, 'tenbit.png');
    const grey = Uint16Array.from({ length: W * H }, (_, i) => 64 + ((i * 7) % 577)); // 64..640
    await writeImageAtomic(file, grey, { width: W, height: H, channels: 1, bitDepth: 16 }, { depth: 8 });
    const back = await readRaw(file);
    expect(back.depth).toBe('uchar');
    expect(Math.min(...back.data)).toBe(0);
    expect(Math.max(...back.data)).toBe(255);
  });

  it.each(['png', 'tif'] as const)('an 8-bit grey %s stays one grey channel', async (ext) => {
    const file = path.join(dir, `grey8.${ext}`);
    const grey = Uint8Array.from({ length: W * H }, (_, i) => (i * 11) % 256);
    await writeImageAtomic(file, grey, { width: W, height: H, channels: 1, bitDepth: 8 });
    expect((await sharp(file).metadata()).channels).toBe(1);
    // sharp hands 8-bit grey over as sRGB unless asked: take the one band.
    const back = await sharp(file).extractChannel(0).raw().toBuffer();
    expect(Array.from(back)).toEqual(Array.from(grey));
  });

  it('refuses 16 bits in JPEG and WebP, naming the format', () => {
    expect(() => outputDepth('jpeg', layout16, 16)).toThrow(/JPEG/);
    expect(() => outputDepth('webp', layout8, 16)).toThrow(/WEBP/);
    expect(outputDepth('jpeg', layout16)).toBe(8);
    expect(outputDepth('tiff', layout16)).toBe(16);
  });
});

/**
 * EXIF as parsed by exifr, XMP and ICC as sharp reads them. sharp hands over the EXIF block of
 * JPEG (after an "Exif\0\0" marker), PNG and WebP; TIFF keeps EXIF in its IFD0, read by exifr from the file.
 */
async function readTags(file: string): Promise<{ Make?: string; Model?: string; orientation?: number; xmp: string; icc?: Buffer }> {
  const meta = await sharp(file).metadata();
  let exif: Record<string, unknown> | undefined;
  if (meta.exif) {
    const block = meta.exif.subarray(0, 4).toString('latin1') === 'Exif' ? meta.exif.subarray(6) : meta.exif;
    exif = await exifr.parse(block, { ifd0: {}, tiff: true });
  } else {
    exif = await exifr.parse(file, { ifd0: {}, tiff: true });
  }
  return {
    Make: exif?.Make as string | undefined,
    Model: exif?.Model as string | undefined,
    orientation: meta.orientation ?? 1,
    xmp: meta.xmp?.toString('utf8') ?? '',
    icc: meta.icc ? Buffer.from(meta.icc) : undefined,
  };
}

describe('metadata of the reference slice', () => {
  const dir = tempDir();
  const reference = path.join(dir, 'reference.jpg');
  const xmp =
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>Lab 42</rdf:li></rdf:Seq></dc:creator>' +
    '</rdf:Description></rdf:RDF></x:xmpmeta>';

  const ready = sharp(rgb8(9), { raw: { width: W, height: H, channels: 3 } })
    .withExif({ IFD0: { Make: 'Acme Optics', Model: 'Macro 9', Copyright: 'CC-BY' } })
    .withMetadata({ orientation: 6 })
    .withIccProfile('p3')
    .withXmp(xmp)
    .jpeg()
    .toFile(reference);

  it.each([
    ['png', 8],
    ['png', 16],
    ['tif', 8],
    ['tif', 16],
    ['jpg', 8],
    ['webp', 8],
  ] as const)('a %s at %i bits carries EXIF, XMP and the ICC profile, with orientation 1', async (ext, depth) => {
    await ready;
    const metadata = await readReferenceMetadata({ file: reference, name: 'reference.jpg' });
    expect(metadata.orientation).toBe(6);
    const file = path.join(dir, `carried-${depth}.${ext}`);
    await writeImageAtomic(file, rgb8(), layout8, { metadata, depth });
    const tags = await readTags(file);
    expect(tags.Make).toBe('Acme Optics');
    expect(tags.Model).toBe('Macro 9');
    expect(tags.orientation).toBe(1);
    expect(tags.xmp).toContain('Lab 42');
    // The profile is the reference's (Display P3) byte for byte, not a default sRGB one.
    expect(tags.icc, 'ICC profile').toBeDefined();
    expect(Buffer.compare(tags.icc!, metadata.icc!)).toBe(0);
  });

  it('converts 8-bit colours back into the reference profile, so they look as they did', async () => {
    await ready;
    const metadata = await readReferenceMetadata({ file: reference, name: 'reference.jpg' });
    const file = path.join(dir, 'colours.png');
    const red = new Uint8Array(W * H * 3).map((_, i) => (i % 3 === 0 ? 255 : 0));
    await writeImageAtomic(file, red, layout8, { metadata });
    // Read as sRGB through the embedded profile: pure red again (P3 holds sRGB red inside its gamut).
    const { data } = await sharp(file).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    expect(Array.from(data.subarray(0, 3))).toEqual([255, 0, 0]);
    // Stored values are P3 ones, not sRGB's.
    const stored = await sharp(file, { ignoreIcc: true }).raw().toBuffer();
    expect(stored[0]).toBeLessThan(250);
  });
});
