// The little TIFF this project writes and reads itself: a baseline writer for one 32-bit float
// plane (height maps; sharp stores raw float input as 16-bit integers, losing fractions and signs)
// and a reader for the first IFD's tags (ImageJ's slice spacing lives in ImageDescription, which
// sharp does not expose). TIFF 6.0 specification, sections 2 (structure) and 19 (SampleFormat).
import { closeSync, openSync, readSync } from 'node:fs';

const TYPE_ASCII = 2;
const TYPE_SHORT = 3;
const TYPE_LONG = 4;
const TYPE_RATIONAL = 5;

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

interface Entry {
  tag: number;
  type: number;
  values: number[] | string;
}

/**
 * A little-endian, uncompressed, single-IFD TIFF holding `values` (row-major) as one float32
 * plane, in strips of about 64 KiB so readers need not load it whole.
 */
export function encodeFloat32Tiff(values: Float32Array, width: number, height: number, description?: string): Uint8Array {
  if (values.length !== width * height) throw new Error(`Expected ${width * height} values for encodeFloat32Tiff but received ${values.length}`);
  const rowBytes = width * 4;
  const rowsPerStrip = Math.max(1, Math.min(height, Math.floor(65536 / rowBytes)));
  const strips = Math.ceil(height / rowsPerStrip);
  const stripBytes = Array.from({ length: strips }, (_, s) => Math.min(rowsPerStrip, height - s * rowsPerStrip) * rowBytes);

  const entries: Entry[] = [
    { tag: TAG.ImageWidth, type: TYPE_LONG, values: [width] },
    { tag: TAG.ImageLength, type: TYPE_LONG, values: [height] },
    { tag: TAG.BitsPerSample, type: TYPE_SHORT, values: [32] },
    { tag: TAG.Compression, type: TYPE_SHORT, values: [1] },
    { tag: TAG.PhotometricInterpretation, type: TYPE_SHORT, values: [1] }, // BlackIsZero
    ...(description ? [{ tag: TAG.ImageDescription, type: TYPE_ASCII, values: description }] : []),
    { tag: TAG.StripOffsets, type: TYPE_LONG, values: new Array<number>(strips).fill(0) },
    { tag: TAG.SamplesPerPixel, type: TYPE_SHORT, values: [1] },
    { tag: TAG.RowsPerStrip, type: TYPE_LONG, values: [rowsPerStrip] },
    { tag: TAG.StripByteCounts, type: TYPE_LONG, values: stripBytes },
    { tag: TAG.XResolution, type: TYPE_RATIONAL, values: [1, 1] },
    { tag: TAG.YResolution, type: TYPE_RATIONAL, values: [1, 1] },
    { tag: TAG.ResolutionUnit, type: TYPE_SHORT, values: [1] },
    { tag: TAG.Software, type: TYPE_ASCII, values: 'Deepfield' },
    { tag: TAG.SampleFormat, type: TYPE_SHORT, values: [3] }, // IEEE floating point
  ];

  // Layout: header (8) | IFD | out-of-line values | pixel strips (4-byte aligned).
  const ifdSize = 2 + entries.length * 12 + 4;
  const payloadOf = (e: Entry): Uint8Array => {
    if (typeof e.values === 'string') return new TextEncoder().encode(e.values + '\0');
    const size = e.type === TYPE_SHORT ? 2 : 4;
    const bytes = new Uint8Array(e.values.length * size);
    const view = new DataView(bytes.buffer);
    e.values.forEach((v, i) => (size === 2 ? view.setUint16(i * 2, v, true) : view.setUint32(i * 4, v, true)));
    return bytes;
  };
  let extraOffset = 8 + ifdSize;
  const extras: Array<{ offset: number; bytes: Uint8Array }> = [];
  const placed = entries.map((e) => {
    const bytes = payloadOf(e);
    if (bytes.length <= 4) return { e, bytes, offset: -1 };
    const offset = extraOffset;
    extraOffset += bytes.length + (bytes.length % 2); // word-aligned, as the spec asks
    extras.push({ offset, bytes });
    return { e, bytes, offset };
  });
  const pixelStart = Math.ceil(extraOffset / 4) * 4;
  // Now the strip offsets are known: rewrite their payload in place.
  const stripOffsets = placed.find((p) => p.e.tag === TAG.StripOffsets)!;
  const offsetsView = new DataView(stripOffsets.bytes.buffer);
  let at = pixelStart;
  for (let s = 0; s < strips; s++) {
    offsetsView.setUint32(s * 4, at, true);
    at += stripBytes[s];
  }

  const out = new Uint8Array(pixelStart + values.length * 4);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]); // "II", 42
  view.setUint32(4, 8, true);
  view.setUint16(8, entries.length, true);
  placed.forEach(({ e, bytes, offset }, i) => {
    const o = 10 + i * 12;
    view.setUint16(o, e.tag, true);
    view.setUint16(o + 2, e.type, true);
    const count = typeof e.values === 'string' ? bytes.length : e.type === TYPE_RATIONAL ? e.values.length / 2 : e.values.length;
    view.setUint32(o + 4, count, true);
    if (offset < 0) out.set(bytes, o + 8);
    else view.setUint32(o + 8, offset, true);
  });
  view.setUint32(10 + entries.length * 12, 0, true); // no next IFD
  for (const { offset, bytes } of extras) out.set(bytes, offset);
  for (let i = 0; i < values.length; i++) view.setFloat32(pixelStart + i * 4, values[i], true);
  return out;
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
