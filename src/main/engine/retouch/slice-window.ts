// One window of a slice in the composite's frame, decoding only what the window needs: for an
// unaligned job the window itself, for an aligned one the part of the slice the window maps onto
// (plus the cubic kernel's reach), resampled the way the whole slice is (align/warp.ts). This is
// what retouching reads, so painting never holds a whole slice (a camera RAW file excepted: LibRaw
// develops whole files).
import type { PixelLayout, SliceRef } from '../../../shared/types';
import type { PixelWindow } from '../../../shared/retouch';
import type { SliceAlign } from '../align/tasks';
import { integerShift, warpSlice } from '../align/warp';
import { readRaw, samplesOf, sliceReader, type PixelData } from '../input/decode';

/** Keys' cubic reads from floor(x) - 1 to floor(x) + 2; one more for rounding at the box's edge. */
const KERNEL_REACH = 3;

async function decodeBox(slice: SliceRef, layout: PixelLayout, box: PixelWindow): Promise<PixelData> {
  const { data } = await readRaw(slice, layout, (await sliceReader(slice, layout)).extract(box), 'changed since stacking?');
  return samplesOf(data, layout.bitDepth);
}

/**
 * The pixels of `window` (in the composite's frame `layout`) of one slice: the slice decoded as
 * the stack decoded it and, for an aligned job (`align`), resampled onto the composite's frame.
 */
export async function readSliceWindow(slice: SliceRef, layout: PixelLayout, window: PixelWindow, align?: SliceAlign): Promise<PixelData> {
  if (!align) return decodeBox(slice, layout, window);
  const source = align.source;
  const [a, b, c, d, e, f] = align.warp.matrix;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const y of [window.top, window.top + window.height]) {
    for (const x of [window.left, window.left + window.width]) {
      xs.push(a * x + b * y + c);
      ys.push(d * x + e * y + f);
    }
  }
  const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  const left = clamp(Math.floor(Math.min(...xs)) - KERNEL_REACH, source.width - 1);
  const top = clamp(Math.floor(Math.min(...ys)) - KERNEL_REACH, source.height - 1);
  const right = clamp(Math.floor(Math.max(...xs)) + KERNEL_REACH + 1, source.width);
  const bottom = clamp(Math.floor(Math.max(...ys)) + KERNEL_REACH + 1, source.height);
  const box = { left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) };
  const pixels = await decodeBox(slice, source, box);
  // The window's pixel (u, v) is the frame's (u + window.left, v + window.top); the box starts at
  // (left, top) of the slice. Taps past the box are past the slice too, where both repeat the edge.
  const matrix: typeof align.warp.matrix = [a, b, a * window.left + b * window.top + c - left, d, e, d * window.left + e * window.top + f - top];
  const resample = !integerShift(align.warp.matrix, layout.width, layout.height);
  return warpSlice(pixels, { ...source, width: box.width, height: box.height }, window.width, window.height, { ...align.warp, matrix }, 'auto', resample);
}
