// Camera RAW input: DNG slices written in code (test/helpers/dng.ts) developed by LibRaw in
// WebAssembly, stacked through the command line like any other slices.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, describe, expect, test } from 'vitest';
import { developRaw } from '../../src/main/engine/input/raw';
import { encodeDng } from '../helpers/dng';
import { random, readRaw, runDeepfield, tempDir } from '../helpers/fixtures';

const WIDTH = 96;
const HEIGHT = 64;
const SLICES = 4;

/**
 * Slice k is sharp (2x2-pixel random blocks, which survive demosaicing) in vertical strip k and a
 * smooth grey ramp elsewhere, as linear scene RGB; the ramp gives the 16-bit output many levels.
 */
function rawSlice(k: number, seed: number): Float64Array {
  const rnd = random(seed);
  const rgb = new Float64Array(WIDTH * HEIGHT * 3);
  const x0 = (k * WIDTH) / SLICES;
  const x1 = ((k + 1) * WIDTH) / SLICES;
  const blocks = Array.from({ length: (WIDTH / 2) * (HEIGHT / 2) }, () => 0.1 + 0.8 * rnd());
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const ramp = 0.2 + (0.3 * (x + y * WIDTH)) / (WIDTH * HEIGHT);
      const v = x >= x0 && x < x1 ? blocks[(y >> 1) * (WIDTH / 2) + (x >> 1)] : ramp;
      rgb.fill(v, (y * WIDTH + x) * 3, (y * WIDTH + x) * 3 + 3);
    }
  }
  return rgb;
}

async function writeRawStack(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (let k = 0; k < SLICES; k++) {
    const file = path.join(dir, `slice-${k + 1}.dng`);
    await fs.writeFile(file, encodeDng({ width: WIDTH, height: HEIGHT, rgb: rawSlice(k, 10 + k) }, { artist: 'Ada Lovelace', make: 'Deepfield', model: 'Bench DNG' }));
    files.push(file);
  }
  return files;
}

const exiftool = new ExifTool({ maxProcs: 1 });
afterAll(() => exiftool.end());

describe('camera RAW slices', () => {
  test('a DNG stack stacks end to end through the command line, each strip from its sharp slice, EXIF carried over', async () => {
    const dir = tempDir();
    await writeRawStack(dir);
    const out = path.join(dir, 'out', 'composite.tif');
    const index = path.join(dir, 'out', 'index.png');
    await fs.mkdir(path.dirname(out));
    const run = await runDeepfield(['stack', dir, '-o', out, '--index-map', index, '--align', 'off', '--json']);
    expect(run.stderr).not.toMatch(/error/);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect([summary.slices, summary.width, summary.height, summary.channels, summary.bitDepth]).toEqual([SLICES, WIDTH, HEIGHT, 3, 16]);
    expect(summary.options.rawColour).toBe('srgb');
    const map = await readRaw(index);
    for (let k = 0; k < SLICES; k++) {
      // Well inside strip k, away from its edges (the focus measure's window reaches 8 px).
      const x = Math.round(((k + 0.5) * WIDTH) / SLICES);
      expect(map.data[(HEIGHT / 2) * WIDTH + x]).toBe(k);
    }
    const tags = await exiftool.read(out);
    expect([tags.Artist, tags.Make, tags.Model]).toEqual(['Ada Lovelace', 'Deepfield', 'Bench DNG']);
  });

  test('16-bit output keeps more than 8 bits of the RAW data', async () => {
    const dir = tempDir();
    await writeRawStack(dir);
    const out = path.join(dir, 'composite.png');
    expect((await runDeepfield(['stack', dir, '-o', out, '--align', 'off'])).code).toBe(0);
    const image = await readRaw(out);
    expect(image.depth).toBe('ushort');
    const green = Array.from({ length: WIDTH * HEIGHT }, (_, i) => image.data[i * 3 + 1]);
    // An 8-bit path scaled to 16 bits gives at most 256 levels, each a multiple of 257.
    expect(new Set(green).size).toBeGreaterThan(256);
    expect(green.filter((v) => v % 257 !== 0).length).toBeGreaterThan(green.length / 2);
  });

  test('white balance as shot: a grey recorded under a warm light develops grey', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'grey.dng');
    const grey = new Float64Array(WIDTH * HEIGHT * 3).fill(0.4);
    await fs.writeFile(file, encodeDng({ width: WIDTH, height: HEIGHT, rgb: grey }, { asShotNeutral: [0.45, 1, 0.7] }));
    const { rgb } = await developRaw(file, 'linear');
    const mean = [0, 1, 2].map((c) => rgb.filter((_, i) => i % 3 === c).reduce((a, v) => a + v, 0) / (WIDTH * HEIGHT));
    expect(mean[0] / mean[1]).toBeCloseTo(1, 1);
    expect(mean[2] / mean[1]).toBeCloseTo(1, 1);
  });

  test('--raw-colour linear develops values proportional to light; srgb applies the sRGB curve to them', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'ramp.dng');
    await fs.writeFile(file, encodeDng({ width: WIDTH, height: HEIGHT, rgb: rawSlice(-1, 1) }));
    const linear = await developRaw(file, 'linear');
    const srgb = await developRaw(file, 'srgb');
    const encode = (v: number) => (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055);
    let worst = 0;
    for (let i = 1; i < linear.rgb.length; i += 3 * 37) worst = Math.max(worst, Math.abs(encode(linear.rgb[i] / 65535) - srgb.rgb[i] / 65535));
    expect(worst).toBeLessThan(0.01);
    // The ramp doubles from its start to its end (0.2 to 0.5 of the range): linear keeps the ratio.
    const at = (i: number) => linear.rgb[i * 3 + 1];
    expect(at(WIDTH * HEIGHT - WIDTH / 2) / at(WIDTH / 2)).toBeCloseTo(2.5, 0);
  });

  test('a damaged RAW file stops the job with one line naming it', async () => {
    const dir = tempDir();
    const [first] = await writeRawStack(dir);
    await fs.writeFile(path.join(dir, 'slice-3.dng'), (await fs.readFile(first)).subarray(0, 300));
    const run = await runDeepfield(['stack', dir, '-o', path.join(dir, 'out.png'), '--align', 'off']);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n').filter((l) => !/^\s*(probe|focus|\[)/.test(l));
    expect(lines.at(-1)).toMatch(/^deepfield: error: slice-3\.dng (is not a camera RAW file LibRaw can read|could not be developed)/);
  });

  test('a file that is not RAW at all, named .cr2, gets the same one line', async () => {
    const dir = tempDir();
    await writeRawStack(dir);
    await fs.writeFile(path.join(dir, 'slice-5.cr2'), 'not a camera RAW file');
    const run = await runDeepfield(['stack', dir, '-o', path.join(dir, 'out.png'), '--align', 'off']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/deepfield: error: slice-5\.cr2 is not a camera RAW file LibRaw can read/);
  });
});
