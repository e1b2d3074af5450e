// Runs the WebAssembly SIMD warp kernel (assembly/warp.ts) over a slice in blocks of output rows:
// for each block, copies the band of source rows its taps reach (clamped to the slice) into the
// kernel's memory, lets it resample the block, and copies the block out. Memory stays a band deep
// whatever the slice's size. Where WebAssembly SIMD is missing, the caller's JavaScript warp
// (align-warp.ts) does the same job, more slowly.
import type { Affine } from './geometry';
import type { PixelData } from '../input/decode';
import { warpWasm } from './warp.wasm.generated';

/** Output rows per kernel call: the band adds the rows a rotation spans, so not too few. */
const BLOCK_ROWS = 192;
const PAGE = 65536;
const INPUT_SLACK = 32; // 16-byte loads at the last pixel of the band
const OUTPUT_SLACK = 16; // whole-lane stores at the last pixel of the block

interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  configure(...args: number[]): void;
  warpRows(y0: number, rows: number, bandStart: number, bandRows: number): void;
}

let kernel: KernelExports | null | undefined;

/** The kernel's instance, made once per thread; null where WebAssembly SIMD is unavailable. */
function loadKernel(): KernelExports | null {
  if (kernel !== undefined) return kernel;
  try {
    const bytes = Buffer.from(warpWasm, 'base64');
    kernel = WebAssembly.validate(bytes)
      ? (new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as KernelExports)
      : null;
  } catch {
    kernel = null;
  }
  return kernel;
}

export function wasmWarpAvailable(): boolean {
  return loadKernel() !== null;
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

/** First and last slice rows (clamped) the taps of output rows y0 .. y1 - 1 reach. */
function bandOf(matrix: Affine, width: number, y0: number, y1: number, sourceHeight: number): [number, number] {
  const [, , , d, e, f] = matrix;
  let lo = Infinity;
  let hi = -Infinity;
  for (const y of [y0, y1 - 1]) {
    for (const x of [0, width - 1]) {
      const sy = d * x + e * y + f;
      lo = Math.min(lo, sy);
      hi = Math.max(hi, sy);
    }
  }
  // One row of margin beyond the four taps against rounding in the kernel's own arithmetic;
  // a non-finite matrix degenerates to the whole slice.
  const first = Number.isFinite(lo) ? Math.floor(lo) - 2 : 0;
  const last = Number.isFinite(hi) ? Math.floor(hi) + 3 : sourceHeight - 1;
  return [Math.max(0, Math.min(sourceHeight - 1, first)), Math.max(0, Math.min(sourceHeight - 1, last))];
}

/**
 * Resamples `pixels` (sourceWidth x sourceHeight, `channels` interleaved, 8 or 16 bits) onto a
 * width x height frame through `matrix` (output -> source coordinates) with Keys' cubic, applies
 * gain and offset per channel (four values each, alpha given as 1 and 0), rounds and clamps.
 * With `overSource` the result is written over the start of `pixels` (which the caller no longer
 * needs) wherever that is safe, so a worker holds one full-size slice instead of two. Returns
 * undefined where the kernel is unavailable.
 */
export function warpWithKernel(
  pixels: PixelData,
  sourceWidth: number,
  sourceHeight: number,
  channels: number,
  sixteen: boolean,
  width: number,
  height: number,
  matrix: Affine,
  gains: ArrayLike<number>,
  offsets: ArrayLike<number>,
  blockRows = BLOCK_ROWS,
  overSource = false,
): PixelData | undefined {
  const k = loadKernel();
  if (!k || channels < 1 || channels > 4) return undefined;
  if (!withinKernelRange(matrix, width, height)) return undefined;
  const bytesPerSample = sixteen ? 2 : 1;
  const rowBytes = sourceWidth * channels * bytesPerSample;
  const outRowBytes = width * channels * bytesPerSample;
  // Over the source only when the output fits in it (a crop, or the same frame).
  const inPlace = overSource && width <= sourceWidth && height <= sourceHeight;
  const samples = width * height * channels;
  const out: PixelData = inPlace
    ? sixteen
      ? new Uint16Array(pixels.buffer, pixels.byteOffset, samples)
      : new Uint8Array(pixels.buffer, pixels.byteOffset, samples)
    : sixteen
      ? new Uint16Array(samples)
      : new Uint8Array(samples);
  if (width === 0 || height === 0) return out;

  const bands = planBands(matrix, width, height, sourceHeight, blockRows, rowBytes);
  const layout = reserveKernelMemory(k, bands.tallest * rowBytes, Math.min(blockRows, height) * outRowBytes);
  const g = [0, 1, 2, 3].map((c) => (c < channels ? gains[c] : 1));
  const o = [0, 1, 2, 3].map((c) => (c < channels ? offsets[c] : 0));
  k.configure(sourceWidth, sourceHeight, channels, sixteen ? 1 : 0, width, layout.input, layout.output, ...matrix, ...g, ...o);

  const source = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const target = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  const heap = new Uint8Array(k.memory.buffer);
  // Finished blocks that would overwrite source rows a later block still reads wait here (in
  // place only; usually a block or two, at most the whole output as without overSource).
  const waiting: Array<{ at: number; bytes: Uint8Array }> = [];
  for (let y0 = 0, b = 0; y0 < height; y0 += blockRows, b++) {
    const rows = Math.min(blockRows, height - y0);
    const [first, last] = bandOf(matrix, width, y0, y0 + rows, sourceHeight);
    heap.set(source.subarray(first * rowBytes, (last + 1) * rowBytes), layout.input);
    k.warpRows(y0, rows, first, last - first + 1);
    const block = heap.subarray(layout.output, layout.output + rows * outRowBytes);
    if (!inPlace) {
      target.set(block, y0 * outRowBytes);
      continue;
    }
    const safe = bands.neededFrom[b + 1];
    const at = y0 * outRowBytes;
    if (waiting.length === 0 && at + block.length <= safe) {
      target.set(block, at);
      continue;
    }
    waiting.push({ at, bytes: block.slice() });
    while (waiting.length > 0 && waiting[0].at + waiting[0].bytes.length <= safe) {
      const ready = waiting.shift()!;
      target.set(ready.bytes, ready.at);
    }
  }
  return out;
}

/** The kernel floors source coordinates to i32 unchecked: absurd transforms stay with the caller. */
function withinKernelRange(matrix: Affine, width: number, height: number): boolean {
  const [a, b, c, d, e, f] = matrix;
  for (const y of [0, height]) {
    for (const x of [0, width]) {
      const sx = a * x + b * y + c;
      const sy = d * x + e * y + f;
      if (!(Math.abs(sx) < 2 ** 30 && Math.abs(sy) < 2 ** 30)) return false;
    }
  }
  return true;
}

/**
 * The tallest band any block needs sizes the kernel's memory once; neededFrom[b] is the first
 * source byte any block from b on still reads (bands move down the slice, but take no chances).
 */
function planBands(matrix: Affine, width: number, height: number, sourceHeight: number, blockRows: number, rowBytes: number) {
  let tallest = 0;
  const firstRows: number[] = [];
  for (let y0 = 0; y0 < height; y0 += blockRows) {
    const [first, last] = bandOf(matrix, width, y0, Math.min(height, y0 + blockRows), sourceHeight);
    tallest = Math.max(tallest, last - first + 1);
    firstRows.push(first);
  }
  const neededFrom = new Array<number>(firstRows.length + 1).fill(Infinity);
  for (let b = firstRows.length - 1; b >= 0; b--) neededFrom[b] = Math.min(neededFrom[b + 1], firstRows[b] * rowBytes);
  return { tallest, neededFrom };
}

/** Places the source band and the output block after the kernel's own data, growing its memory to fit. */
function reserveKernelMemory(k: KernelExports, bandBytes: number, blockBytes: number): { input: number; output: number } {
  const input = align16(k.heapBase());
  const output = align16(input + bandBytes + INPUT_SLACK);
  const end = output + blockBytes + OUTPUT_SLACK;
  const pages = Math.ceil(end / PAGE) - k.memory.buffer.byteLength / PAGE;
  if (pages > 0) k.memory.grow(pages);
  return { input, output };
}
