#!/usr/bin/env node
// Generates every icon the packages need from the vector source build/icon.svg:
//   build/icon.png             1024 px (electron-builder's fallback, macOS and Linux)
//   build/icons/<n>x<n>.png    16..512 px (Linux hicolor theme, used by AppImage and .deb)
//   build/icon.ico             16..256 px (Windows executable and NSIS installer)
//   build/icon.icns            16..1024 px (macOS)
// Run `node scripts/make-icons.js` after editing the SVG and commit the results.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const buildDir = fileURLToPath(new URL('../build/', import.meta.url));
const SOURCE = path.join(buildDir, 'icon.svg');
const SOURCE_SIZE = 1024; // the SVG's viewBox width, rendered at sharp's default 72 dpi
const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512];
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
// ICNS entry types that hold PNG data (every macOS since 10.7 reads them).
const ICNS_ENTRIES = [
  ['ic11', 32], // 16@2x
  ['ic12', 64], // 32@2x
  ['ic07', 128],
  ['ic13', 256], // 128@2x
  ['ic08', 256],
  ['ic14', 512], // 256@2x
  ['ic09', 512],
  ['ic10', 1024], // 512@2x
];

/** Renders the SVG at the target size (not a downscale of one big bitmap): librsvg anti-aliases the
 *  edges for that size, which keeps 16 and 24 px crisp. */
async function renderRgba(svg, size) {
  const density = (72 * size) / SOURCE_SIZE;
  const { data, info } = await sharp(svg, { density })
    .resize(size, size, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 4) {
    throw new Error(`Expected a ${size}x${size} RGBA raster but received ${info.width}x${info.height}x${info.channels}`);
  }
  return data;
}

function pngFromRgba(rgba, size) {
  return sharp(rgba, { raw: { width: size, height: size, channels: 4 } })
    .png({ compressionLevel: 9, adaptiveFiltering: true })
    .toBuffer();
}

/** A 32-bit BMP (DIB) image as ICO stores it: BITMAPINFOHEADER with doubled height, BGRA rows
 *  bottom-up, then the 1-bit AND mask (all zero: the alpha channel already says what is
 *  transparent). Used below 256 px because some Windows tools and older NSIS builds cannot read
 *  PNG-compressed entries at small sizes. */
function dibFromRgba(rgba, size) {
  const maskRowBytes = Math.ceil(size / 32) * 4;
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0); // biSize
  header.writeInt32LE(size, 4); // biWidth
  header.writeInt32LE(size * 2, 8); // biHeight: XOR bitmap + AND mask
  header.writeUInt16LE(1, 12); // biPlanes
  header.writeUInt16LE(32, 14); // biBitCount
  header.writeUInt32LE(0, 16); // BI_RGB
  header.writeUInt32LE(size * size * 4 + maskRowBytes * size, 20); // biSizeImage
  const pixels = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    const from = (size - 1 - y) * size * 4;
    for (let x = 0; x < size; x++) {
      const s = from + x * 4;
      const d = (y * size + x) * 4;
      pixels[d] = rgba[s + 2];
      pixels[d + 1] = rgba[s + 1];
      pixels[d + 2] = rgba[s];
      pixels[d + 3] = rgba[s + 3];
    }
  }
  return Buffer.concat([header, pixels, Buffer.alloc(maskRowBytes * size)]);
}

/** ICO container: ICONDIR (6 bytes), one 16-byte ICONDIRENTRY per image, then the images. */
function icoFile(images) {
  const dir = Buffer.alloc(6 + 16 * images.length);
  dir.writeUInt16LE(0, 0);
  dir.writeUInt16LE(1, 2); // type 1 = icon
  dir.writeUInt16LE(images.length, 4);
  let offset = dir.length;
  images.forEach(({ size, data }, i) => {
    const e = 6 + 16 * i;
    dir.writeUInt8(size >= 256 ? 0 : size, e); // 0 means 256
    dir.writeUInt8(size >= 256 ? 0 : size, e + 1);
    dir.writeUInt8(0, e + 2); // no palette
    dir.writeUInt8(0, e + 3);
    dir.writeUInt16LE(1, e + 4); // planes
    dir.writeUInt16LE(32, e + 6); // bits per pixel
    dir.writeUInt32LE(data.length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += data.length;
  });
  return Buffer.concat([dir, ...images.map((image) => image.data)]);
}

/** ICNS container: 'icns' + total length, then per entry a 4-char type + length (both big-endian,
 *  lengths include their 8-byte headers) + PNG data. */
function icnsFile(entries) {
  const chunks = entries.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + chunks.reduce((n, c) => n + c.length, 0), 4);
  return Buffer.concat([head, ...chunks]);
}

/** Reads the written containers back, so a slip in the hand-written headers fails here and not on
 *  a user's machine. */
async function verify(ico, icns) {
  const count = ico.readUInt16LE(4);
  if (ico.readUInt16LE(2) !== 1 || count !== ICO_SIZES.length) throw new Error('icon.ico: bad ICONDIR');
  for (let i = 0; i < count; i++) {
    const e = 6 + 16 * i;
    const size = ico.readUInt8(e) || 256;
    const data = ico.subarray(ico.readUInt32LE(e + 12), ico.readUInt32LE(e + 12) + ico.readUInt32LE(e + 8));
    const isPng = data.subarray(1, 4).toString('ascii') === 'PNG';
    const width = isPng ? (await sharp(data).metadata()).width : data.readInt32LE(4);
    if (width !== size) throw new Error(`icon.ico: entry ${i} says ${size} px but holds ${width} px`);
  }
  if (icns.subarray(0, 4).toString('ascii') !== 'icns' || icns.readUInt32BE(4) !== icns.length) throw new Error('icon.icns: bad header');
  let at = 8;
  for (const [type, size] of ICNS_ENTRIES) {
    const length = icns.readUInt32BE(at + 4);
    if (icns.subarray(at, at + 4).toString('ascii') !== type) throw new Error(`icon.icns: expected ${type} at byte ${at}`);
    const { width } = await sharp(icns.subarray(at + 8, at + length)).metadata();
    if (width !== size) throw new Error(`icon.icns: ${type} should be ${size} px but is ${width} px`);
    at += length;
  }
}

const svg = await readFile(SOURCE);
const sizes = [...new Set([...LINUX_SIZES, ...ICO_SIZES, ...ICNS_ENTRIES.map(([, s]) => s), 1024])];
const rgba = new Map();
const png = new Map();
for (const size of sizes) {
  const pixels = await renderRgba(svg, size);
  rgba.set(size, pixels);
  png.set(size, await pngFromRgba(pixels, size));
}

await mkdir(path.join(buildDir, 'icons'), { recursive: true });
await writeFile(path.join(buildDir, 'icon.png'), png.get(1024));
for (const size of LINUX_SIZES) await writeFile(path.join(buildDir, 'icons', `${size}x${size}.png`), png.get(size));
const ico = icoFile(ICO_SIZES.map((size) => ({ size, data: size >= 256 ? png.get(size) : dibFromRgba(rgba.get(size), size) })));
const icns = icnsFile(ICNS_ENTRIES.map(([type, size]) => ({ type, png: png.get(size) })));
await verify(ico, icns);
await writeFile(path.join(buildDir, 'icon.ico'), ico);
await writeFile(path.join(buildDir, 'icon.icns'), icns);
console.log(`icons written to ${buildDir}: icon.png, icons/{${LINUX_SIZES.join(',')}}, icon.ico (${ico.length} B), icon.icns (${icns.length} B)`);
