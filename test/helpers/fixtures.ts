// Fixture helpers: stacks generated in code, written to fresh temporary folders, and the paths of
// the built engine (npm test builds first).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The real stacks beside the repository (DEEPFIELD_SHARED_DATA overrides the location). */
export const sharedData = process.env.DEEPFIELD_SHARED_DATA ?? path.resolve(repoRoot, '../shared/data');

/**
 * Whether a real stack from ../shared/data is there to test on. Missing data is a failure in CI
 * (it must be there), and elsewhere a skip that says why.
 */
export function hasSharedStack(name: string): boolean {
  const folder = path.join(sharedData, name);
  if (existsSync(folder)) return true;
  if (process.env.CI) throw new Error(`${folder} is missing: CI must run the tests on the shared stacks`);
  console.log(`skipping tests on ${name}: ${folder} not found (set DEEPFIELD_SHARED_DATA)`);
  return false;
}
export const cliPath = path.join(repoRoot, 'bin/deepfield.js');

export function builtWorkerFile(): string {
  const file = path.join(repoRoot, 'out/main/slice-worker.js');
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first (npm test does)`);
  return file;
}

export function tempDir(prefix = 'deepfield-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A deterministic pseudo-random generator (mulberry32) so fixtures are reproducible. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function writeRgb8(file: string, data: Uint8Array, width: number, height: number): Promise<void> {
  await sharp(data, { raw: { width, height, channels: 3 } }).png().toFile(file);
}

export async function writeGrey16(file: string, data: Uint16Array, width: number, height: number): Promise<void> {
  await sharp(data, { raw: { width, height, channels: 1 } }).toColourspace('grey16').tiff({ compression: 'deflate' }).toFile(file);
}

export async function readRaw(file: string): Promise<{ data: Uint8Array | Uint16Array; width: number; height: number; channels: number; depth: string }> {
  const meta = await sharp(file).metadata();
  const sixteen = meta.depth === 'ushort';
  let image = sharp(file);
  if (sixteen) image = image.toColourspace((meta.channels ?? 1) <= 2 ? 'grey16' : 'rgb16');
  const { data, info } = await image.raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  const view = sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data.buffer, data.byteOffset, data.length);
  return { data: view, width: info.width, height: info.height, channels: info.channels, depth: meta.depth ?? 'uchar' };
}

/**
 * A stack of `count` slices of w x h RGB where slice k carries sharp random texture only inside
 * its own vertical strip (strip k of `count`) and flat grey elsewhere, so the expected winner of
 * every pixel well inside a strip is known.
 */
export function stripStack(count: number, width: number, height: number, seed = 1): Uint8Array[] {
  const rnd = random(seed);
  const slices: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const data = new Uint8Array(width * height * 3).fill(128);
    const x0 = Math.floor((k * width) / count);
    const x1 = Math.floor(((k + 1) * width) / count);
    for (let y = 0; y < height; y++) {
      for (let x = x0; x < x1; x++) {
        for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = Math.floor(rnd() * 256);
      }
    }
    slices.push(data);
  }
  return slices;
}

/** The bytes a typed array views (not its whole buffer: engine results are views on shared memory). */
export function bytesOf(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built command line as a user does (node bin/deepfield.js ...). */
export function runDeepfield(args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
