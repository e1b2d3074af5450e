// Stage "merge", method argmax (the design's default): every output pixel comes from the slice
// whose raw variance is highest there; ties go to the lowest slice index. State lives in shared
// memory and is updated band by band under a per-band lock, so slices can be merged by several
// worker threads in any order with the same result, and memory does not grow with slice count.
import type { PixelLayout } from '../../shared/types';
import type { PixelData } from './decode';

export interface ArgmaxBuffers {
  bandRows: number;
  /** Float32 per pixel: the highest variance seen so far (-1 before any slice). */
  maxVariance: SharedArrayBuffer;
  /** Uint16 per pixel: the index of the slice that holds the maximum. */
  winner: SharedArrayBuffer;
  /** Interleaved samples of the composite, in the stack's layout. */
  composite: SharedArrayBuffer;
  /** Int32 per band: 0 free, 1 held. */
  locks: SharedArrayBuffer;
}

export function createArgmaxBuffers(layout: PixelLayout, bandRows: number): ArgmaxBuffers {
  const pixels = layout.width * layout.height;
  const buffers: ArgmaxBuffers = {
    bandRows,
    maxVariance: new SharedArrayBuffer(pixels * 4),
    winner: new SharedArrayBuffer(pixels * 2),
    composite: new SharedArrayBuffer(pixels * layout.channels * (layout.bitDepth / 8)),
    locks: new SharedArrayBuffer(Math.ceil(layout.height / bandRows) * 4),
  };
  new Float32Array(buffers.maxVariance).fill(-1);
  return buffers;
}

export function compositeView(buffers: ArgmaxBuffers, layout: PixelLayout): PixelData {
  return layout.bitDepth === 16 ? new Uint16Array(buffers.composite) : new Uint8Array(buffers.composite);
}

function withBandLock<T>(locks: Int32Array, band: number, work: () => T): T {
  while (Atomics.compareExchange(locks, band, 0, 1) !== 0) Atomics.wait(locks, band, 1);
  try {
    return work();
  } finally {
    Atomics.store(locks, band, 0);
    Atomics.notify(locks, band, 1);
  }
}

/** Views over the shared buffers, made once per slice in a worker. */
export class ArgmaxMerger {
  private readonly maxVariance: Float32Array;
  private readonly winner: Uint16Array;
  private readonly composite: PixelData;
  private readonly locks: Int32Array;

  constructor(
    private readonly buffers: ArgmaxBuffers,
    private readonly layout: PixelLayout,
  ) {
    this.maxVariance = new Float32Array(buffers.maxVariance);
    this.winner = new Uint16Array(buffers.winner);
    this.composite = compositeView(buffers, layout);
    this.locks = new Int32Array(buffers.locks);
  }

  /** Merges rows y0.. of one slice's focus map (and its pixels) into the running maximum. */
  mergeBand(sliceIndex: number, y0: number, variance: Float32Array, pixels: PixelData): void {
    const { maxVariance, winner, composite } = this;
    const channels = this.layout.channels;
    const first = y0 * this.layout.width;
    withBandLock(this.locks, Math.floor(y0 / this.buffers.bandRows), () => {
      for (let i = 0; i < variance.length; i++) {
        const p = first + i;
        const v = variance[i];
        const best = maxVariance[p];
        if (v > best || (v === best && sliceIndex < winner[p])) {
          maxVariance[p] = v;
          winner[p] = sliceIndex;
          const s = p * channels;
          for (let c = 0; c < channels; c++) composite[s + c] = pixels[s + c];
        }
      }
    });
  }
}

/** Pixels won per slice, from the final winner map. */
export function countWins(winner: Uint16Array, sliceCount: number): number[] {
  const counts = new Array<number>(sliceCount).fill(0);
  for (let i = 0; i < winner.length; i++) counts[winner[i]]++;
  return counts;
}
