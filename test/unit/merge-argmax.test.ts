// The argmax method is the design's default and must stay bit-for-bit what the design says:
// per pixel the slice with the highest raw variance, ties to the lowest index, its pixel copied.
import { bytesOf } from '../helpers/fixtures';
import { describe, expect, test } from 'vitest';
import { computeFocusMap } from '../../src/main/engine/focus/focus-measure';
import { composeInMemory, measureProfile } from '../../src/main/engine/merge/in-memory';
import { createSyntheticStack } from '../../src/main/demo/synthetic-stack';

async function smallStack() {
  const stack = await createSyntheticStack({ width: 67, height: 71, sliceCount: 7, seed: 3, noise: 2 });
  const slices = Array.from({ length: 7 }, (_, k) => stack.renderSlice(k));
  return { stack, slices };
}

/** The obvious argmax over whole focus maps, written independently of the streaming merge. */
function referenceArgmax(slices: Uint8Array[], width: number, height: number) {
  const maps = slices.map((s) => computeFocusMap(s, { width, height, channels: 3, bitDepth: 8 }, 2));
  const winner = new Uint16Array(width * height);
  const composite = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    let best = 0;
    for (let k = 1; k < maps.length; k++) if (maps[k][p] > maps[best][p]) best = k;
    winner[p] = best;
    for (let c = 0; c < 3; c++) composite[p * 3 + c] = slices[best][p * 3 + c];
  }
  return { winner, composite };
}

describe('merge method argmax', () => {
  test('its composite and index map equal a plain argmax over full focus maps, bit for bit', async () => {
    const { stack, slices } = await smallStack();
    const { width, height } = stack.layout;
    const expected = referenceArgmax(slices, width, height);
    const profile = measureProfile((k) => slices[k], 7, stack.layout, 2);
    const merged = composeInMemory(profile, (k) => slices[k], stack.layout, 'argmax');
    expect(bytesOf(merged.indexMap).equals(bytesOf(expected.winner))).toBe(true);
    expect(bytesOf(merged.composite).equals(bytesOf(expected.composite))).toBe(true);
  });

  test('ties go to the lowest slice index whatever order the slices arrive in', async () => {
    const layout = { width: 8, height: 8, channels: 1 as const, bitDepth: 8 as const };
    const flat = (value: number) => new Uint8Array(64).fill(value);
    const slices = [flat(10), flat(20), flat(30)]; // all variances are 0: a three-way tie
    const profile = measureProfile((k) => slices[k], 3, layout, 2, { order: [2, 0, 1] });
    const merged = composeInMemory(profile, (k) => slices[k], layout, 'argmax');
    expect([...merged.indexMap].every((k) => k === 0)).toBe(true);
    expect([...merged.composite].every((v) => v === 10)).toBe(true);
  });
});
