#!/usr/bin/env node
// The figure of docs/retouch.md: a halo that the pyramid merge leaves around bright gold pins on
// the pcb stack (a hand-held macro bracket: the pins are sharp in the first slice, the board behind
// them never is while they are), removed by painting that first slice back over the pins and the
// band around them. Runs the built command line three times on ../shared/data/pcb: the merge as
// it is, the merge with the strokes below (--retouch), and the merge with one brush over the whole
// frame from the same slice, which is that slice aligned into the composite's frame (the pixels
// the brush copies); the three merges give the same bits (the merge adds slices in slice order on
// any number of threads), so what differs is the strokes' doing. Writes a before/after crop side
// by side and prints the mean absolute difference to the source slice before and after, in the
// brush's full-strength core and in the band it fades across, and how many samples changed
// outside it. Exits 1 unless the retouched composite is the source slice in the core and the
// merged composite beyond the brush.
//
//   npm run build && node scripts/halo-crop.js [--out test-results/halo]
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = fileURLToPath(new URL('..', import.meta.url));
const stack = path.resolve(root, '../shared/data/pcb');
const outIndex = process.argv.indexOf('--out');
const out = path.resolve(root, outIndex > 0 ? process.argv[outIndex + 1] : 'test-results/halo');

/** The slice whose pixels are painted: pcb_001.jpg, where the pins are sharp. */
const SLICE = 0;
/**
 * Down two pins (about 50 px wide) and the halo band either side, in the composite's pixels
 * (2006x1504, aligned). Half hardness: full strength over the pin (the brush's hard core), then a
 * fall to nothing across the band, so the board blurred in slice 0 meets the sharp board without
 * an edge.
 */
const STROKES = [
  { tool: 'brush', slice: SLICE, size: 90, hardness: 0.5, opacity: 1, points: [[1615, 800], [1615, 900]] },
  { tool: 'brush', slice: SLICE, size: 90, hardness: 0.5, opacity: 1, points: [[1740, 805], [1740, 900]] },
];
/** The crop shown: both pins' upper parts, the strokes whole, and the board behind them. */
const CROP = { left: 1540, top: 730, width: 300, height: 230 };
const ZOOM = 2;

function deepfield(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/deepfield.js'), 'stack', stack, '--method', 'pyramid', '--overwrite', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`deepfield stack ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').pop()}`))));
  });
}

async function rgb(file) {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Distance from (x, y) to the stroke's path (its points joined by straight segments). */
function distanceToPath(points, x, y) {
  let best = Infinity;
  for (let i = 0; i < points.length; i++) {
    const [ax, ay] = points[i];
    const [bx, by] = points[Math.min(i + 1, points.length - 1)];
    const dx = bx - ax;
    const dy = by - ay;
    const t = dx === 0 && dy === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
    best = Math.min(best, Math.hypot(x - ax - t * dx, y - ay - t * dy));
  }
  return best;
}

await mkdir(out, { recursive: true });
const strokesFile = path.join(out, 'halo-strokes.json');
const wholeFile = path.join(out, 'whole-slice.json');
await writeFile(strokesFile, JSON.stringify({ version: 1, strokes: STROKES }, null, 2));
await writeFile(wholeFile, JSON.stringify({ version: 1, strokes: [{ tool: 'brush', slice: SLICE, size: 10000, points: [[1003, 752]] }] }));
const files = { before: path.join(out, 'before.png'), after: path.join(out, 'after.png'), slice: path.join(out, 'slice-aligned.png') };
await deepfield(['-o', files.before]);
await deepfield(['-o', files.after, '--retouch', strokesFile]);
await deepfield(['-o', files.slice, '--retouch', wholeFile]);
const [before, after, slice] = await Promise.all([rgb(files.before), rgb(files.after), rgb(files.slice)]);
const { width, height } = before;

// Pixel (i, j) is painted by its centre. The core (full strength, within hardness x radius of the
// path) must be the slice exactly, everything beyond the radius the merge exactly; a pixel's width
// either side of each edge is left out, so the check does not hinge on rounding there. Between
// them, the band the brush fades across.
const zones = { core: { pixels: 0, before: 0, after: 0, differ: 0 }, band: { pixels: 0, before: 0, after: 0, differ: 0 } };
let outside = 0;
let outsideChanged = 0;
for (let j = 0; j < height; j++) {
  for (let i = 0; i < width; i++) {
    const d = STROKES.map((s) => ({ d: distanceToPath(s.points, i + 0.5, j + 0.5), r: s.size / 2, core: (s.hardness * s.size) / 2 }));
    const p = (j * width + i) * 3;
    const zone = d.some((s) => s.d <= s.core - 1) ? zones.core : d.some((s) => s.d > s.core + 1 && s.d < s.r - 1) ? zones.band : undefined;
    if (zone) {
      zone.pixels++;
      for (let c = 0; c < 3; c++) {
        zone.before += Math.abs(before.data[p + c] - slice.data[p + c]);
        zone.after += Math.abs(after.data[p + c] - slice.data[p + c]);
        if (after.data[p + c] !== slice.data[p + c]) zone.differ++;
      }
    } else if (d.every((s) => s.d > s.r + 1)) {
      outside++;
      for (let c = 0; c < 3; c++) if (after.data[p + c] !== before.data[p + c]) outsideChanged++;
    }
  }
}

const crop = (file) => sharp(file).extract(CROP).resize(CROP.width * ZOOM, CROP.height * ZOOM, { kernel: 'nearest' }).png().toBuffer();
const gap = 8;
const figure = path.join(out, 'halo-before-after.png');
await sharp({ create: { width: 2 * CROP.width * ZOOM + gap, height: CROP.height * ZOOM, channels: 3, background: '#ffffff' } })
  .composite([
    { input: await crop(files.before), left: 0, top: 0 },
    { input: await crop(files.after), left: CROP.width * ZOOM + gap, top: 0 },
  ])
  .png()
  .toFile(figure);

const mad = (zone, sum) => (sum / (zone.pixels * 3)).toFixed(2);
const { core, band } = zones;
console.log(`stack ${stack} (${width}x${height} composite, pyramid), slice ${SLICE} painted, strokes ${strokesFile}`);
console.log(`crop x ${CROP.left}..${CROP.left + CROP.width - 1}, y ${CROP.top}..${CROP.top + CROP.height - 1} at ${ZOOM}x: ${figure} (left before, right after)`);
console.log(`mean |composite - slice ${SLICE}| in 8-bit levels, before -> after: brush core (${core.pixels} px) ${mad(core, core.before)} -> ${mad(core, core.after)}, ${core.differ} samples not the slice's; fading band (${band.pixels} px) ${mad(band, band.before)} -> ${mad(band, band.after)}`);
console.log(`outside the brush (${outside} px): ${outsideChanged} samples changed`);
if (core.differ > 0 || outsideChanged > 0) {
  console.error('FAIL: the retouched composite must be the source slice in the brush core and the merged composite outside the brush');
  process.exit(1);
}
