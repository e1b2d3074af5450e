// The real hand-held bracket ../shared/data/pcb stacked with and without alignment: the transforms
// found are printed, and crops of the composite's edges before/after are saved for a look by eye
// (test-results/align-pcb-before-after.png).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/main/engine/job/engine';
import type { StackResult } from '../../src/main/engine/job/stack-result';
import { builtWorkerFile, hasSharedStack, repoRoot, sharedData } from '../helpers/fixtures';

const PCB = path.join(sharedData, 'pcb');
/** Regions in the reference slice's frame: top-left capacitor, right-hand parts, header pins. */
const REGIONS = [
  { x: 60, y: 60, width: 400, height: 300 },
  { x: 1560, y: 560, width: 400, height: 300 },
  { x: 1300, y: 1100, width: 400, height: 300 },
];

/** Blurred grey of a region (RGB 8-bit composite at offset ox, oy in the reference frame). */
async function regionGrey(result: StackResult, region: (typeof REGIONS)[number], ox: number, oy: number): Promise<Float64Array> {
  const { width, height, channels } = result.layout;
  const raw = { raw: { width, height, channels } } as const;
  const buffer = await sharp(result.composite, raw)
    .extract({ left: region.x - ox, top: region.y - oy, width: region.width, height: region.height })
    .greyscale()
    .blur(3)
    .raw()
    .toBuffer();
  return Float64Array.from(buffer);
}

async function referenceGrey(region: (typeof REGIONS)[number]): Promise<Float64Array> {
  const buffer = await sharp(path.join(PCB, 'pcb_004.jpg')).extract({ left: region.x, top: region.y, width: region.width, height: region.height }).greyscale().blur(3).raw().toBuffer();
  return Float64Array.from(buffer);
}

function correlation(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe.runIf(hasSharedStack('pcb'))('alignment on the hand-held pcb bracket', () => {
  let engine: Engine;
  let aligned: StackResult;
  let unaligned: StackResult;
  beforeAll(async () => {
    engine = new Engine({ workerFile: builtWorkerFile(), threads: 2 });
    aligned = await engine.stack({ inputs: [PCB], options: { align: 'similarity' } });
    unaligned = await engine.stack({ inputs: [PCB], options: { align: 'off' } });
  }, 300_000);
  afterAll(() => engine?.close());

  it('finds a plausible transform for every slice and reports it', () => {
    const alignment = aligned.alignment!;
    const lines = alignment.slices.map(
      (s) =>
        `${s.name} ${s.status.padEnd(9)} shift (${s.shiftX.toFixed(2)}, ${s.shiftY.toFixed(2)}) px, rotation ${s.rotationDeg.toFixed(3)} deg, ` +
        `scale ${s.scale.toFixed(4)}, gains ${s.gains.map((g) => g.toFixed(3)).join('/')}, offsets ${s.offsets.map((o) => o.toFixed(1)).join('/')}`,
    );
    console.log(`pcb, reference ${alignment.reference}, crop ${JSON.stringify(alignment.crop)}, estimated in ${alignment.estimateMs.toFixed(0)} ms\n${lines.join('\n')}`);
    expect(alignment.reference).toBe(3);
    for (const s of alignment.slices) expect(s.status, `${s.name}: ${s.reason}`).not.toBe('failed');
    // Focus breathing: magnification changes steadily through the bracket.
    const scales = alignment.slices.map((s) => s.scale);
    for (let k = 1; k < scales.length; k++) expect(scales[k]).toBeLessThan(scales[k - 1]);
    expect(aligned.layout.width).toBe(alignment.crop.width);
    expect(aligned.indexMap.length).toBe(alignment.crop.width * alignment.crop.height);
  });

  it('brings the composite closer to the reference slice at the edges, and saves the before/after crops', async () => {
    const { crop } = aligned.alignment!;
    const tiles: OverlayOptions[] = [];
    const gap = 8;
    for (const [i, region] of REGIONS.entries()) {
      const before = await regionGrey(unaligned, region, 0, 0);
      const after = await regionGrey(aligned, region, crop.x, crop.y);
      const reference = await referenceGrey(region);
      const [cBefore, cAfter] = [correlation(before, reference), correlation(after, reference)];
      console.log(`region ${JSON.stringify(region)}: correlation with the reference slice (blurred) ${cBefore.toFixed(4)} unaligned, ${cAfter.toFixed(4)} aligned`);
      expect(cAfter).toBeGreaterThan(cBefore);
      for (const [row, result, ox, oy] of [[0, unaligned, 0, 0], [1, aligned, crop.x, crop.y]] as const) {
        const { width, height, channels } = result.layout;
        const input = await sharp(result.composite, { raw: { width, height, channels } })
          .extract({ left: region.x - ox, top: region.y - oy, width: region.width, height: region.height })
          .png()
          .toBuffer();
        tiles.push({ input, left: i * (region.width + gap), top: row * (region.height + gap) });
      }
    }
    const dir = path.join(repoRoot, 'test-results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'align-pcb-before-after.png');
    await sharp({ create: { width: REGIONS.length * (400 + gap) - gap, height: 2 * 300 + gap, channels: 3, background: '#ffffff' } })
      .composite(tiles)
      .png()
      .toFile(file);
    console.log(`before (top row, --align off) / after (bottom row, --align similarity): ${file}`);
  });
});
