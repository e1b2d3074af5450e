// Stage "merge", the first pass every method shares: running per-pixel summaries of the focus
// profile v_k (k = slice), none of which grows with the slice count:
// - the argmax: highest variance, its slice (ties to the lowest index) and that slice's pixel,
//   which is exactly the plain argmax composite of the design;
// - the variance of the two slices beside the argmax (for a sub-slice parabola fit of the peak);
// - the sum of v (the profile's mean, for the confidence of Pertuz et al. 2013's kind);
// - optionally, variance-weighted sums of the pixels (the composite where no slice is in focus).
// State lives in shared memory, updated band by band under a per-band lock, so two workers can
// merge slices in any order; the sums, whose float additions depend on their order, are added in
// slice order in each band (inSliceOrder), so a job gives the same bits on one thread or many. The argmax state sits in the job's kernel arena (one shared
// WebAssembly memory), where the focus kernel merges each band in place. Every method reads the same summaries: switching methods re-runs
// only the cheap steps after this pass, never the focus measure.
import type { PixelLayout } from '../../../shared/types';
import type { PixelData } from '../input/decode';
import { type ArgmaxBandMerge, createKernelArena, type KernelArena } from '../focus/focus-variance-kernel';

/** The plain argmax: views on shared memory (the kernel arena's, or plain shared buffers). */
export interface ArgmaxState {
  /** Float32 per pixel: the highest variance seen so far (-1 before any slice). */
  maxVariance: Float32Array;
  /** Uint16 per pixel: the index of the slice that holds the maximum. */
  winner: Uint16Array;
  /** Interleaved samples of the argmax composite, in the stack's layout. */
  composite: PixelData;
}

export interface ProfileBuffers {
  bandRows: number;
  sliceCount: number;
  argmax: ArgmaxState;
  /** The shared WebAssembly memory `argmax` lives in, when the focus kernel can use it. */
  arena?: KernelArena;
  /** Float32 per pixel: v of slice winner-1, NaN while not (yet) seen or when there is none. */
  below?: SharedArrayBuffer;
  /** Float32 per pixel: v of slice winner+1, NaN while not (yet) seen or when there is none. */
  above?: SharedArrayBuffer;
  /** Float64 per pixel: the sum of v over the slices merged so far. */
  sumVariance?: SharedArrayBuffer;
  /** Float32 per sample: sum over slices of v * pixel (absent for plain argmax jobs). */
  weightedSum?: SharedArrayBuffer;
  /** Int32 per band: 0 free, 1 held. */
  locks: SharedArrayBuffer;
  /** Int32 per band, with the sums: how many slices have added theirs there (see inSliceOrder). */
  turns?: SharedArrayBuffer;
}

/**
 * Which summaries beyond the argmax a job keeps. Each costs memory per pixel (peaks 8 bytes,
 * sums 8, weighted sums 4 per sample) and merge time, so a plain argmax job keeps none and stays
 * at 6 bytes per pixel plus its composite.
 */
export interface ProfileFeatures {
  /** v beside the peak, for sub-slice depth. */
  peaks: boolean;
  /** The sum of v, for confidence and the smooth/pyramid methods. */
  sums: boolean;
  /** Variance-weighted pixel sums, for the smooth/pyramid methods. */
  weightedSums: boolean;
}

/** For state the focus kernel merges in place: its sigma and how many tasks run at once. */
export interface KernelPlacement {
  sigma: number;
  workers: number;
}

export function createProfileBuffers(
  layout: PixelLayout,
  bandRows: number,
  sliceCount: number,
  features: ProfileFeatures,
  kernel?: KernelPlacement,
): ProfileBuffers {
  const pixels = layout.width * layout.height;
  const sizes = [pixels * 4, pixels * 2, pixels * layout.channels * (layout.bitDepth / 8)].map((n) => Math.ceil(n / 16) * 16);
  const arena = kernel && createKernelArena(layout, kernel.sigma, bandRows, kernel.workers, sizes[0] + sizes[1] + sizes[2]);
  const memory = arena ? arena.memory.buffer : new SharedArrayBuffer(sizes[0] + sizes[1] + sizes[2]);
  const start = arena ? arena.stateOffset : 0;
  const compositeAt = start + sizes[0] + sizes[1];
  const samples = pixels * layout.channels;
  const argmax: ArgmaxState = {
    maxVariance: new Float32Array(memory, start, pixels),
    winner: new Uint16Array(memory, start + sizes[0], pixels),
    composite: layout.bitDepth === 16 ? new Uint16Array(memory, compositeAt, samples) : new Uint8Array(memory, compositeAt, samples),
  };
  const buffers: ProfileBuffers = {
    bandRows,
    sliceCount,
    argmax,
    arena,
    sumVariance: features.sums || features.weightedSums ? new SharedArrayBuffer(pixels * 8) : undefined,
    weightedSum: features.weightedSums ? new SharedArrayBuffer(pixels * layout.channels * 4) : undefined,
    locks: new SharedArrayBuffer(Math.ceil(layout.height / bandRows) * 4),
  };
  if (buffers.sumVariance) buffers.turns = new SharedArrayBuffer(buffers.locks.byteLength);
  argmax.maxVariance.fill(-1);
  if (features.peaks) addPeakBuffers(buffers);
  return buffers;
}

/** Adds the peak-neighbour fields (all NaN: unknown); filled by merging or by a repair pass. */
export function addPeakBuffers(buffers: ProfileBuffers): void {
  const pixels = buffers.argmax.maxVariance.length;
  buffers.below = new SharedArrayBuffer(pixels * 4);
  buffers.above = new SharedArrayBuffer(pixels * 4);
  new Float32Array(buffers.below).fill(NaN);
  new Float32Array(buffers.above).fill(NaN);
}

function acquire(locks: Int32Array, band: number): void {
  while (Atomics.compareExchange(locks, band, 0, 1) !== 0) Atomics.wait(locks, band, 1);
}

function release(locks: Int32Array, band: number): void {
  Atomics.store(locks, band, 0);
  Atomics.notify(locks, band, 1);
}

/**
 * Runs `work` on a shared region (a band, a pyramid level) once every earlier slice has had its
 * turn there, then hands the turn on. Float sums are not associative: added in whatever order the
 * workers happen to finish, two runs of one job differed in a few samples by one level (pcb,
 * smooth, two threads). In slice order they are the same bits on any number of threads. Never
 * waits forever on a stalled job: slices are handed out in order, so the earliest unfinished one
 * always runs, and a cancelled task's worker is stopped between two timed waits.
 */
export function inSliceOrder(turns: Int32Array, region: number, position: number, work?: () => void): void {
  for (let turn = Atomics.load(turns, region); turn !== position; turn = Atomics.load(turns, region)) {
    if (turn > position) throw new Error(`slice ${position} merged twice in region ${region}`);
    Atomics.wait(turns, region, turn, 250);
  }
  try {
    work?.();
  } finally {
    Atomics.store(turns, region, position + 1);
    Atomics.notify(turns, region);
  }
}

export function withBandLock<T>(locks: Int32Array, band: number, work: () => T): T {
  acquire(locks, band);
  try {
    return work();
  } finally {
    release(locks, band);
  }
}

/**
 * The plain argmax update, kept in its own small function so the JIT sees one monomorphic loop
 * (this is the hot path of every default job: 24 million pixels per slice).
 */
function mergeArgmax(
  k: number,
  first: number,
  variance: Float32Array,
  pixels: PixelData,
  maxVariance: Float32Array,
  winner: Uint16Array,
  composite: PixelData,
  channels: number,
): void {
  const n = variance.length;
  if (channels === 3) {
    for (let i = 0; i < n; i++) {
      const p = first + i;
      const v = variance[i];
      const best = maxVariance[p];
      if (v > best || (v === best && k < winner[p])) {
        maxVariance[p] = v;
        winner[p] = k;
        const s = p * 3;
        composite[s] = pixels[s];
        composite[s + 1] = pixels[s + 1];
        composite[s + 2] = pixels[s + 2];
      }
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const p = first + i;
    const v = variance[i];
    const best = maxVariance[p];
    if (v > best || (v === best && k < winner[p])) {
      maxVariance[p] = v;
      winner[p] = k;
      const s = p * channels;
      for (let c = 0; c < channels; c++) composite[s + c] = pixels[s + c];
    }
  }
}

/** Views over the shared buffers, made once per slice in a worker. */
export class ProfileMerger {
  private readonly maxVariance: Float32Array;
  private readonly winner: Uint16Array;
  private readonly composite: PixelData;
  private readonly below?: Float32Array;
  private readonly above?: Float32Array;
  private readonly sumVariance?: Float64Array;
  private readonly weightedSum?: Float32Array;
  private readonly locks: Int32Array;
  private readonly turns?: Int32Array;

  constructor(
    private readonly buffers: ProfileBuffers,
    private readonly layout: PixelLayout,
  ) {
    this.maxVariance = buffers.argmax.maxVariance;
    this.winner = buffers.argmax.winner;
    this.composite = buffers.argmax.composite;
    this.below = buffers.below && new Float32Array(buffers.below);
    this.above = buffers.above && new Float32Array(buffers.above);
    this.sumVariance = buffers.sumVariance && new Float64Array(buffers.sumVariance);
    this.weightedSum = buffers.weightedSum && new Float32Array(buffers.weightedSum);
    this.locks = new Int32Array(buffers.locks);
    this.turns = buffers.turns && new Int32Array(buffers.turns);
  }

  /**
   * Merges rows y0.. of one slice's focus map (and its pixels) into the running summaries.
   * `kernelMerge`, when the WebAssembly focus kernel offers it, does a plain argmax job's merge
   * in SIMD instead of mergeArgmax below (same bits).
   */
  mergeBand(sliceIndex: number, y0: number, variance: Float32Array, pixels: PixelData, kernelMerge?: ArgmaxBandMerge): void {
    const channels = this.layout.channels;
    const first = y0 * this.layout.width;
    const band = Math.floor(y0 / this.buffers.bandRows);
    if (this.turns) {
      inSliceOrder(this.turns, band, sliceIndex, () => this.mergeWithSummaries(sliceIndex, first, variance, pixels));
      return;
    }
    acquire(this.locks, band);
    try {
      if (!this.below && !this.sumVariance && kernelMerge) {
        kernelMerge(sliceIndex, this.maxVariance, this.winner, this.composite);
      } else if (!this.below && !this.sumVariance) {
        mergeArgmax(sliceIndex, first, variance, pixels, this.maxVariance, this.winner, this.composite, channels);
      } else {
        this.mergeWithSummaries(sliceIndex, first, variance, pixels);
      }
    } finally {
      release(this.locks, band);
    }
  }

  private mergeWithSummaries(k: number, first: number, variance: Float32Array, pixels: PixelData): void {
    const { maxVariance, winner, composite, below, above, sumVariance, weightedSum } = this;
    const channels = this.layout.channels;
    for (let i = 0; i < variance.length; i++) {
      const p = first + i;
      const v = variance[i];
      const best = maxVariance[p];
      if (sumVariance) sumVariance[p] += v;
      if (weightedSum) {
        const s = p * channels;
        for (let c = 0; c < channels; c++) weightedSum[s + c] += v * pixels[s + c];
      }
      if (v > best || (v === best && k < winner[p])) {
        if (below && above) {
          // The new peak's neighbours: known exactly when the old peak, or a value kept beside
          // it, is one of them; otherwise NaN until that slice arrives (or a repair pass).
          const w = winner[p];
          const hadPeak = best >= 0;
          const newBelow = hadPeak && w === k - 1 ? best : hadPeak && w === k - 2 ? above[p] : NaN;
          const newAbove = hadPeak && w === k + 1 ? best : hadPeak && w === k + 2 ? below[p] : NaN;
          below[p] = newBelow;
          above[p] = newAbove;
        }
        maxVariance[p] = v;
        winner[p] = k;
        const s = p * channels;
        for (let c = 0; c < channels; c++) composite[s + c] = pixels[s + c];
      } else if (below && above) {
        if (k === winner[p] - 1) below[p] = v;
        else if (k === winner[p] + 1) above[p] = v;
      }
    }
  }
}

/**
 * Slices whose focus values some pixel still lacks beside its peak. After the first pass the
 * kept neighbours are exact but may be missing when slices arrived out of order around a
 * non-unimodal profile; measuring these slices again (fillPeakNeighbours) completes them, so
 * the final values do not depend on the order the workers finished in.
 */
export function slicesMissingPeakNeighbours(buffers: ProfileBuffers): number[] {
  if (!buffers.below || !buffers.above) addPeakBuffers(buffers);
  const winner = buffers.argmax.winner;
  const below = new Float32Array(buffers.below!);
  const above = new Float32Array(buffers.above!);
  const last = buffers.sliceCount - 1;
  const needed = new Uint8Array(buffers.sliceCount);
  for (let p = 0; p < winner.length; p++) {
    const w = winner[p];
    if (w > 0 && Number.isNaN(below[p])) needed[w - 1] = 1;
    if (w < last && Number.isNaN(above[p])) needed[w + 1] = 1;
  }
  const slices: number[] = [];
  needed.forEach((n, k) => n && slices.push(k));
  return slices;
}

/** Repair pass: stores slice k's focus values where k sits beside a pixel's peak. */
export function fillPeakNeighbours(buffers: ProfileBuffers, width: number, sliceIndex: number, y0: number, variance: Float32Array): void {
  if (!buffers.below || !buffers.above) throw new Error('fillPeakNeighbours needs the peak buffers (slicesMissingPeakNeighbours adds them)');
  const winner = buffers.argmax.winner;
  const below = new Float32Array(buffers.below);
  const above = new Float32Array(buffers.above);
  const first = y0 * width;
  // Distinct workers write distinct slices, hence distinct pixels' fields: no lock needed.
  for (let i = 0; i < variance.length; i++) {
    const p = first + i;
    if (winner[p] === sliceIndex + 1) below[p] = variance[i];
    else if (winner[p] === sliceIndex - 1) above[p] = variance[i];
  }
}
