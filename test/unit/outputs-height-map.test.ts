// Height maps: the z-step, the float TIFF round trip, and sub-slice depth against a synthetic
// stack whose true depth is known.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { computeFocusBands } from '../../src/main/engine/focus/focus-measure';
import { heightFromDepth, parseZStep, writeHeightMap, zStepFromImageJ } from '../../src/main/engine/output/height-map';
import type { ProfileBuffers } from '../../src/main/engine/merge/profile';
import { subsliceDepth } from '../../src/main/engine/merge/subslice';
import { createSyntheticStack } from '../../src/main/demo/synthetic-stack';
import { encodeFloat32Tiff, readTiffFileTags, TAG } from '../../src/main/engine/input/tiff';
import { tempDir } from '../helpers/fixtures';

describe('z-step', () => {
  it('reads a distance with nm, um, µm or mm', () => {
    expect(parseZStep('0.5um')).toMatchObject({ value: 0.5, unit: 'um' });
    expect(parseZStep('50 nm')).toMatchObject({ value: 50, unit: 'nm' });
    expect(parseZStep('0.01mm')).toMatchObject({ value: 0.01, unit: 'mm' });
    expect(parseZStep('2µm')).toMatchObject({ value: 2, unit: 'um' });
  });

  it('refuses a step without a unit or not above zero, saying what it expected', () => {
    expect(() => parseZStep('0.5')).toThrow(/Expected a positive distance with a unit.*z-step.*"0.5"/);
    expect(() => parseZStep('-1um')).toThrow(/z-step/);
    expect(() => parseZStep('1 inch')).toThrow(/nm, um or mm/);
  });

  it("takes spacing and unit from an ImageJ TIFF's description", () => {
    const dir = tempDir();
    const file = path.join(dir, 'imagej.tif');
    const description = 'ImageJ=1.53c\nimages=3\nslices=3\nunit=micron\nspacing=0.05\nloop=false\n';
    writeFileSync(file, encodeFloat32Tiff(new Float32Array(4), 2, 2, description));
    expect(zStepFromImageJ(file)).toEqual({ value: 0.05, unit: 'um', source: 'imagej' });
    const blank = path.join(dir, 'blank.tif');
    writeFileSync(blank, encodeFloat32Tiff(new Float32Array(4), 2, 2, 'ImageJ=1.53c\nunit= \nmin=64.0\n'));
    expect(zStepFromImageJ(blank)).toBeUndefined();
    expect(zStepFromImageJ(path.join(dir, 'slice.png'))).toBeUndefined();
  });
});

describe('height map TIFF', () => {
  it('stores 32-bit floats that sharp reads back exactly, fractions and signs included', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'height.tif');
    const width = 37;
    const height = 2000; // more than one strip
    const values = Float32Array.from({ length: width * height }, (_, i) => (i % 2 ? -1 : 1) * i * 0.0137);
    await writeHeightMap(file, values, width, height, { value: 0.5, unit: 'um', source: 'option' });
    // extractChannel: sharp would otherwise hand a one-band image over as sRGB.
    const { data, info } = await sharp(file).extractChannel(0).raw({ depth: 'float' }).toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([width, height, 1]);
    const back = new Float32Array(data.buffer, data.byteOffset, data.length / 4);
    expect(Array.from(back)).toEqual(Array.from(values));
    const tags = readTiffFileTags(file);
    expect(tags.get(TAG.SampleFormat)).toEqual([3]);
    expect(tags.get(TAG.BitsPerSample)).toEqual([32]);
    expect(tags.get(TAG.ImageDescription)).toMatch(/µm/);
  });

  it('refuses a height map file name that is not a TIFF', async () => {
    await expect(writeHeightMap('/tmp/h.png', new Float32Array(1), 1, 1, { value: 1, unit: 'um', source: 'option' })).rejects.toThrow(/h\.png/);
  });

  it('scales depth in slices by the z-step', () => {
    expect(Array.from(heightFromDepth(Float32Array.from([0, 1.5, 4]), { value: 0.25, unit: 'mm', source: 'option' }))).toEqual([0, 0.375, 1]);
  });
});

describe('sub-slice depth', () => {
  it('lands within a quarter slice of the true depth on a smooth synthetic slope', async () => {
    const width = 160;
    const height = 96;
    const sliceCount = 9;
    const stack = await createSyntheticStack({ width, height, sliceCount, seed: 5 });
    const layout = stack.layout;
    // Each pixel's focus profile, measured the way the engine measures it (sigma 2).
    const profiles = Array.from({ length: sliceCount }, () => new Float32Array(width * height));
    for (let k = 0; k < sliceCount; k++) {
      computeFocusBands(stack.renderSlice(k), layout, 2, (y0, _y1, variance) => profiles[k].set(variance, y0 * width));
    }
    // The peak summaries the merge stage keeps (merge-profile.ts), filled from the full profiles.
    const shared = (bytes: number) => new SharedArrayBuffer(width * height * bytes);
    const indexMap = new Uint16Array(shared(2));
    const best = new Float32Array(shared(4));
    const buffers = { argmax: { winner: indexMap, maxVariance: best }, below: shared(4), above: shared(4) };
    const previous = new Float32Array(buffers.below).fill(NaN);
    const next = new Float32Array(buffers.above).fill(NaN);
    for (let p = 0; p < indexMap.length; p++) {
      let k = 0;
      for (let j = 1; j < sliceCount; j++) if (profiles[j][p] > profiles[k][p]) k = j;
      indexMap[p] = k;
      best[p] = profiles[k][p];
      if (k > 0) previous[p] = profiles[k - 1][p];
      if (k < sliceCount - 1) next[p] = profiles[k + 1][p];
    }
    const refined = subsliceDepth(buffers as unknown as ProfileBuffers, indexMap);
    const whole = Float32Array.from(indexMap);

    // The smooth part: the ramp, away from the raised block, the disc, the frame's edges, and the
    // first and last slices (a peak there has one neighbour only).
    const smooth = (x: number, y: number) => {
      const margin = 12;
      if (x < margin || y < margin || x >= width - margin || y >= height - margin) return false;
      if (x > width * 0.1 - margin && x < width * 0.35 + margin && y > height * 0.15 - margin && y < height * 0.45 + margin) return false;
      const r = Math.min(width, height) * 0.2 + margin;
      if ((x - width * 0.7) ** 2 + (y - height * 0.55) ** 2 < r * r) return false;
      const d = stack.depth[y * width + x];
      return d >= 1 && d <= sliceCount - 2;
    };
    let refinedError = 0;
    let wholeError = 0;
    let n = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (!smooth(x, y)) continue;
        const p = y * width + x;
        refinedError += Math.abs(refined[p] - stack.depth[p]);
        wholeError += Math.abs(whole[p] - stack.depth[p]);
        n++;
      }
    }
    refinedError /= n;
    wholeError /= n;
    console.log(`sub-slice depth: mean |error| ${refinedError.toFixed(3)} slice (whole slices: ${wholeError.toFixed(3)}) over ${n} pixels`);
    expect(n).toBeGreaterThan(2000);
    expect(refinedError).toBeLessThan(0.25);
    expect(refinedError).toBeLessThan(wholeError);
  });
});
