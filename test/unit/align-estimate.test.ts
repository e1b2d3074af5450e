// Alignment estimation against synthetic brackets with known motion (test/unit/align-fixtures.ts):
// the error table the issue asks for is printed by the first tests.
import { beforeAll, describe, expect, it } from 'vitest';
import { type Affine, applyAffine } from '../../src/main/engine/align/geometry';
import { estimateNeighbour, type PairResult } from '../../src/main/engine/align/estimate';
import { copiesFromPixels } from '../../src/main/engine/align/prepare';
import { type AlignmentPlan, planAlignment } from '../../src/main/engine/align/plan';
import { integerShift } from '../../src/main/engine/align/warp';
import type { SliceRef } from '../../src/shared/types';
import { alignInProcess, createMisalignedStack, randomMotions, type MisalignedStack, type TrueMotion } from './align-fixtures';

const WIDTH = 640;
const HEIGHT = 480;

function cornerError(found: readonly number[], truth: Affine): number {
  let worst = 0;
  for (const [x, y] of [[0, 0], [WIDTH - 1, 0], [0, HEIGHT - 1], [WIDTH - 1, HEIGHT - 1]]) {
    const [ax, ay] = applyAffine(found as unknown as Affine, x, y);
    const [bx, by] = applyAffine(truth, x, y);
    worst = Math.max(worst, Math.hypot(ax - bx, ay - by));
  }
  return worst;
}

function names(n: number): SliceRef[] {
  return Array.from({ length: n }, (_, i) => ({ file: `/synthetic/slice-${i}`, name: `slice-${i}` }));
}

function printTable(title: string, plan: AlignmentPlan, stack: MisalignedStack): void {
  const rows = plan.alignment.slices.map((s) => {
    const m = stack.motions[s.index];
    const gainErrors = s.gains.map((g, c) => 100 * (g * m.gains[c] - 1));
    return `${s.index} ${s.status.padEnd(9)} true shift (${m.dx.toFixed(2)}, ${m.dy.toFixed(2)}) scale ${m.scale.toFixed(4)} rot ${m.rotationDeg.toFixed(3)} | ` +
      `found (${s.shiftX.toFixed(2)}, ${s.shiftY.toFixed(2)}) scale ${s.scale.toFixed(4)} rot ${s.rotationDeg.toFixed(3)} | ` +
      `corner error ${cornerError(s.matrix, stack.truth[s.index]).toFixed(3)} px | gain error % ${gainErrors.map((e) => e.toFixed(2)).join(' ')}`;
  });
  console.log(`${title}\n${rows.join('\n')}`);
}

describe('alignment estimation on a misaligned synthetic bracket', () => {
  // Shifts up to 5% of the width, scale 0.97-1.03, rotation up to 1 degree, gains 0.8-1.2 per
  // channel, and each slice focused at its own depth (blurred elsewhere).
  const reference = 3;
  let stack: MisalignedStack;
  let plan: AlignmentPlan;
  beforeAll(async () => {
    stack = await createMisalignedStack(WIDTH, HEIGHT, randomMotions(7, WIDTH, 11), reference);
    plan = alignInProcess(stack.observed, reference, 'similarity');
    printTable('similarity, recovered vs true (reference-to-slice)', plan, stack);
  });

  it('maps every image corner within 0.3 px of the true transform', () => {
    for (const s of plan.alignment.slices) {
      expect(s.status, `${s.name}: ${s.reason}`).not.toBe('failed');
      expect(cornerError(s.matrix, stack.truth[s.index]), s.name).toBeLessThan(0.3);
    }
  });

  it('recovers the gain of every channel within 1%', () => {
    for (const s of plan.alignment.slices) {
      s.gains.forEach((g, c) => expect(Math.abs(g * stack.motions[s.index].gains[c] - 1), `${s.name} channel ${c}`).toBeLessThan(0.01));
    }
  });

  it('crops to a frame that every slice covers', () => {
    const { crop } = plan.alignment;
    for (const s of plan.alignment.slices) {
      for (const [x, y] of [[crop.x, crop.y], [crop.x + crop.width - 1, crop.y + crop.height - 1], [crop.x, crop.y + crop.height - 1], [crop.x + crop.width - 1, crop.y]]) {
        const [sx, sy] = applyAffine(s.matrix as unknown as Affine, x, y);
        expect(sx).toBeGreaterThanOrEqual(-1e-6);
        expect(sy).toBeGreaterThanOrEqual(-1e-6);
        expect(sx).toBeLessThanOrEqual(WIDTH - 1 + 1e-6);
        expect(sy).toBeLessThanOrEqual(HEIGHT - 1 + 1e-6);
      }
    }
    // Shifts up to 5% of the width on both sides leave well over 80% of each side.
    expect(crop.width).toBeGreaterThan(0.8 * WIDTH);
    expect(crop.height).toBeGreaterThan(0.7 * HEIGHT);
  });
});

describe('alignment estimation with other models', () => {
  it('the translation model recovers pure shifts within 0.3 px', async () => {
    const motions: TrueMotion[] = randomMotions(5, WIDTH, 5).map((m) => ({ ...m, scale: 1, rotationDeg: 0, gains: [1, 1, 1] }));
    const stack = await createMisalignedStack(WIDTH, HEIGHT, motions, 2, 9);
    const plan = alignInProcess(stack.observed, 2, 'translation');
    printTable('translation model', plan, stack);
    for (const s of plan.alignment.slices) expect(cornerError(s.matrix, stack.truth[s.index]), s.name).toBeLessThan(0.3);
  });

  it('the affine model recovers similarity motion within 0.3 px', async () => {
    const stack = await createMisalignedStack(WIDTH, HEIGHT, randomMotions(5, WIDTH, 21), 2, 5);
    const plan = alignInProcess(stack.observed, 2, 'affine');
    printTable('affine model', plan, stack);
    for (const s of plan.alignment.slices) expect(cornerError(s.matrix, stack.truth[s.index]), s.name).toBeLessThan(0.3);
  });
});

describe('alignment estimation on an already aligned stack', () => {
  it('stays within 0.05 px of the identity, so no slice is resampled or re-levelled', async () => {
    const still: TrueMotion = { dx: 0, dy: 0, scale: 1, rotationDeg: 0, gains: [1, 1, 1] };
    const stack = await createMisalignedStack(WIDTH, HEIGHT, Array(7).fill(still), 3, 7);
    const copies = stack.observed.map((p) => copiesFromPixels(p, WIDTH, HEIGHT, 3));
    const raw = [0, 1, 2, 4, 5, 6].map((k) => estimateNeighbour(copies[k < 3 ? k + 1 : k - 1], copies[k], 'similarity', WIDTH, HEIGHT));
    const worst = Math.max(...raw.map((pair) => cornerError(pair.matrix, [1, 0, 0, 0, 1, 0])));
    const plan = alignInProcess(stack.observed, 3, 'similarity');
    console.log(`aligned stack: largest corner motion found ${worst.toFixed(4)} px`);
    expect(worst).toBeLessThan(0.05);
    expect(plan.alignment.crop).toEqual({ x: 0, y: 0, width: WIDTH, height: HEIGHT });
    for (const warp of plan.warps) {
      expect(integerShift(warp.matrix, WIDTH, HEIGHT)).toEqual([0, 0]);
      expect(warp.gains).toBeUndefined();
    }
  });
});

describe('implausible estimates', () => {
  it('leave a slice that shows another scene unaligned, named, and never NaN', async () => {
    const stack = await createMisalignedStack(WIDTH, HEIGHT, randomMotions(3, WIDTH, 2), 1, 4);
    const other = await createMisalignedStack(WIDTH, HEIGHT, randomMotions(3, WIDTH, 2), 1, 99);
    const plan = alignInProcess([stack.observed[0], stack.observed[1], other.observed[2]], 1, 'similarity');
    const failed = plan.alignment.slices[2];
    expect(failed.status).toBe('failed');
    expect(failed.reason).toMatch(/in common|converge|scale|shift/);
    expect(failed.matrix).toEqual([1, 0, 0, 0, 1, 0]);
    expect(plan.alignment.slices[0].status).toBe('ok');
  });

  it('reject NaN, a 12% scale change and a shift beyond a quarter of the frame', () => {
    const ok = { correlation: 0.9, converged: true };
    const pairs: PairResult[] = [];
    pairs[0] = { ...ok, matrix: [NaN, 0, 0, 0, 1, 0] };
    pairs[2] = { ...ok, matrix: [1.12, 0, -38, 0, 1.12, -29] };
    pairs[3] = { ...ok, matrix: [1, 0, 0.3 * WIDTH, 0, 1, 0] };
    const plan = planAlignment(names(4), pairs, { method: 'similarity', reference: 1, brightness: true, keepSize: false, width: WIDTH, height: HEIGHT, colourChannels: 3, maxValue: 255 });
    const reasons = plan.alignment.slices.map((s) => s.reason ?? '');
    expect(reasons[0]).toMatch(/NaN/);
    expect(reasons[2]).toMatch(/scale 1\.120/);
    expect(reasons[3]).toMatch(/quarter/);
    for (const s of plan.alignment.slices) for (const v of [...s.matrix, ...s.gains, ...s.offsets, s.scale, s.shiftX]) expect(Number.isFinite(v)).toBe(true);
    expect(plan.alignment.crop).toEqual({ x: 0, y: 0, width: WIDTH, height: HEIGHT });
  });
});
