// The `deepfield` command line, run as a user runs it (node bin/deepfield.js), on the real stacks
// in ../shared/data and on bad input made in code.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { cliPath, hasSharedStack, random, readRaw, sharedData, tempDir, writeRgb8 } from '../helpers/fixtures';

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], onStderr?: (chunk: string, child: ReturnType<typeof spawn>) => void): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(String(d), child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function textured(dir: string, name: string, width: number, height: number, seed: number): Promise<void> {
  const rnd = random(seed);
  await writeRgb8(path.join(dir, name), new Uint8Array(width * height * 3).map(() => Math.floor(rnd() * 256)), width, height);
}

const pcb = path.join(sharedData, 'pcb');
const microtubules = path.join(sharedData, 'microtubules');

describe('deepfield stack on the real stacks', () => {
  test.runIf(hasSharedStack('pcb'))('pcb: an 8-bit RGB composite, a 16-bit index map and a JSON summary', async () => {
    const out = tempDir();
    const composite = path.join(out, 'pcb.png');
    const indexMap = path.join(out, 'pcb-index.png');
    const run = await runCli(['stack', pcb, '-o', composite, '--index-map', indexMap, '--json', '--align', 'off']);
    expect(run.stderr).toMatch(/slice 7\/7/);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.slices).toBe(7);
    expect(summary.stats).toHaveLength(7);
    expect(summary.stats.map((s: { name: string }) => s.name)).toEqual(
      ['pcb_001.jpg', 'pcb_002.jpg', 'pcb_003.jpg', 'pcb_004.jpg', 'pcb_005.jpg', 'pcb_006.jpg', 'pcb_007.jpg'],
    );
    expect(summary.stats.reduce((a: number, s: { pixelsWon: number }) => a + s.pixelsWon, 0)).toBe(2048 * 1536);
    expect(summary.timings.totalMs).toBeGreaterThan(0);
    const image = await readRaw(composite);
    expect([image.width, image.height, image.channels, image.depth]).toEqual([2048, 1536, 3, 'uchar']);
    const index = await readRaw(indexMap);
    expect([index.width, index.height, index.channels, index.depth]).toEqual([2048, 1536, 1, 'ushort']);
    const won = new Array(7).fill(0);
    for (const v of index.data) won[v]++;
    expect(won).toEqual(summary.stats.map((s: { pixelsWon: number }) => s.pixelsWon));
    // Every composite pixel is the pixel of the slice the index map names.
    const files = summary.stats.map((s: { file: string }) => s.file);
    const slices = await Promise.all(files.map((f: string) => readRaw(f)));
    for (let p = 0; p < 2048 * 1536; p += 997) {
      const k = index.data[p];
      for (let c = 0; c < 3; c++) expect(image.data[p * 3 + c]).toBe(slices[k].data[p * 3 + c]);
    }
  });

  test.runIf(hasSharedStack('microtubules'))('microtubules: the 16-bit low-signal stack stays 16-bit and is not black', async () => {
    const out = tempDir();
    const composite = path.join(out, 'mt.tif');
    const indexMap = path.join(out, 'mt-index.png');
    const run = await runCli(['stack', microtubules, '-o', composite, '--index-map', indexMap, '--align', 'off']);
    expect(run.code, run.stderr).toBe(0);
    const image = await readRaw(composite);
    expect([image.width, image.height, image.channels, image.depth]).toEqual([512, 800, 1, 'ushort']);
    let max = 0;
    for (const v of image.data) if (v > max) max = v;
    expect(max).toBeGreaterThan(255); // a high-byte-only 8-bit path would have turned this black
    const index = await readRaw(indexMap);
    const files = (await fs.readdir(microtubules)).filter((f) => f.endsWith('.tif')).sort();
    const slices = await Promise.all(files.map((f) => readRaw(path.join(microtubules, f))));
    for (let p = 0; p < 512 * 800; p += 211) expect(image.data[p]).toBe(slices[index.data[p]].data[p]);
  });
});

describe('deepfield command line behaviour', () => {
  test('--help documents every option with its default', async () => {
    const run = await runCli(['stack', '--help']);
    expect(run.code).toBe(0);
    for (const option of ['--output', '--index-map', '--sigma', '--json', '--overwrite', '--quality', '--threads']) {
      expect(run.stdout).toContain(option);
    }
    expect(run.stdout).toMatch(/--sigma <px>[\s\S]*default: 2/);
    expect(run.stdout).toMatch(/--quality <q>[\s\S]*default: 92/);
    const top = await runCli(['--help']);
    expect(top.stdout).toMatch(/stack/);
  });

  test('without a terminal, progress is plain lines on stderr and stdout stays empty', async () => {
    const dir = tempDir();
    for (let k = 0; k < 3; k++) await textured(dir, `z${k}.png`, 30, 20, k + 1);
    const run = await runCli(['stack', dir, '-o', path.join(dir, 'out.png')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n').filter((l) => /^slice \d\/3 /.test(l))).toHaveLength(3);
  });

  test('8- and 16-bit slices together are read as 16-bit, and the run says so', async () => {
    const dir = tempDir();
    const width = 24;
    const height = 16;
    const rnd = random(5);
    // The first slice is 8-bit: the stack's depth used to be the first slice's, dropping the 16-bit ones to 8.
    await writeRgb8(path.join(dir, 'z0.png'), new Uint8Array(width * height * 3).map(() => Math.floor(rnd() * 256)), width, height);
    const deep = Uint16Array.from({ length: width * height * 3 }, () => Math.floor(rnd() * 65536));
    await sharp(deep, { raw: { width, height, channels: 3 } }).toColourspace('rgb16').png().toFile(path.join(dir, 'z1.png'));
    const out = path.join(tempDir(), 'mixed.png');
    const run = await runCli(['stack', dir, '-o', out, '--align', 'off']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/note: slices mix bit depths \(1 8-bit like z0\.png, 1 16-bit like z1\.png\): all are read as 16-bit/);
    const composite = await readRaw(out);
    expect(composite.depth).toBe('ushort');
    // Wherever the 16-bit slice wins, its samples come through unrounded.
    expect(Array.from(composite.data).filter((v, i) => v === deep[i]).length).toBeGreaterThan(0);
  });

  test('Ctrl-C cancels the run, exits 130 and writes nothing', async () => {
    const dir = tempDir();
    for (let k = 0; k < 12; k++) await textured(dir, `z${String(k).padStart(2, '0')}.png`, 700, 700, k + 1);
    const out = path.join(dir, 'out', 'composite.png');
    await fs.mkdir(path.dirname(out));
    let sent = false;
    const run = await runCli(['stack', dir, '-o', out, '--index-map', path.join(dir, 'out', 'i.png')], (chunk, child) => {
      if (!sent && /slice 1\//.test(chunk)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/cancelled, nothing written/);
    expect(await fs.readdir(path.dirname(out))).toEqual([]);
  });
});

describe('deepfield stack refuses bad input with one clear line and writes nothing', () => {
  async function expectFailure(args: string[], message: RegExp): Promise<RunResult> {
    const run = await runCli(args);
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(message);
    return run;
  }

  test('an empty folder', async () => {
    const dir = tempDir();
    await expectFailure(['stack', dir, '-o', path.join(tempDir(), 'o.png')], /No images found in/);
  });

  test('one slice: the composite is that slice', async () => {
    const dir = tempDir();
    await textured(dir, 'only.png', 23, 11, 5);
    const out = path.join(tempDir(), 'o.png');
    const run = await runCli(['stack', dir, '-o', out]);
    expect(run.code, `exit ${run.code}, signal ${run.signal}, stderr:\n${run.stderr}`).toBe(0);
    expect(run.stderr).toMatch(/note: only one slice \(only\.png\): the composite is that slice/);
    const [a, b] = await Promise.all([readRaw(out), readRaw(path.join(dir, 'only.png'))]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  test('slices of different sizes name both files and sizes', async () => {
    const dir = tempDir();
    await textured(dir, 'a.png', 10, 10, 1);
    await textured(dir, 'b.png', 12, 10, 2);
    await expectFailure(['stack', dir, '-o', path.join(tempDir(), 'o.png')], /a\.png is 10x10 but b\.png is 12x10/);
  });

  test('a corrupt image names the file, and no output or partial file is left', async () => {
    const dir = tempDir();
    await textured(dir, 'a.png', 64, 64, 1);
    const good = await sharp(path.join(dir, 'a.png')).png().toBuffer();
    await fs.writeFile(path.join(dir, 'b.png'), good.subarray(0, good.length - 200));
    const out = tempDir();
    await expectFailure(['stack', dir, '-o', path.join(out, 'o.png'), '--index-map', path.join(out, 'i.png')], /b\.png/);
    expect(await fs.readdir(out)).toEqual([]);
  });

  test('an output path that is one of the inputs is refused and the slice is untouched', async () => {
    const dir = tempDir();
    await textured(dir, 'a.png', 10, 10, 1);
    await textured(dir, 'b.png', 10, 10, 2);
    const before = await fs.readFile(path.join(dir, 'a.png'));
    await expectFailure(['stack', dir, '-o', path.join(dir, 'a.png'), '--overwrite'], /it is one of the input slices/);
    expect((await fs.readFile(path.join(dir, 'a.png'))).equals(before)).toBe(true);
  });

  test('an existing output is not overwritten without --overwrite', async () => {
    const dir = tempDir();
    await textured(dir, 'a.png', 10, 10, 1);
    const out = path.join(tempDir(), 'o.png');
    await fs.writeFile(out, 'precious');
    await expectFailure(['stack', dir, '-o', out], /Refusing to overwrite/);
    expect(await fs.readFile(out, 'utf8')).toBe('precious');
    const run = await runCli(['stack', dir, '-o', out, '--overwrite']);
    expect(run.code).toBe(0);
    expect((await sharp(out).metadata()).width).toBe(10);
  });

  test('an output folder that does not exist', async () => {
    const dir = tempDir();
    await textured(dir, 'a.png', 10, 10, 1);
    await expectFailure(['stack', dir, '-o', path.join(dir, 'no-such-folder', 'o.png')], /no-such-folder.*not usable \(it does not exist\)/);
  });

  test('an output folder that is not writable', async () => {
    const dir = tempDir();
    await textured(dir, 'a.png', 10, 10, 1);
    // /proc takes no new files even for root, unlike a chmod-ed folder.
    await expectFailure(['stack', dir, '-o', '/proc/deepfield-out.png'], /the folder \/proc is not writable \(it takes no new files: it is the kernel's proc file system\)/);
    await fs.writeFile(path.join(dir, 'file'), '');
    await expectFailure(['stack', dir, '-o', path.join(dir, 'file', 'o.png')], /is not a folder|not usable/);
  });

  test('sigma that is not a positive number, or whose window is one pixel', async () => {
    const dir = tempDir();
    await textured(dir, 'a.png', 10, 10, 1);
    const out = path.join(tempDir(), 'o.png');
    await expectFailure(['stack', dir, '-o', out, '--sigma', '0'], /Expected a number of pixels from 0.125 to 64 .* for sigma but received "0"/);
    await expectFailure(['stack', dir, '-o', out, '--sigma', '-2'], /for sigma/);
    // A window of one pixel (radius int(4 sigma + 0.5) = 0) cannot tell slices apart.
    await expectFailure(['stack', dir, '-o', out, '--sigma', '0.1'], /the Gaussian window is one pixel.* for sigma but received "0.1"/);
    await expectFailure(['stack', dir, '-o', out, '--sigma', '1e-9'], /for sigma but received "1e-9"/);
    await expectFailure(['stack', dir, '-o', out, '--sigma', 'abc'], /for sigma but received "abc"/);
  });

  test('a slice over the pixel limit is named with its size and the limit, and --limit-input-pixels moves the limit', async () => {
    const dir = tempDir();
    await textured(dir, 'a.png', 10, 10, 1);
    // A header promising 20000 x 15000 pixels (300 MP) and holding almost nothing, as a decompression bomb would.
    const chunk = (type: string, data: Buffer) => {
      const body = Buffer.concat([Buffer.from(type), data]);
      const framed = Buffer.alloc(body.length + 8);
      framed.writeUInt32BE(data.length, 0);
      body.copy(framed, 4);
      framed.writeUInt32BE(zlib.crc32(body), body.length + 4);
      return framed;
    };
    const header = Buffer.alloc(13);
    header.writeUInt32BE(20000, 0);
    header.writeUInt32BE(15000, 4);
    header.set([8, 2], 8);
    const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
    await fs.writeFile(path.join(dir, 'b.png'), Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(Buffer.alloc(10))), chunk('IEND', Buffer.alloc(0))]));
    const out = path.join(tempDir(), 'o.png');
    await expectFailure(['stack', dir, '-o', out], /^deepfield: error: b\.png is 20000x15000 \(300 megapixels\), over the 268-megapixel limit on slices \(use --limit-input-pixels to raise it\)$/);
    await expectFailure(['stack', dir, '-o', out, '--limit-input-pixels', '50'], /a\.png is 10x10 \(0\.0001 megapixels\), over the 0\.00005-megapixel limit/);
    // Lifted, the size check passes and the (empty) pixels are what fails.
    await expectFailure(['stack', dir, '-o', out, '--limit-input-pixels', '0'], /Slices differ in size|b\.png could not be decoded/);
  });

  test('heatmaps or in-focus slices into the folder of the input slices are refused', async () => {
    const dir = tempDir();
    for (let k = 0; k < 2; k++) await textured(dir, `z${k}.png`, 20, 20, k + 1);
    const out = path.join(tempDir(), 'o.png');
    await expectFailure(['stack', dir, '-o', out, '--heatmaps', dir], /Refusing to write the heatmaps \(--heatmaps\) into .*: it holds the input slices, and the next run would stack them as slices/);
    await expectFailure(['stack', dir, '-o', out, '--masked', `${dir}/.`], /Refusing to write the in-focus slices \(--masked\)/);
    expect((await fs.readdir(dir)).sort()).toEqual(['z0.png', 'z1.png']);
    await expect(fs.stat(out)).rejects.toThrow();
  });

  test('an unknown output format', async () => {
    const dir = tempDir();
    await textured(dir, 'a.png', 10, 10, 1);
    await expectFailure(['stack', dir, '-o', path.join(tempDir(), 'o.bmp')], /Cannot tell the output format of o\.bmp/);
  });
});
