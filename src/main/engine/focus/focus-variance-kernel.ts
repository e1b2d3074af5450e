// Runs the WebAssembly SIMD focus kernel (assembly/focus-variance.ts) over a slice in blocks of
// rows: copies each block's source rows (reflected at the top and bottom edges) into the kernel's
// memory, lets it compute the block's focus map, and hands the map to the caller band by band.
// The kernel computes each tile in float32 with a proven error bound and recomputes in float64
// the tiles whose bound exceeds `tolerance` of the map's maximum (assembly/focus-variance.ts).
// Memory stays a few blocks deep whatever the slice's size. A plain argmax job's merge of each
// band can run in the kernel too (ArgmaxBandMerge), several times faster than the JavaScript
// loop. Where WebAssembly SIMD is missing, the float64 JavaScript kernel (focus-measure.ts) does
// the same job, more slowly.
import { gaussianKernel, reflectIndex } from '../../../shared/gaussian';
import type { PixelLayout } from '../../../shared/types';
import type { PixelData } from '../input/decode';
import { computeFocusBands, DEFAULT_BAND_ROWS, type FocusBandHandler } from './focus-measure';
import { focusVarianceWasm } from './focus-variance.wasm.generated';

/** Must match TILE, STRIDE, TILE32 and STRIDE32 in assembly/focus-variance.ts. */
const TILE = 128;
const STRIDE = TILE + 16;
const TILE32 = 64;
const STRIDE32 = TILE32 + 16;

/**
 * The largest error the engine allows in a focus map, relative to the map's maximum (the bound
 * test/unit/focus-kernel.test.ts checks against a float64 brute force). Every float32 tile whose
 * proven bound exceeds it is computed again in float64.
 */
export const FOCUS_TOLERANCE = 1e-5;
/**
 * The tolerance a job runs with: FOCUS_TOLERANCE, or 0 (the float64 kernel alone, no float32
 * pass) under DEEPFIELD_FOCUS_KERNEL=float64, which the benchmark sets to measure the kernel the
 * float32 pass replaced in the same run. Results agree within the same bound either way.
 */
const jobTolerance = process.env.DEEPFIELD_FOCUS_KERNEL === 'float64' ? 0 : FOCUS_TOLERANCE;
/** Rows per kernel call: tall enough that the 2 * radius halo rows cost little, short enough to stay in cache. */
const BLOCK_ROWS = 128;

interface KernelExports {
  heapBase(): number;
  configure(...args: number[]): void;
  focusBand(rows: number): void;
  mergeArgmax(k: number, firstRow: number, rows: number, maxVariance: number, winner: number, composite: number): void;
}

/**
 * Merges the band being handed out (by the kernel, in WebAssembly SIMD) into a plain argmax
 * state: the full-image views of ProfileMerger (merge-profile.ts), whose mergeArgmax it
 * replaces bit for bit. When the state lives in the job's KernelArena (the usual case) the
 * kernel merges it in place; otherwise the band's state is copied into the kernel's memory and
 * back. The caller holds the band's lock.
 */
export type ArgmaxBandMerge = (sliceIndex: number, maxVariance: Float32Array, winner: Uint16Array, composite: PixelData) => void;

/** A band handler that may merge the band through the kernel (the fourth argument, when offered). */
export type KernelBandHandler = (y0: number, y1: number, variance: Float32Array, merge?: ArgmaxBandMerge) => void;

export interface FocusMapStats {
  /** Sum of v over the slice (mean variance = sum / pixels). */
  sum: number;
  /** Largest v in the slice. */
  max: number;
  /** Which kernel ran. */
  kernel: 'wasm-simd' | 'js-float64';
  /** Float32 tiles computed, and how many of them fell back to float64 (0 and 0 for the JS kernel). */
  tiles: number;
  fallbackTiles: number;
  /**
   * A proven bound on |v - exact v| for every value of the map (the largest of its tiles' bounds,
   * float32 or float64; assembly/focus-variance.ts). At most `tolerance` times the map's maximum.
   * Undefined for the JavaScript kernel (not proven; tested against brute force).
   */
  bound?: number;
}

/**
 * One job's shared WebAssembly memory: a scratch slot per worker for the kernel's buffers, then
 * the job's argmax state (placed by the caller from `stateOffset` on). Every worker's kernel
 * instance imports this one memory, so the merge reads and writes the state where it lives:
 * copying each band in and out of a private memory cost about as much as the merge itself
 * (~55 ms per 24-megapixel slice, measured).
 */
export interface KernelArena {
  memory: WebAssembly.Memory;
  /** Int32 per slot: 0 free, 1 in use (claimed with Atomics by the task using it). */
  claims: Int32Array;
  slotOffset: number;
  slotBytes: number;
  /** Where the caller's state begins (16-byte aligned), and how many bytes it may use. */
  stateOffset: number;
  stateBytes: number;
}

const PAGE = 65536;
/** wasm32's ceiling, and the imported memory's declared maximum (scripts/build-kernel.js). */
const MAX_PAGES = 65536;
const align = (n: number) => Math.ceil(n / 16) * 16;
/** f32 per row of the float32 pass's block of x: columns -radius - 4 to width + radius + 20, a guard of 4 before. */
const lumStrideFor = (width: number, radius: number) => Math.ceil((width + 2 * radius + 32) / 4) * 4;

let compiled: WebAssembly.Module | null | undefined;
/** One instance per memory, per thread: the thread's own memory, and each job's arena. */
const instances = new WeakMap<WebAssembly.Memory, KernelExports>();
let ownMemory: WebAssembly.Memory | undefined;

function kernelModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  const bytes = Buffer.from(focusVarianceWasm, 'base64');
  compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  return compiled;
}

function instanceFor(memory: WebAssembly.Memory): KernelExports {
  let k = instances.get(memory);
  if (!k) {
    k = new WebAssembly.Instance(kernelModule()!, { env: { memory } }).exports as unknown as KernelExports;
    instances.set(memory, k);
  }
  return k;
}

export function wasmKernelAvailable(): boolean {
  return kernelModule() !== null;
}

/** Byte offsets, from a slot's start, of the kernel's buffers for one slice geometry. */
function scratchLayout(layout: PixelLayout, radius: number, blockRows: number, bandRows: number) {
  const rowBytes = layout.width * layout.channels * (layout.bitDepth / 8);
  const inputRows = blockRows + 2 * radius;
  let next = 0;
  const take = (bytes: number) => {
    const at = next;
    next = align(next + bytes);
    return at;
  };
  const rows32 = inputRows * STRIDE32 * 4;
  const offsets = {
    weights: take((radius + 1) * 16),
    weights32: take((radius + 2) * 16), // and a zero weight, for the pair loop of an odd radius
    input: take(inputRows * rowBytes + 64), // SIMD loads read up to 32 bytes past a row
    // The float64 pass.
    lum: take((TILE + 2 * radius + 8) * 8),
    rowMean: take(inputRows * STRIDE * 8),
    rowMeanSq: take(inputRows * STRIDE * 8),
    colMean: take(TILE * 8),
    // The float32 pass (pointers to its first element or row, past the guard).
    lum32: take((TILE32 + 2 * radius + 16) * 4) + 16,
    rowM: take(rows32),
    rowH: take(rows32),
    columnRef: take((TILE32 + 2 * radius + 16) * 4) + 16,
    lumBlock: take(inputRows * lumStrideFor(layout.width, radius) * 4),
    output: take(blockRows * layout.width * 4 + 16),
    lanes: take(128),
    tiles: take(Math.ceil(layout.width / TILE32) * 32),
    stats: take(6 * 8),
    // One band of argmax state, for merging a state that lives outside this memory (copied in
    // and out; SIMD loads read 64 bytes ahead at most, inside the padding).
    mergeMax: take(bandRows * layout.width * 4 + 64),
    mergeWinner: take(bandRows * layout.width * 2 + 64),
    mergeComposite: take(bandRows * rowBytes + 64),
  };
  return { offsets, bytes: next, rowBytes };
}

const blockRowsFor = (bandRows: number) => bandRows * Math.max(1, Math.round(BLOCK_ROWS / bandRows));

/**
 * A job's arena for `slots` concurrent slice tasks of this geometry plus `stateBytes` of state;
 * undefined where WebAssembly SIMD is missing or the whole would not fit wasm32's 4 GiB (the
 * state then lives in plain shared buffers and the kernel merges by copying).
 */
export function createKernelArena(layout: PixelLayout, sigma: number, bandRows: number, slots: number, stateBytes: number): KernelArena | undefined {
  const module = kernelModule();
  if (!module) return undefined;
  const radius = (gaussianKernel(sigma).length - 1) / 2;
  const slotBytes = align(scratchLayout(layout, radius, blockRowsFor(bandRows), bandRows).bytes);
  const slotOffset = align(instanceHeapBase());
  const stateOffset = slotOffset + slots * slotBytes;
  const pages = Math.ceil((stateOffset + stateBytes + 64) / PAGE);
  if (pages > MAX_PAGES) return undefined;
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return undefined; // could not reserve it: the copying merge still works
  }
  return { memory, claims: new Int32Array(new SharedArrayBuffer(slots * 4)), slotOffset, slotBytes, stateOffset, stateBytes };
}

/** The kernel's own static area ends here (it has no data, only globals; measured once). */
function instanceHeapBase(): number {
  return instanceFor(threadMemory(1)).heapBase();
}

/** This thread's own memory, grown to at least `bytes`. */
function threadMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.ceil(bytes / PAGE);
  if (!ownMemory) ownMemory = new WebAssembly.Memory({ initial: Math.max(1, pages), maximum: MAX_PAGES, shared: true });
  const have = ownMemory.buffer.byteLength / PAGE;
  if (pages > have) ownMemory.grow(pages - have);
  return ownMemory;
}

/** Claims a free slot of the arena (one per task in flight; there are as many as workers). */
function claimSlot(arena: KernelArena): number {
  for (let i = 0; i < arena.claims.length; i++) if (Atomics.compareExchange(arena.claims, i, 0, 1) === 0) return i;
  return -1;
}

/**
 * Computes the focus map of `pixels` and calls `onBand` for each band of `bandRows` rows, as
 * computeFocusBands does (same values within the accuracy bound). The band array is a view into
 * the kernel's memory, valid only during the call. Returns the map's statistics.
 * With `arena`, the kernel works in one of its slots and merges in place into state views that
 * live in the arena's memory.
 * `staggerBy`, the slice's index in its stack, makes the bands come top to bottom from a starting
 * row that differs from slice to slice (wrapping round), so two workers on neighbouring slices do
 * not queue for the same band's lock all the way down; without it (merges that take their turns
 * band by band in slice order, where a staggered start would wait half a slice) they start at the
 * top. The start comes from the slice, never from the worker or its slot: the float32 kernel's
 * fallback decision takes a running lower bound of the map's maximum, so the map depends on the
 * order of its blocks, and a start that depended on timing made a job's files differ from run to run.
 */
export function measureFocusBands(
  pixels: PixelData,
  layout: PixelLayout,
  sigma: number,
  onBand: KernelBandHandler,
  bandRows = DEFAULT_BAND_ROWS,
  arena?: KernelArena,
  tolerance = jobTolerance,
  staggerBy?: number,
): FocusMapStats {
  if (!kernelModule()) return measureWithJavaScript(pixels, layout, sigma, onBand, bandRows);
  const kernelWeights = gaussianKernel(sigma);
  const radius = (kernelWeights.length - 1) / 2;
  const blockRows = blockRowsFor(bandRows);
  const scratch = scratchLayout(layout, radius, blockRows, bandRows);
  const slot = arena ? claimSlot(arena) : -1;
  // A task that found no free slot (never expected) works in its own memory and merges by copying.
  const inPlace = slot >= 0;
  const memory = inPlace ? arena!.memory : threadMemory(align(instanceHeapBase()) + scratch.bytes + 64);
  const base = inPlace ? arena!.slotOffset + slot * arena!.slotBytes : align(instanceHeapBase());
  try {
    const k = instanceFor(memory);
    const firstBlock = staggerBy === undefined ? 0 : staggeredStart(staggerBy, Math.ceil(layout.height / blockRows));
    return measureWithKernel(k, memory, base, scratch, pixels, layout, kernelWeights, blockRows, bandRows, onBand, inPlace, firstBlock, tolerance);
  } finally {
    if (inPlace) Atomics.store(arena!.claims, slot, 0);
  }
}

/**
 * The first block of slice `index`: the fractional parts of index x the golden ratio, so any two
 * neighbouring slices (the ones two workers run at once) start at least 0.38 of the slice apart.
 */
export function staggeredStart(index: number, blocks: number): number {
  return Math.min(blocks - 1, Math.floor(((index * 0.6180339887498949) % 1) * blocks));
}

function measureWithKernel(
  k: KernelExports,
  memory: WebAssembly.Memory,
  base: number,
  scratch: ReturnType<typeof scratchLayout>,
  pixels: PixelData,
  layout: PixelLayout,
  kernelWeights: Float64Array,
  blockRows: number,
  bandRows: number,
  onBand: KernelBandHandler,
  inPlace: boolean,
  firstBlock: number,
  tolerance: number,
): FocusMapStats {
  const { width, height, channels } = layout;
  const radius = (kernelWeights.length - 1) / 2;
  const { rowBytes } = scratch;
  const at = Object.fromEntries(Object.entries(scratch.offsets).map(([name, offset]) => [name, base + offset])) as typeof scratch.offsets;
  const buffer = memory.buffer;
  const splats = new Float64Array(buffer, at.weights, (radius + 1) * 2);
  for (let t = 0; t <= radius; t++) splats.fill(kernelWeights[radius + t], t * 2, t * 2 + 2);
  const splats32 = new Float32Array(buffer, at.weights32, (radius + 2) * 4);
  splats32.fill(0);
  for (let t = 0; t <= radius; t++) splats32.fill(kernelWeights[radius + t], t * 4, t * 4 + 4);
  // sum, max, running lower bound of the max, tiles, tiles that fell back, largest bound
  const totals = new Float64Array(buffer, at.stats, 6);
  totals.fill(0);
  k.configure(width, channels, layout.bitDepth === 16 ? 1 : 0, radius, at.input, at.weights, at.weights32, at.lum, at.rowMean, at.rowMeanSq, at.colMean, at.lum32, at.rowM, at.rowH, at.columnRef, at.lumBlock, lumStrideFor(width, radius), at.output, at.lanes, at.tiles, at.stats, tolerance);

  const source = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const heap = new Uint8Array(buffer);
  const sampleBytes = layout.bitDepth / 8;
  // The band being handed out: rows bandFirst .. bandFirst + bandCount of the image, starting at
  // row bandInBlock of the kernel's current block.
  let bandFirst = 0;
  let bandCount = 0;
  let bandInBlock = 0;
  const mergeInPlace: ArgmaxBandMerge = (sliceIndex, maxVariance, winner, composite) => {
    const p = bandFirst * width;
    k.mergeArgmax(sliceIndex, bandInBlock, bandCount, maxVariance.byteOffset + p * 4, winner.byteOffset + p * 2, composite.byteOffset + p * channels * sampleBytes);
  };
  const bandMax = new Float32Array(buffer, at.mergeMax, bandRows * width);
  const bandWinner = new Uint16Array(buffer, at.mergeWinner, bandRows * width);
  const bandComposite: PixelData =
    layout.bitDepth === 16
      ? new Uint16Array(buffer, at.mergeComposite, bandRows * width * channels)
      : new Uint8Array(buffer, at.mergeComposite, bandRows * width * channels);
  const mergeByCopy: ArgmaxBandMerge = (sliceIndex, maxVariance, winner, composite) => {
    const n = bandCount * width;
    const p = bandFirst * width;
    bandMax.set(maxVariance.subarray(p, p + n));
    bandWinner.set(winner.subarray(p, p + n));
    bandComposite.set(composite.subarray(p * channels, (p + n) * channels));
    k.mergeArgmax(sliceIndex, bandInBlock, bandCount, at.mergeMax, at.mergeWinner, at.mergeComposite);
    maxVariance.set(bandMax.subarray(0, n), p);
    winner.set(bandWinner.subarray(0, n), p);
    composite.set(bandComposite.subarray(0, n * channels), p * channels);
  };
  const merge = inPlace ? mergeInPlace : mergeByCopy;

  const blocks = Math.ceil(height / blockRows);
  // Each block's sum, added top to bottom at the end, so the slice's mean variance does not depend
  // on the block it started at.
  const blockSums = new Float64Array(blocks);
  for (let i = 0; i < blocks; i++) {
    const block = (firstBlock + i) % blocks;
    const y0 = block * blockRows;
    const rows = Math.min(blockRows, height - y0);
    copyBlockRows(source, heap, at.input, rowBytes, y0 - radius, rows + 2 * radius, height);
    k.focusBand(rows);
    blockSums[block] = totals[0];
    totals[0] = 0;
    for (let b = 0; b < rows; b += bandRows) {
      const bandEnd = Math.min(rows, b + bandRows);
      bandFirst = y0 + b;
      bandCount = bandEnd - b;
      bandInBlock = b;
      onBand(y0 + b, y0 + bandEnd, new Float32Array(buffer, at.output + b * width * 4, (bandEnd - b) * width), merge);
    }
  }
  const sum = blockSums.reduce((total, blockSum) => total + blockSum, 0);
  // The map holds v rounded to float32; rounding is monotonic, so this is the map's own maximum.
  return { sum, max: Math.fround(totals[1]), kernel: 'wasm-simd', tiles: totals[3], fallbackTiles: totals[4], bound: totals[5] };
}

/**
 * Copies source rows top .. top + count (reflected at the image's edges) into the kernel's
 * input, in runs of consecutive rows.
 */
function copyBlockRows(source: Uint8Array, heap: Uint8Array, input: number, rowBytes: number, top: number, count: number, height: number): void {
  for (let j = 0; j < count; ) {
    const first = reflectIndex(top + j, height);
    let run = 1;
    while (j + run < count && reflectIndex(top + j + run, height) === first + run) run++;
    heap.set(source.subarray(first * rowBytes, (first + run) * rowBytes), input + j * rowBytes);
    j += run;
  }
}

function measureWithJavaScript(
  pixels: PixelData,
  layout: PixelLayout,
  sigma: number,
  onBand: FocusBandHandler,
  bandRows: number,
): FocusMapStats {
  let sum = 0;
  let max = 0;
  computeFocusBands(
    pixels,
    layout,
    sigma,
    (y0, y1, variance) => {
      for (let i = 0; i < variance.length; i++) {
        const v = variance[i];
        sum += v;
        if (v > max) max = v;
      }
      onBand(y0, y1, variance);
    },
    bandRows,
  );
  return { sum, max, kernel: 'js-float64', tiles: 0, fallbackTiles: 0 };
}

/**
 * The whole focus map from the fast kernel: for tests and small images. `tolerance` 0 runs the
 * float64 kernel alone (no float32 pass); Infinity keeps float32 everywhere.
 */
export function measureFocusMap(pixels: PixelData, layout: PixelLayout, sigma: number, tolerance = FOCUS_TOLERANCE): { map: Float32Array; stats: FocusMapStats } {
  const map = new Float32Array(layout.width * layout.height);
  const stats = measureFocusBands(pixels, layout, sigma, (y0, _y1, band) => map.set(band, y0 * layout.width), DEFAULT_BAND_ROWS, undefined, tolerance);
  return { map, stats };
}
