// Slices larger than the estimation copy (ESTIMATION_SIDE) are estimated on copies the decoder
// reduces: the transforms found there, expressed at full resolution, must still be the true ones.
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Affine, applyAffine, composeAffine, invertAffine } from '../../src/main/engine/align/geometry';
import { estimateNeighbour, type PairResult } from '../../src/main/engine/align/estimate';
import { ESTIMATION_SIDE, prepareAlignmentCopies } from '../../src/main/engine/align/prepare';
import { planAlignment } from '../../src/main/engine/align/plan';
import type { PixelLayout, SliceRef } from '../../src/shared/types';
import { tempDir } from '../helpers/fixtures';
import { createMisalignedStack, randomMotions, type MisalignedStack } from './align-fixtures';

const [WIDTH, HEIGHT] = [640, 480];
/** The slices are the synthetic bracket enlarged this many times, so the decoder must reduce them. */
const ENLARGE = 2;
const REFERENCE = 1;

/** Pixel (x, y) of the bracket is at (2x + 0.5, 2y + 0.5) on the enlarged grid (pixel centres at integers). */
const TO_ENLARGED: Affine = [ENLARGE, 0, (ENLARGE - 1) / 2, 0, ENLARGE, (ENLARGE - 1) / 2];

function cornerError(found: Affine, truth: Affine, width: number, height: number): number {
  let worst = 0;
  for (const [x, y] of [[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]]) {
    const [ax, ay] = applyAffine(found, x, y);
    const [bx, by] = applyAffine(truth, x, y);
    worst = Math.max(worst, Math.hypot(ax - bx, ay - by));
  }
  return worst;
}

/** Estimates every slice against its neighbour towards the reference from decoder-reduced copies. */
async function alignFromFiles(slices: SliceRef[], layout: PixelLayout) {
  const copies = await Promise.all(slices.map((slice) => prepareAlignmentCopies(slice, layout)));
  const pairs: PairResult[] = [];
  for (let k = 0; k < slices.length; k++) {
    if (k !== REFERENCE) pairs[k] = estimateNeighbour(copies[k < REFERENCE ? k + 1 : k - 1], copies[k], 'similarity', layout.width, layout.height);
  }
  return planAlignment(slices, pairs, { method: 'similarity', reference: REFERENCE, brightness: true, keepSize: false, width: layout.width, height: layout.height, colourChannels: layout.channels === 1 ? 1 : 3, maxValue: layout.bitDepth === 16 ? 65535 : 255 });
}

describe('estimation on copies the decoder reduced', () => {
  let stack: MisalignedStack;
  const width = WIDTH * ENLARGE;
  const height = HEIGHT * ENLARGE;
  beforeAll(async () => {
    stack = await createMisalignedStack(WIDTH, HEIGHT, randomMotions(3, WIDTH, 31), REFERENCE, 6);
    expect(Math.max(width, height)).toBeGreaterThan(ESTIMATION_SIDE);
  });

  /** The truth on the enlarged grid: the bracket's reference-to-slice map, conjugated. */
  const enlargedTruth = (k: number): Affine => composeAffine(TO_ENLARGED, composeAffine(stack.truth[k], invertAffine(TO_ENLARGED)));

  it('8-bit RGB PNG: every corner within 0.3 px of the true transform at the bracket scale', async () => {
    const dir = tempDir();
    const slices: SliceRef[] = [];
    for (let k = 0; k < stack.observed.length; k++) {
      const file = path.join(dir, `s${k}.png`);
      await sharp(stack.observed[k], { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).resize(width, height).png().toFile(file);
      slices.push({ file, name: `s${k}.png` });
    }
    const plan = await alignFromFiles(slices, { width, height, channels: 3, bitDepth: 8 });
    for (const s of plan.alignment.slices) {
      expect(s.status, `${s.name}: ${s.reason}`).not.toBe('failed');
      expect(cornerError(s.matrix as unknown as Affine, enlargedTruth(s.index), width, height) / ENLARGE, s.name).toBeLessThan(0.3);
    }
  });

  it('16-bit grey Deflate TIFF: every corner within 0.3 px of the true transform at the bracket scale', async () => {
    const dir = tempDir();
    const slices: SliceRef[] = [];
    for (let k = 0; k < stack.observed.length; k++) {
      const file = path.join(dir, `s${k}.tif`);
      await sharp(stack.observed[k], { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).resize(width, height).toColourspace('grey16').tiff({ compression: 'deflate', predictor: 'horizontal' }).toFile(file);
      slices.push({ file, name: `s${k}.tif` });
    }
    const plan = await alignFromFiles(slices, { width, height, channels: 1, bitDepth: 16 });
    for (const s of plan.alignment.slices) {
      expect(s.status, `${s.name}: ${s.reason}`).not.toBe('failed');
      expect(cornerError(s.matrix as unknown as Affine, enlargedTruth(s.index), width, height) / ENLARGE, s.name).toBeLessThan(0.3);
    }
  });
});
