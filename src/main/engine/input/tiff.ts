// The little TIFF this project writes and reads itself: a baseline writer for one 32-bit float
// plane (height maps; sharp stores raw float input as 16-bit integers, losing fractions and signs)
// and a reader for the first IFD's tags (ImageJ's slice spacing lives in ImageDescription, which
// sharp does not expose). TIFF 6.0 specification, sections 2 (structure) and 19 (SampleFormat).
import { closeSync, openSync, readSync } from 'node:fs';

export const TYPE_BYTE = 1 as const;
export const TYPE_ASCII = 2 as const;
export const TYPE_SHORT = 3 as const;
export const TYPE_LONG = 4 as const;
export const TYPE_RATIONAL = 5 as const;
export const TYPE_SRATIONAL = 10 as const;

export const TAG = {
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  PhotometricInterpretation: 262,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  ResolutionUnit: 296,
  Software: 305,
  SampleFormat: 339,
} as const;

/**
 * One IFD entry. Rationals are given as numerator, denominator pairs (so `values` holds twice the
 * count); ASCII as a string, written with its terminating NUL.
 */
export interface TiffEntry {
  tag: number;
  type: typeof TYPE_BYTE | typeof TYPE_ASCII | typeof TYPE_SHORT | typeof TYPE_LONG | typeof TYPE_RATIONAL | typeof TYPE_SRATIONAL;
  values: number[] | string;
}

/**
 * A little-endian, single-IFD TIFF of the given entries and image strips. StripOffsets and
 * StripByteCounts are added from `strips`; entries are written in tag order, as the spec asks.
 * Layout: header (8) | IFD | out-of-line values (word-aligned) | strips (4-byte aligned).
 */
export function encodeTiff(entries: TiffEntry[], strips: Uint8Array[]): Uint8Array {
  const all: TiffEntry[] = [
    ...entries.filter((e) => e.tag !== TAG.StripOffsets && e.tag !== TAG.StripByteCounts),
    { tag: TAG.StripOffsets, type: TYPE_LONG, values: new Array<number>(strips.length).fill(0) },
    { tag: TAG.StripByteCounts, type: TYPE_LONG, values: strips.map((s) => s.length) },
  ].sort((a, b) => a.tag - b.tag);
  const ifdSize = 2 + all.length * 12 + 4;
  const payloadOf = (e: TiffEntry): Uint8Array => {
    if (typeof e.values === 'string') return new TextEncoder().encode(e.values + '\0');
    const size = e.type === TYPE_BYTE ? 1 : e.type === TYPE_SHORT ? 2 : 4;
    const bytes = new Uint8Array(e.values.length * size);
    const view = new DataView(bytes.buffer);
    e.values.forEach((v, i) => {
      if (size === 1) view.setUint8(i, v);
      else if (size === 2) view.setUint16(i * 2, v, true);
      else if (e.type === TYPE_SRATIONAL) view.setInt32(i * 4, v, true);
      else view.setUint32(i * 4, v, true);
    });
    return bytes;
  };
  let extraOffset = 8 + ifdSize;
  const placed = all.map((e) => {
    const bytes = payloadOf(e);
    if (bytes.length <= 4) return { e, bytes, offset: -1 };
    const offset = extraOffset;
    extraOffset += bytes.length + (bytes.length % 2);
    return { e, bytes, offset };
  });
  let at = Math.ceil(extraOffset / 4) * 4;
  // Now the strip offsets are known: rewrite their payload in place.
  const offsetsView = new DataView(placed.find((p) => p.e.tag === TAG.StripOffsets)!.bytes.buffer);
  const stripStarts = strips.map((s, i) => {
    const start = at;
    offsetsView.setUint32(i * 4, start, true);
    at += s.length;
    return start;
  });

  const out = new Uint8Array(at);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]); // "II", 42
  view.setUint32(4, 8, true);
  view.setUint16(8, all.length, true);
  placed.forEach(({ e, bytes, offset }, i) => {
    const o = 10 + i * 12;
    view.setUint16(o, e.tag, true);
    view.setUint16(o + 2, e.type, true);
    const rational = e.type === TYPE_RATIONAL || e.type === TYPE_SRATIONAL;
    const count = typeof e.values === 'string' ? bytes.length : rational ? e.values.length / 2 : e.values.length;
    view.setUint32(o + 4, count, true);
    if (offset < 0) out.set(bytes, o + 8);
    else {
      view.setUint32(o + 8, offset, true);
      out.set(bytes, offset);
    }
  });
  view.setUint32(10 + all.length * 12, 0, true); // no next IFD
  strips.forEach((s, i) => out.set(s, stripStarts[i]));
  return out;
}

/**
 * A little-endian, uncompressed, single-IFD TIFF holding `values` (row-major) as one float32
 * plane, in strips of about 64 KiB so readers need not load it whole.
 */
export function encodeFloat32Tiff(values: Float32Array, width: number, height: number, description?: string): Uint8Array {
  if (values.length !== width * height) throw new Error(`Expected ${width * height} values for encodeFloat32Tiff but received ${values.length}`);
  const rowBytes = width * 4;
  const rowsPerStrip = Math.max(1, Math.min(height, Math.floor(65536 / rowBytes)));
  const plane = new Uint8Array(values.length * 4);
  const planeView = new DataView(plane.buffer);
  for (let i = 0; i < values.length; i++) planeView.setFloat32(i * 4, values[i], true);
  const strips: Uint8Array[] = [];
  for (let row = 0; row < height; row += rowsPerStrip) strips.push(plane.subarray(row * rowBytes, Math.min(height, row + rowsPerStrip) * rowBytes));
  return encodeTiff(
    [
      { tag: TAG.ImageWidth, type: TYPE_LONG, values: [width] },
      { tag: TAG.ImageLength, type: TYPE_LONG, values: [height] },
      { tag: TAG.BitsPerSample, type: TYPE_SHORT, values: [32] },
      { tag: TAG.Compression, type: TYPE_SHORT, values: [1] },
      { tag: TAG.PhotometricInterpretation, type: TYPE_SHORT, values: [1] }, // BlackIsZero
      ...(description ? [{ tag: TAG.ImageDescription, type: TYPE_ASCII, values: description } as const] : []),
      { tag: TAG.SamplesPerPixel, type: TYPE_SHORT, values: [1] },
      { tag: TAG.RowsPerStrip, type: TYPE_LONG, values: [rowsPerStrip] },
      { tag: TAG.XResolution, type: TYPE_RATIONAL, values: [1, 1] },
      { tag: TAG.YResolution, type: TYPE_RATIONAL, values: [1, 1] },
      { tag: TAG.ResolutionUnit, type: TYPE_SHORT, values: [1] },
      { tag: TAG.Software, type: TYPE_ASCII, values: 'Deepfield' },
      { tag: TAG.SampleFormat, type: TYPE_SHORT, values: [3] }, // IEEE floating point
    ],
    strips,
  );
}

const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8 };

type ReadAt = (offset: number, length: number) => Uint8Array;

/** The tags of a TIFF's first IFD: numbers (rationals as floats) or a string for ASCII. */
export function readTiffTags(bytes: Uint8Array): Map<number, number[] | string> {
  return parseTags((offset, length) => bytes.subarray(offset, offset + length));
}

/** The first IFD's tags of a TIFF file, reading only the header, the IFD and the tags' values. */
export function readTiffFileTags(file: string): Map<number, number[] | string> {
  const fd = openSync(file, 'r');
  try {
    return parseTags((offset, length) => {
      const chunk = Buffer.alloc(length);
      const read = readSync(fd, chunk, 0, length, offset);
      return chunk.subarray(0, read);
    });
  } finally {
    closeSync(fd);
  }
}

function parseTags(readAt: ReadAt): Map<number, number[] | string> {
  const head = readAt(0, 8);
  const order = String.fromCharCode(head[0], head[1]);
  if (head.length < 8 || (order !== 'II' && order !== 'MM')) throw new Error('Expected a TIFF (II or MM header) for readTiffTags');
  const le = order === 'II';
  const viewOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (viewOf(head).getUint16(2, le) !== 42) throw new Error('Expected a classic TIFF (42) for readTiffTags; BigTIFF is not read');
  const ifd = viewOf(head).getUint32(4, le);
  const count = viewOf(readAt(ifd, 2)).getUint16(0, le);
  const table = readAt(ifd + 2, count * 12);
  const tableView = viewOf(table);
  const tags = new Map<number, number[] | string>();
  for (let i = 0; i < count && (i + 1) * 12 <= table.length; i++) {
    const o = i * 12;
    const tag = tableView.getUint16(o, le);
    const type = tableView.getUint16(o + 2, le);
    const n = tableView.getUint32(o + 4, le);
    const size = (TYPE_SIZES[type] ?? 1) * n;
    const data = size <= 4 ? table.subarray(o + 8, o + 8 + size) : readAt(tableView.getUint32(o + 8, le), size);
    if (data.length < size) continue; // a truncated file: skip what is not there
    const view = viewOf(data);
    if (type === TYPE_ASCII) {
      tags.set(tag, new TextDecoder('latin1').decode(data).replace(/\0+$/, ''));
      continue;
    }
    const values: number[] = [];
    for (let k = 0; k < n; k++) {
      if (type === 3) values.push(view.getUint16(k * 2, le));
      else if (type === 4) values.push(view.getUint32(k * 4, le));
      else if (type === 5) values.push(view.getUint32(k * 8, le) / (view.getUint32(k * 8 + 4, le) || 1));
      else if (type === 11) values.push(view.getFloat32(k * 4, le));
      else if (type === 12) values.push(view.getFloat64(k * 8, le));
      else if (type === 1 || type === 7) values.push(data[k]);
      else break;
    }
    tags.set(tag, values);
  }
  return tags;
}
