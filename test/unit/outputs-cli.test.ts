// `deepfield stack` outputs end to end (node bin/deepfield.js after a build): orientation-tagged
// JPEG slices, a 16-bit TIFF stack with a 10-bit signal at --depth 8, depth and height maps,
// visualisations, and the sidecar with --replay refusing changed inputs.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import exifr from 'exifr';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { random, readRaw, runDeepfield as runCli, tempDir } from '../helpers/fixtures';
import { sha256File } from '../../src/main/engine/output/sidecar';
import { writeSyntheticStack } from '../../src/main/demo/synthetic-stack';

/** A landscape scene stored rotated (portrait pixels) with EXIF orientation 6, as cameras do. */
async function orientedJpegStack(dir: string, width: number, height: number): Promise<void> {
  const rnd = random(11);
  const scene = new Uint8Array(width * height * 3).map(() => Math.floor(rnd() * 256));
  // Mark the top-left corner red so "upright" can be checked after decoding.
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) scene.set([255, 0, 0], (y * width + x) * 3);
  for (let k = 0; k < 3; k++) {
    const slice = sharp(scene, { raw: { width, height, channels: 3 } }).blur(k === 1 ? 0.3 : 3);
    // Orientation 6 means "rotate 90° clockwise to view": store the scene turned 90° anticlockwise.
    const stored = await slice.rotate(-90).jpeg({ quality: 95 }).toBuffer();
    await sharp(stored).withExif({ IFD0: { Make: 'Acme', Model: 'Portrait 1' } }).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toFile(path.join(dir, `p${k + 1}.jpg`));
  }
}

describe('deepfield stack outputs', () => {
  it('stacks orientation-tagged JPEG slices upright and writes orientation 1 with the EXIF kept', async () => {
    const dir = tempDir();
    const slices = path.join(dir, 'slices');
    await fs.mkdir(slices);
    await orientedJpegStack(slices, 64, 40);
    expect((await sharp(path.join(slices, 'p1.jpg')).metadata()).orientation).toBe(6);
    for (const ext of ['jpg', 'tif', 'png']) {
      const out = path.join(dir, `upright.${ext}`);
      const run = await runCli(['stack', slices, '-o', out]);
      expect(run.stderr, run.stderr).toMatch(/wrote/);
      expect(run.code).toBe(0);
      const meta = await sharp(out).metadata();
      expect([meta.width, meta.height], ext).toEqual([64, 40]);
      expect(meta.orientation ?? 1).toBe(1);
      if (ext !== 'png') expect((await exifr.parse(out, { ifd0: {}, tiff: true }))?.Make, ext).toBe('Acme');
      // Upright: the red marker is at the top left, with no rotation applied by the reader.
      const { data } = await sharp(out).extract({ left: 0, top: 0, width: 4, height: 4 }).raw().toBuffer({ resolveWithObject: true });
      expect(data[0]).toBeGreaterThan(200);
      expect(data[1]).toBeLessThan(60);
    }
  });

  it('exports a 16-bit TIFF stack with a 10-bit signal at --depth 8 without turning it black', async () => {
    const dir = tempDir();
    const slices = path.join(dir, 'slices');
    await fs.mkdir(slices);
    const width = 48;
    const height = 32;
    const rnd = random(3);
    for (let k = 0; k < 3; k++) {
      const grey = Uint16Array.from({ length: width * height }, () => 64 + Math.floor(rnd() * 577)); // 64..640
      await sharp(grey, { raw: { width, height, channels: 1 } }).toColourspace('grey16').tiff({ compression: 'lzw' }).toFile(path.join(slices, `z${k}.tif`));
    }
    const out = path.join(dir, 'eight.png');
    const run = await runCli(['stack', slices, '-o', out, '--depth', '8']);
    expect(run.code, run.stderr).toBe(0);
    const back = await readRaw(out);
    expect(back.depth).toBe('uchar');
    expect((await sharp(out).metadata()).channels).toBe(1);
    let max = 0;
    let sum = 0;
    for (const v of back.data) {
      max = Math.max(max, v);
      sum += v;
    }
    expect(max).toBe(255);
    expect(sum / back.data.length).toBeGreaterThan(60);
    // 16 bits stays 16 bits by default, and a 16-bit JPEG is refused before any work.
    const sixteen = path.join(dir, 'sixteen.tif');
    expect((await runCli(['stack', slices, '-o', sixteen])).code).toBe(0);
    expect((await readRaw(sixteen)).depth).toBe('ushort');
    const refused = await runCli(['stack', slices, '-o', path.join(dir, 'x.jpg'), '--depth', '16']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/JPEG/);
  });

  it('writes depth, height and focus pictures, and a height map within a quarter slice of the truth', async () => {
    const dir = tempDir();
    const slices = path.join(dir, 'slices');
    const spec = { width: 160, height: 96, sliceCount: 9, seed: 5 };
    await writeSyntheticStack(spec, slices, 'png');
    const out = path.join(dir, 'synthetic.png');
    const run = await runCli([
      'stack', slices, '-o', out, '--depth-map', path.join(dir, 'depth.png'), '--height-map', path.join(dir, 'height.tif'),
      '--z-step', '0.5um', '--subslice', '--heatmaps', path.join(dir, 'heat'), '--focus-map', path.join(dir, 'focus.png'),
      '--masked', path.join(dir, 'masked'), '--masked-slices', '3',
      // The known depth is on the full frame; alignment would crop it by its estimate's noise.
      '--align', 'off',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const depthMap = await sharp(path.join(dir, 'depth.png')).metadata();
    expect(depthMap.height).toBe(96);
    expect(depthMap.width).toBeGreaterThan(160); // the legend panel
    const heat = await fs.readdir(path.join(dir, 'heat'));
    expect(heat).toHaveLength(9);
    expect(await fs.readdir(path.join(dir, 'masked'))).toEqual(['003-slice-03.in-focus.png']);
    const masked = await readRaw(path.join(dir, 'masked', '003-slice-03.in-focus.png'));
    const white = masked.data.filter((v) => v === 255).length;
    expect(white).toBeGreaterThan(masked.data.length * 0.5); // slice 3 wins only part of the frame
    expect((await sharp(path.join(dir, 'focus.png')).metadata()).channels).toBe(1);

    const { data } = await sharp(path.join(dir, 'height.tif')).extractChannel(0).raw({ depth: 'float' }).toBuffer({ resolveWithObject: true });
    const heights = new Float32Array(data.buffer, data.byteOffset, data.length / 4);
    const { createSyntheticStack } = await import('../../src/main/demo/synthetic-stack');
    const truth = (await createSyntheticStack(spec)).depth;
    // On the smooth ramp's inner part (x from 20% to 90% of the width, bottom rows clear of the block and disc).
    let error = 0;
    let n = 0;
    for (let y = 82; y < 90; y++) {
      for (let x = 32; x < 112; x++) {
        const p = y * 160 + x;
        if (truth[p] < 1 || truth[p] > 7) continue;
        error += Math.abs(heights[p] / 0.5 - truth[p]);
        n++;
      }
    }
    expect(n).toBeGreaterThan(200);
    console.log(`height map through the command line: mean |error| ${(error / n).toFixed(3)} slice over ${n} pixels`);
    expect(error / n).toBeLessThan(0.25);
  });

  it('draws heatmaps and masks in the aligned frame when alignment crops the composite', async () => {
    const dir = tempDir();
    const slices = path.join(dir, 'slices');
    await writeSyntheticStack({ width: 160, height: 96, sliceCount: 5, seed: 9 }, slices, 'png');
    const out = path.join(dir, 'aligned.png');
    const run = await runCli(['stack', slices, '-o', out, '--heatmaps', path.join(dir, 'heat'), '--masked', path.join(dir, 'masked'), '--json']);
    expect(run.code, run.stderr).toBe(0);
    const composite = await sharp(out).metadata();
    const summary = JSON.parse(run.stdout);
    expect([composite.width, composite.height]).toEqual([summary.width, summary.height]);
    for (const folder of ['heat', 'masked']) {
      const files = await fs.readdir(path.join(dir, folder));
      expect(files).toHaveLength(5);
      for (const file of files) {
        const meta = await sharp(path.join(dir, folder, file)).metadata();
        expect([meta.width, meta.height]).toEqual([composite.width, composite.height]);
      }
    }
  });

  it('records every input hash in the sidecar; --replay reruns the job and refuses a changed input', async () => {
    const dir = tempDir();
    const slices = path.join(dir, 'slices');
    await writeSyntheticStack({ width: 40, height: 30, sliceCount: 3, seed: 2 }, slices, 'png');
    const out = path.join(dir, 'first.png');
    expect((await runCli(['stack', slices, '-o', out, '--index-map', path.join(dir, 'first.index.png'), '--sigma', '1.5'])).code).toBe(0);
    const sidecarFile = `${out}.deepfield.json`;
    const sidecar = JSON.parse(await fs.readFile(sidecarFile, 'utf8'));
    expect(sidecar.deepfield.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(sidecar.options.sigma).toBe(1.5);
    expect(sidecar.files).toHaveLength(3);
    for (const record of sidecar.files) {
      expect(record.sha256).toBe(await sha256File(record.file));
      expect(record.size).toBe((await fs.stat(record.file)).size);
    }
    expect(sidecar.slices[0]).toHaveProperty('meanVariance');
    expect(sidecar.timings.totalMs).toBeGreaterThan(0);

    // Replay elsewhere: the same pixels.
    const again = path.join(dir, 'replayed', 'again.png');
    await fs.mkdir(path.dirname(again));
    const replay = await runCli(['stack', '--replay', sidecarFile, '-o', again]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(Array.from((await readRaw(again)).data)).toEqual(Array.from((await readRaw(out)).data));
    expect(await fs.stat(path.join(dir, 'replayed', 'first.index.png'))).toBeTruthy();

    // One byte changed in one slice: refused, naming it, and nothing written.
    const changed = path.join(slices, 'slice-02.png');
    const bytes = await fs.readFile(changed);
    bytes[bytes.length - 1] ^= 1;
    await fs.writeFile(changed, bytes);
    const refused = await runCli(['stack', '--replay', sidecarFile, '-o', path.join(dir, 'third.png')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/slice-02\.png has changed/);
    await expect(fs.stat(path.join(dir, 'third.png'))).rejects.toThrow();
  });
});
