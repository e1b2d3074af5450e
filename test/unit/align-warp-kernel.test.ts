// The WebAssembly SIMD warp (assembly/warp.ts) against the float64 JavaScript warp in
// align-warp.ts as the reference: random images and transforms, 8 and 16 bits, 1 to 4 channels,
// frames reaching beyond the slice (edges repeated), gains and offsets that clamp.
import { describe, expect, it } from 'vitest';
import { warpSlice } from '../../src/main/engine/align/warp';
import type { Affine } from '../../src/main/engine/align/geometry';
import { wasmWarpAvailable, warpWithKernel } from '../../src/main/engine/align/warp-kernel';
import type { PixelData } from '../../src/main/engine/input/decode';
import type { PixelLayout } from '../../src/shared/types';
import { bytesOf } from '../helpers/fixtures';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Smooth structure plus noise plus hard edges, so both overshoot and clamping are exercised. */
function image(layout: PixelLayout, rand: () => number): PixelData {
  const max = layout.bitDepth === 16 ? 65535 : 255;
  const out = layout.bitDepth === 16 ? new Uint16Array(layout.width * layout.height * layout.channels) : new Uint8Array(layout.width * layout.height * layout.channels);
  for (let y = 0; y < layout.height; y++) {
    for (let x = 0; x < layout.width; x++) {
      for (let c = 0; c < layout.channels; c++) {
        const smooth = 0.5 + 0.3 * Math.sin(x * 0.21 + c) * Math.cos(y * 0.17 - c);
        const edge = (x >> 3) % 3 === 0 && (y >> 2) % 2 === 0 ? 0.45 : 0;
        const v = smooth + edge + 0.25 * (rand() - 0.5);
        out[(y * layout.width + x) * layout.channels + c] = Math.max(0, Math.min(max, Math.round(v * max)));
      }
    }
  }
  return out;
}

function randomMatrix(rand: () => number, width: number, height: number): Affine {
  const angle = ((rand() - 0.5) * 6 * Math.PI) / 180;
  const scale = 0.9 + 0.2 * rand();
  const shear = (rand() - 0.5) * 0.04;
  const a = scale * Math.cos(angle);
  const b = -scale * Math.sin(angle) + shear;
  const d = scale * Math.sin(angle);
  const e = scale * Math.cos(angle) * (1 + shear);
  // Shifts up to a tenth of the frame either way, so some output pixels fall outside the slice.
  return [a, b, (rand() - 0.5) * 0.2 * width, d, e, (rand() - 0.5) * 0.2 * height];
}

const kernelMissing = !wasmWarpAvailable();
if (kernelMissing) console.log('WebAssembly warp kernel tests skipped: this runtime has no WebAssembly SIMD (the JS warp is used instead)');

describe.skipIf(kernelMissing)('the WebAssembly warp kernel', () => {
  it('matches the JavaScript reference within one level on random images and transforms', () => {
    const rand = random(20261125);
    let cases = 0;
    let differing = 0;
    let samples = 0;
    for (const bitDepth of [8, 16] as const) {
      for (let channels = 1; channels <= 4; channels++) {
        for (let trial = 0; trial < 6; trial++) {
          const sw = 17 + Math.floor(rand() * 90);
          const sh = 9 + Math.floor(rand() * 70);
          const layout: PixelLayout = { width: sw, height: sh, channels: channels as PixelLayout['channels'], bitDepth };
          const pixels = image(layout, rand);
          const width = Math.max(1, Math.round(sw * (0.8 + 0.3 * rand())));
          const height = Math.max(1, Math.round(sh * (0.8 + 0.3 * rand())));
          const colour = channels === 2 || channels === 4 ? channels - 1 : channels;
          const gains = Array.from({ length: colour }, () => 0.8 + 0.45 * rand());
          const offsets = Array.from({ length: colour }, () => (rand() - 0.5) * 0.05 * (bitDepth === 16 ? 65535 : 255));
          const warp = { matrix: randomMatrix(rand, sw, sh), gains, offsets };
          const reference = warpSlice(pixels, layout, width, height, warp, 'js');
          // Small blocks, so bands, block edges and the copy-out are exercised too.
          const blockRows = 1 + Math.floor(rand() * 12);
          const fast = warpWithKernel(pixels, sw, sh, channels, bitDepth === 16, width, height, warp.matrix, [...gains, 1, 1, 1, 1].slice(0, channels), [...offsets, 0, 0, 0, 0].slice(0, channels), blockRows);
          expect(fast).toBeDefined();
          expect(fast!.length).toBe(reference.length);
          // Written over the source (a copy of it: the source is spent), the result is the same.
          const spent = pixels.slice();
          const over = warpWithKernel(spent, sw, sh, channels, bitDepth === 16, width, height, warp.matrix, [...gains, 1, 1, 1, 1].slice(0, channels), [...offsets, 0, 0, 0, 0].slice(0, channels), blockRows, true);
          expect(over!.buffer === spent.buffer).toBe(width <= sw && height <= sh);
          if (!bytesOf(over!).equals(bytesOf(fast!))) expect.fail(`${bitDepth}-bit, ${channels} channels, trial ${trial}: written over the source, the result differs`);
          for (let i = 0; i < reference.length; i++) {
            const diff = Math.abs(fast![i] - reference[i]);
            if (diff > 1) expect.fail(`${bitDepth}-bit, ${channels} channels, trial ${trial}: sample ${i} is ${fast![i]}, reference ${reference[i]}`);
            if (diff) differing++;
          }
          samples += reference.length;
          cases++;
        }
      }
    }
    console.log(`warp kernel vs JS reference: ${cases} cases, ${samples} samples, ${differing} off by one level, none further`);
    expect(differing / samples).toBeLessThan(0.01);
  });

  it('is what warpSlice uses, and equals the reference on the fixed warp cases', () => {
    const layout: PixelLayout = { width: 64, height: 48, channels: 3, bitDepth: 8 };
    const pixels = image(layout, random(7));
    const warp = { matrix: [1.01, 0.012, 2.3, -0.012, 1.01, -1.7] as Affine, gains: [1.1, 0.95, 1.02], offsets: [-2, 1.5, 0] };
    const auto = warpSlice(pixels, layout, 60, 44, warp);
    const fast = warpWithKernel(pixels, 64, 48, 3, false, 60, 44, warp.matrix, warp.gains, warp.offsets);
    expect([...auto]).toEqual([...fast!]);
    const reference = warpSlice(pixels, layout, 60, 44, warp, 'js');
    for (let i = 0; i < reference.length; i++) expect(Math.abs(auto[i] - reference[i])).toBeLessThanOrEqual(1);
  });

  it('matches the reference through warpSlice on slices taller than a block, 8 and 16 bits', () => {
    for (const bitDepth of [8, 16] as const) {
      const layout: PixelLayout = { width: 500, height: 460, channels: 3, bitDepth };
      const pixels = image(layout, random(bitDepth));
      const t = (1 * Math.PI) / 180;
      const warp = { matrix: [1.03 * Math.cos(t), -1.03 * Math.sin(t), -6.5, 1.03 * Math.sin(t), 1.03 * Math.cos(t), 9.25] as Affine, gains: [0.9, 1.1, 1.05], offsets: [3, -2, 0] };
      const fast = warpSlice(pixels, layout, 480, 450, warp);
      const reference = warpSlice(pixels, layout, 480, 450, warp, 'js');
      let differing = 0;
      for (let i = 0; i < reference.length; i++) {
        const diff = Math.abs(fast[i] - reference[i]);
        if (diff > 1) expect.fail(`${bitDepth}-bit: sample ${i} is ${fast[i]}, reference ${reference[i]}`);
        if (diff) differing++;
      }
      expect(differing / reference.length).toBeLessThan(0.01);
    }
  });

  it('repeats the edge far outside the slice and keeps a flat 16-bit field exact', () => {
    const flat = new Uint16Array(30 * 20 * 2).fill(40000);
    const out = warpWithKernel(flat, 30, 20, 2, true, 50, 40, [0.93, 0.05, -20.5, -0.05, 0.93, -15.25], [1, 1], [0, 0])!;
    expect(out.every((v) => v === 40000)).toBe(true);
  });
});

describe('warpWithKernel', () => {
  it('leaves transforms that reach beyond i32 coordinates to the JavaScript warp', () => {
    const pixels = new Uint8Array(8 * 8).fill(9);
    expect(warpWithKernel(pixels, 8, 8, 1, false, 8, 8, [1, 0, 3e9, 0, 1, 0], [1], [0])).toBeUndefined();
    expect(warpWithKernel(pixels, 8, 8, 1, false, 8, 8, [1, 0, Number.NaN, 0, 1, 0], [1], [0])).toBeUndefined();
    const out = warpSlice(pixels, { width: 8, height: 8, channels: 1, bitDepth: 8 }, 8, 8, { matrix: [1, 0, 3e9, 0, 1, 0.5] });
    expect(out.every((v) => v === 9)).toBe(true);
  });
});

describe('integer shifts with brightness correction', () => {
  it('equal the per-pixel definition, for shifts inside, across and beyond the slice edges', () => {
    const rand = random(99);
    for (const bitDepth of [8, 16] as const) {
      for (let channels = 1; channels <= 4; channels++) {
        const layout: PixelLayout = { width: 23, height: 17, channels: channels as PixelLayout['channels'], bitDepth };
        const pixels = image(layout, rand);
        const max = bitDepth === 16 ? 65535 : 255;
        const colour = channels === 2 || channels === 4 ? channels - 1 : channels;
        const gains = Array.from({ length: colour }, () => 0.8 + 0.45 * rand());
        const offsets = Array.from({ length: colour }, () => (rand() - 0.5) * 0.05 * max);
        for (const [dx, dy, width, height] of [[0, 0, 23, 17], [3, 2, 15, 11], [-4, 3, 23, 17], [5, -2, 23, 17], [-30, 0, 10, 5], [30, 40, 6, 4], [-2, -1, 30, 20]]) {
          const out = warpSlice(pixels, layout, width, height, { matrix: [1, 0, dx, 0, 1, dy], gains, offsets });
          for (let y = 0; y < height; y++) {
            for (let x = 0; x < width; x++) {
              const s = (Math.min(16, Math.max(0, y + dy)) * 23 + Math.min(22, Math.max(0, x + dx))) * channels;
              for (let c = 0; c < channels; c++) {
                const v = c < colour ? Math.min(max, Math.max(0, Math.round(gains[c] * pixels[s + c] + offsets[c]))) : pixels[s + c];
                if (out[(y * width + x) * channels + c] !== v) expect.fail(`${bitDepth}-bit ${channels} ch shift ${dx},${dy}: (${x},${y},${c}) is ${out[(y * width + x) * channels + c]}, expected ${v}`);
              }
            }
          }
        }
      }
    }
  });
});
