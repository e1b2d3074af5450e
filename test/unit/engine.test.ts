// The engine end to end in plain Node (worker threads, shared-memory merge), on stacks made in code.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Engine } from '../../src/main/engine/job/engine';
import { computeFocusMap } from '../../src/main/engine/focus/focus-measure';
import { CancelledError, DeepfieldError } from '../../src/main/engine/errors';
import { findSliceFiles, naturalCompare } from '../../src/main/engine/input/slices';
import type { StackProgress } from '../../src/shared/types';
import { builtWorkerFile, bytesOf, random, stripStack, tempDir, writeGrey16, writeRgb8 } from '../helpers/fixtures';

let engine: Engine;
beforeAll(() => {
  engine = new Engine({ workerFile: builtWorkerFile(), threads: 2 });
});
afterAll(async () => {
  await engine.close();
});

async function writeStrips(count: number, width: number, height: number): Promise<{ dir: string; slices: Uint8Array[] }> {
  const dir = tempDir();
  const slices = stripStack(count, width, height);
  for (let k = 0; k < count; k++) await writeRgb8(path.join(dir, `s${k + 1}.png`), slices[k], width, height);
  return { dir, slices };
}

describe('slice discovery', () => {
  test('natural order puts z2 before z10', () => {
    expect(['z10.tif', 'z2.tif', 'z1.tif'].sort(naturalCompare)).toEqual(['z1.tif', 'z2.tif', 'z10.tif']);
  });

  test('non-image files are skipped and reported, hidden files ignored', async () => {
    const dir = tempDir();
    await writeRgb8(path.join(dir, 'a.png'), new Uint8Array(12), 2, 2);
    await fs.writeFile(path.join(dir, 'notes.txt'), 'hello');
    await fs.writeFile(path.join(dir, '.DS_Store'), 'x');
    const found = await findSliceFiles([dir]);
    expect(found.files.map((f) => path.basename(f))).toEqual(['a.png']);
    expect(found.skipped.map((s) => path.basename(s.file))).toEqual(['notes.txt']);
  });

  test('an empty folder is an error naming the folder', async () => {
    const dir = tempDir();
    await expect(findSliceFiles([dir])).rejects.toThrow(new RegExp(`No images found in ${dir}`));
  });
});

describe('argmax composite', () => {
  test('each pixel comes from the slice whose variance is highest there', async () => {
    const width = 90;
    const height = 130;
    const count = 3;
    const { dir, slices } = await writeStrips(count, width, height);
    const result = await engine.stack({ inputs: [dir] });
    expect(result.slices.map((s) => s.name)).toEqual(['s1.png', 's2.png', 's3.png']);
    // Reference: argmax over float64-accurate maps, ties to the lowest index. The engine's kernel
    // may differ from float64 by up to 1e-5 of the map's maximum, so a pixel whose best two slices
    // are closer than that may go either way; every other pixel must match exactly.
    const layout = { width, height, channels: 3 as const, bitDepth: 8 as const };
    const maps = slices.map((s) => computeFocusMap(s, layout, 2));
    const tolerance = 1e-5 * Math.max(...maps.map((m) => m.reduce((a, b) => Math.max(a, b), 0)));
    let compared = 0;
    for (let p = 0; p < width * height; p++) {
      let best = 0;
      for (let k = 1; k < count; k++) if (maps[k][p] > maps[best][p]) best = k;
      const chosen = result.indexMap[p];
      if (chosen !== best) {
        expect(maps[best][p] - maps[chosen][p]).toBeLessThanOrEqual(tolerance);
      } else compared++;
      for (let c = 0; c < 3; c++) expect(result.composite[p * 3 + c]).toBe(slices[chosen][p * 3 + c]);
    }
    expect(compared).toBeGreaterThan(0.9 * width * height);
    // Inside each strip, away from its borders, the strip's own slice wins.
    expect(result.indexMap[60 * width + 15]).toBe(0);
    expect(result.indexMap[60 * width + 45]).toBe(1);
    expect(result.indexMap[60 * width + 75]).toBe(2);
    expect(result.stats.reduce((a, s) => a + s.pixelsWon, 0)).toBe(width * height);
    expect(result.stats[1].meanVariance).toBeGreaterThan(0);
  });

  test('ties go to the lowest slice index', async () => {
    const dir = tempDir();
    const rnd = random(3);
    const data = new Uint8Array(40 * 30 * 3).map(() => Math.floor(rnd() * 256));
    for (const name of ['a1.png', 'a2.png', 'a3.png']) await writeRgb8(path.join(dir, name), data, 40, 30);
    const result = await engine.stack({ inputs: [dir] });
    expect(result.indexMap.every((v) => v === 0)).toBe(true);
    expect(result.stats.map((s) => s.pixelsWon)).toEqual([1200, 0, 0]);
  });

  test('one slice: the composite is that slice', async () => {
    const dir = tempDir();
    const rnd = random(4);
    const data = new Uint8Array(17 * 9 * 3).map(() => Math.floor(rnd() * 256));
    await writeRgb8(path.join(dir, 'only.png'), data, 17, 9);
    const result = await engine.stack({ inputs: [dir] });
    expect(Array.from(result.composite)).toEqual(Array.from(data));
  });

  test('the result does not depend on the number of worker threads', async () => {
    const { dir } = await writeStrips(5, 64, 200);
    const single = new Engine({ workerFile: builtWorkerFile(), threads: 1 });
    try {
      const a = await single.stack({ inputs: [dir] });
      const b = await engine.stack({ inputs: [dir] });
      expect(bytesOf(a.indexMap).equals(bytesOf(b.indexMap))).toBe(true);
      expect(bytesOf(a.composite).equals(bytesOf(b.composite))).toBe(true);
    } finally {
      await single.close();
    }
  });

  test('16-bit slices give a 16-bit composite with their exact values', async () => {
    const dir = tempDir();
    const width = 50;
    const height = 40;
    const sharpSlice = new Uint16Array(width * height);
    const rnd = random(8);
    for (let i = 0; i < sharpSlice.length; i++) sharpSlice[i] = 64 + Math.floor(rnd() * 576); // ~10-bit signal
    const flat = new Uint16Array(width * height).fill(300);
    await writeGrey16(path.join(dir, 'z1.tif'), flat, width, height);
    await writeGrey16(path.join(dir, 'z2.tif'), sharpSlice, width, height);
    const result = await engine.stack({ inputs: [dir] });
    expect(result.layout).toMatchObject({ channels: 1, bitDepth: 16 });
    expect(result.composite).toBeInstanceOf(Uint16Array);
    expect(Array.from(result.composite)).toEqual(Array.from(sharpSlice));
  });

  test('a multi-page TIFF is one slice per page', async () => {
    const dir = tempDir();
    const width = 30;
    const height = 20;
    const pages = 3;
    const data = new Uint16Array(width * height * pages);
    const rnd = random(11);
    // Page 1 (0-based) is the textured one.
    for (let i = width * height; i < 2 * width * height; i++) data[i] = Math.floor(rnd() * 60000);
    for (let i = 0; i < data.length; i++) if (data[i] === 0) data[i] = 1000;
    await sharp(data, { raw: { width, height: height * pages, channels: 1, pageHeight: height } })
      .toColourspace('grey16')
      .tiff({ compression: 'deflate' })
      .toFile(path.join(dir, 'stack.tif'));
    const result = await engine.stack({ inputs: [dir] });
    expect(result.slices.map((s) => s.name)).toEqual(['stack.tif#1', 'stack.tif#2', 'stack.tif#3']);
    expect(result.stats[1].pixelsWon).toBe(width * height);
  });
});

describe('the result of a job', () => {
  test('a released result keeps its images and statistics but no longer answers from the focus profile', async () => {
    const { dir } = await writeStrips(3, 32, 24);
    const result = await engine.stack({ inputs: [dir], remergeable: true, keep: { confidence: true } });
    const indexMap = Uint16Array.from(result.indexMap);
    expect(result.confidence()).toHaveLength(32 * 24);
    const pyramid = await result.remerge('pyramid');
    result.release();
    expect(Array.from(result.indexMap)).toEqual(Array.from(indexMap));
    expect(result.stats.map((s) => s.pixelsWon).reduce((a, b) => a + b, 0)).toBe(32 * 24);
    expect(() => result.confidence()).toThrow(/no longer keeps its focus profile/);
    await expect(result.remerge('smooth')).rejects.toThrow(/no longer keeps its focus profile/);
    await expect(result.subsliceDepth()).rejects.toThrow(/no longer keeps its focus profile/);
    // A result re-merged before the release holds the profile on its own.
    expect((await pyramid.remerge('argmax')).indexMap).toEqual(indexMap);
  });
});

describe('progress and cancellation', () => {
  test('progress reports every slice once, with counts up to the total', async () => {
    const { dir } = await writeStrips(4, 40, 40);
    const events: StackProgress[] = [];
    await engine.stack({ inputs: [dir], options: { previewSize: 16 }, onProgress: (p) => events.push(p) });
    const focus = events.filter((e) => e.phase === 'focus');
    expect(focus.map((e) => e.done)).toEqual([1, 2, 3, 4]);
    expect(new Set(focus.map((e) => e.slice!.index))).toEqual(new Set([0, 1, 2, 3]));
    const preview = focus[0].slice!.preview!;
    expect(Math.max(preview.width, preview.height)).toBeLessThanOrEqual(16);
    expect(preview.values.length).toBe(preview.width * preview.height);
  });

  test('an aborted run rejects with CancelledError', async () => {
    const { dir } = await writeStrips(6, 300, 300);
    const controller = new AbortController();
    const run = engine.stack({
      inputs: [dir],
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'focus') controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    // The pool is still usable after a cancelled run.
    const again = await engine.stack({ inputs: [dir] });
    expect(again.slices.length).toBe(6);
  });
});

describe('bad input', () => {
  test('slices of different sizes: the error names both files and sizes', async () => {
    const dir = tempDir();
    await writeRgb8(path.join(dir, 'a.png'), new Uint8Array(4 * 3 * 3), 4, 3);
    await writeRgb8(path.join(dir, 'b.png'), new Uint8Array(5 * 3 * 3), 5, 3);
    await expect(engine.stack({ inputs: [dir] })).rejects.toThrow('Slices differ in size: a.png is 4x3 but b.png is 5x3');
  });

  test('a truncated image: the error names the file', async () => {
    const dir = tempDir();
    const rnd = random(2);
    const data = new Uint8Array(64 * 64 * 3).map(() => Math.floor(rnd() * 256));
    await sharp(data, { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toFile(path.join(dir, 'a.jpg'));
    const full = await sharp(data, { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toBuffer();
    await fs.writeFile(path.join(dir, 'b.jpg'), full.subarray(0, Math.floor(full.length / 2)));
    const error = await engine.stack({ inputs: [dir] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeepfieldError);
    expect((error as DeepfieldError).message).toMatch(/b\.jpg/);
    expect((error as DeepfieldError).file).toBe(path.join(dir, 'b.jpg'));
  });

  test('a file that is not an image despite its extension: the error names the file', async () => {
    const dir = tempDir();
    await writeRgb8(path.join(dir, 'a.png'), new Uint8Array(12), 2, 2);
    await fs.writeFile(path.join(dir, 'b.png'), 'this is not a PNG');
    await expect(engine.stack({ inputs: [dir] })).rejects.toThrow(/b\.png is not a readable image/);
  });

  test('an unreadable file: the error names the file', async () => {
    const dir = tempDir();
    await writeRgb8(path.join(dir, 'a.png'), new Uint8Array(12), 2, 2);
    await fs.symlink(path.join(dir, 'missing.png'), path.join(dir, 'b.png'));
    await expect(engine.stack({ inputs: [dir] })).rejects.toThrow(/Cannot read b\.png/);
    if (process.getuid?.() !== 0) {
      await fs.rm(path.join(dir, 'b.png'));
      await writeRgb8(path.join(dir, 'b.png'), new Uint8Array(12), 2, 2);
      await fs.chmod(path.join(dir, 'b.png'), 0o000);
      await expect(engine.stack({ inputs: [dir] })).rejects.toThrow(/Cannot read b\.png: permission denied/);
    } else {
      console.log('permission-denied case not run: root reads any file; a dangling link stands in for it');
    }
  });

  test('sigma must be a positive number with a window wider than one pixel', async () => {
    const { dir } = await writeStrips(2, 10, 10);
    await expect(engine.stack({ inputs: [dir], options: { sigma: 0 } })).rejects.toThrow(/Expected a number of pixels from 0.125 to 64/);
    await expect(engine.stack({ inputs: [dir], options: { sigma: 0.1 } })).rejects.toThrow(/the Gaussian window is one pixel/);
    await expect(engine.stack({ inputs: [dir], options: { sigma: Number.NaN } })).rejects.toThrow(/sigma/);
  });
});
