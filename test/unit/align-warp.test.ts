// The warp stage against obviously-correct expectations, and the end-to-end criterion:
// the composite of the realigned synthetic bracket within 0.5 dB PSNR of the never-misaligned one.
import { describe, expect, it } from 'vitest';
import { integerShift, warpSlice } from '../../src/main/engine/align/warp';
import { composeAffine } from '../../src/main/engine/align/geometry';
import type { PixelLayout } from '../../src/shared/types';
import { alignInProcess, argmaxComposite, createMisalignedStack, psnr, randomMotions } from './align-fixtures';

describe('warpSlice', () => {
  const layout: PixelLayout = { width: 40, height: 30, channels: 3, bitDepth: 16 };
  const ramp = new Uint16Array(40 * 30 * 3);
  for (let y = 0; y < 30; y++) for (let x = 0; x < 40; x++) for (let c = 0; c < 3; c++) ramp[(y * 40 + x) * 3 + c] = 1000 + 300 * x + 170 * y + 11 * c;

  it('copies an integer shift bit for bit', () => {
    const out = warpSlice(ramp, layout, 30, 20, { matrix: [1, 0, 5, 0, 1, 7] });
    for (let y = 0; y < 20; y++) for (let x = 0; x < 30; x++) expect(out[(y * 30 + x) * 3]).toBe(ramp[((y + 7) * 40 + x + 5) * 3]);
    const spent = ramp.slice();
    const over = warpSlice(spent, layout, 30, 20, { matrix: [1, 0, 5, 0, 1, 7] }, 'auto', false, true);
    expect(over.buffer).toBe(spent.buffer);
    expect([...over]).toEqual([...out]);
    expect(integerShift([1, 0, 5.01, 0, 1, 7], 30, 20)).toEqual([5, 7]);
    expect(integerShift([1.003, 0, 5, 0, 1, 7], 30, 20)).toBeUndefined();
  });

  it('reproduces a linear ramp exactly under a fractional rotation and scale, at 16 bits', () => {
    const t = (0.7 * Math.PI) / 180;
    const [a, b] = [1.02 * Math.cos(t), -1.02 * Math.sin(t)];
    const matrix = [a, b, 4.3, -b, a, 3.6] as const;
    const out = warpSlice(ramp, layout, 30, 20, { matrix });
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 30; x++) {
        const sx = a * x + b * y + 4.3;
        const sy = -b * x + a * y + 3.6;
        expect(Math.abs(out[(y * 30 + x) * 3 + 1] - (1011 + 300 * sx + 170 * sy))).toBeLessThanOrEqual(0.5);
      }
    }
  });

  it('fills outside the slice from its edge with keepSize, never black or NaN', () => {
    const grey = new Uint8Array(40 * 30).fill(200);
    const out = warpSlice(grey, { width: 40, height: 30, channels: 1, bitDepth: 8 }, 40, 30, { matrix: [0.97, 0, -3.5, 0, 0.97, 4.2] });
    expect(out.every((v) => v === 200)).toBe(true);
  });

  it('applies gain and offset per channel with rounding and clamping', () => {
    const pixels = Uint8Array.from([100, 100, 250]);
    const out = warpSlice(pixels, { width: 1, height: 1, channels: 3, bitDepth: 8 }, 1, 1, { matrix: [1, 0, 0, 0, 1, 0], gains: [1.1, 0.5, 1.1], offsets: [0.4, 0, 0] });
    expect([...out]).toEqual([110, 50, 255]);
  });
});

describe('the realigned synthetic bracket', () => {
  it('stacks within 0.5 dB PSNR of the never-misaligned bracket, and as well as the true transforms do', { timeout: 300_000 }, async () => {
    const [width, height] = [640, 480];
    // Recorded as a camera records it (each pixel the scene's mean over its footprint), so the
    // alignment's warp is the only resampling any slice sees.
    const stack = await createMisalignedStack(width, height, randomMotions(7, width, 11), 3, 3, 3);
    const plan = alignInProcess(stack.observed, 3, 'similarity');
    const { crop } = plan.alignment;
    const cropped: PixelLayout = { width: crop.width, height: crop.height, channels: 3, bitDepth: 8 };
    const source: PixelLayout = { width, height, channels: 3, bitDepth: 8 };
    const realigned = argmaxComposite(stack.observed.map((p, k) => warpSlice(p, source, crop.width, crop.height, plan.warps[k])), cropped);
    const shift = [1, 0, crop.x, 0, 1, crop.y] as const;
    const never = argmaxComposite(stack.aligned.map((p) => warpSlice(p, source, crop.width, crop.height, { matrix: shift })), cropped);
    const unaligned = argmaxComposite(stack.observed.map((p) => warpSlice(p, source, crop.width, crop.height, { matrix: shift })), cropped);
    const scene = warpSlice(stack.scene, source, crop.width, crop.height, { matrix: shift }) as Uint8Array;
    // The same slices corrected by the true transforms and gains: what perfect estimates give.
    const truthWarps = stack.truth.map((m, k) => ({ matrix: composeAffine(m, shift), gains: stack.motions[k].gains.map((g) => 1 / g), offsets: [0, 0, 0] }));
    const byTruth = argmaxComposite(stack.observed.map((p, k) => warpSlice(p, source, crop.width, crop.height, truthWarps[k])), cropped);
    const [pNever, pRealigned, pTruth, pUnaligned] = [never, realigned, byTruth, unaligned].map((c) => psnr(c, scene));
    console.log(
      `composite PSNR against the all-in-focus scene (crop ${crop.width}x${crop.height}): never misaligned ${pNever.toFixed(2)} dB, ` +
        `realigned ${pRealigned.toFixed(2)} dB (${(pNever - pRealigned).toFixed(2)} dB below), corrected by the true transforms ${pTruth.toFixed(2)} dB, ` +
        `left misaligned ${pUnaligned.toFixed(2)} dB`,
    );
    // The criterion. What is left of the gap is the warp's interpolation: the estimates
    // are as good as the truth.
    expect(pNever - pRealigned).toBeLessThan(0.5);
    expect(Math.abs(pRealigned - pTruth)).toBeLessThan(0.5);
    expect(pUnaligned).toBeLessThan(pNever - 10);
  });
});
