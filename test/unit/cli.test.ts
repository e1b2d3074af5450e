// The `deepfield` command line, run as a user runs it (node bin/deepfield.js), on the real stacks
// in ../shared/data and on bad input made in code.
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { cliPath, hasSharedStack, random, readRaw, sharedData, tempDir, writeRgb8 } from '../helpers/fixtures';

interface RunResult {
  code: number | null;
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
    child.on('close', (code) => resolve({ code, stdout, stderr }));
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
    expect(run.code).toBe(0);
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
    await expectFailure(['stack', dir, '-o', '/proc/deepfield-out.png'], /not writable/);
    await fs.writeFile(path.join(dir, 'file'), '');
    await expectFailure(['stack', dir, '-o', path.join(dir, 'file', 'o.png')], /is not a folder|not usable/);
  });

  test('sigma that is not a positive number', async () => {
    const dir = tempDir();
    await textured(dir, 'a.png', 10, 10, 1);
    const out = path.join(tempDir(), 'o.png');
    await expectFailure(['stack', dir, '-o', out, '--sigma', '0'], /Expected a positive number of pixels up to 64 for sigma but received "0"/);
    await expectFailure(['stack', dir, '-o', out, '--sigma', '-2'], /for sigma/);
    await expectFailure(['stack', dir, '-o', out, '--sigma', 'abc'], /for sigma but received "abc"/);
  });

  test('an unknown output format', async () => {
    const dir = tempDir();
    await textured(dir, 'a.png', 10, 10, 1);
    await expectFailure(['stack', dir, '-o', path.join(tempDir(), 'o.bmp')], /Cannot tell the output format of o\.bmp/);
  });
});
