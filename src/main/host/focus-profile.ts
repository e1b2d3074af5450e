// The exact raw variance of every slice at one pixel, without a full-resolution map per slice:
// each slice is decoded again but only a small window around the pixel is kept, and the focus
// kernel runs on that window. The Gaussian reaches `radius` pixels each way in each of its two
// passes, so a window with that margin gives the same value the full map has there. Where the
// window is cut by the image's edge it ends exactly at that edge, so the kernel's mirror padding
// mirrors the same samples it mirrors in the full image.
import { gaussianRadius } from '../../shared/gaussian';
import type { PixelLayout, SliceRef } from '../../shared/types';
import { computeFocusMap, decodeAligned, type PixelData, readRaw, samplesOf, type SliceAlign, sliceReader } from '../engine';

export interface Window {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The window around (x, y) that determines the focus value there, clipped to the image. */
export function profileWindow(x: number, y: number, layout: PixelLayout, sigma: number): Window {
  const margin = gaussianRadius(sigma) + 1;
  const left = Math.max(0, x - margin);
  const top = Math.max(0, y - margin);
  const right = Math.min(layout.width, x + margin + 1);
  const bottom = Math.min(layout.height, y + margin + 1);
  return { left, top, width: right - left, height: bottom - top };
}

/** Decodes one window of a slice the way decodeSlice decodes the whole of it. */
export async function decodeWindow(slice: SliceRef, layout: PixelLayout, window: Window): Promise<PixelData> {
  const { data } = await readRaw(slice, layout, (await sliceReader(slice, layout)).extract(window), 'changed since stacking?');
  return samplesOf(data, layout.bitDepth);
}

/** Raw variance of one slice at (x, y). */
export async function focusValueAt(slice: SliceRef, layout: PixelLayout, sigma: number, x: number, y: number): Promise<number> {
  const window = profileWindow(x, y, layout, sigma);
  const pixels = await decodeWindow(slice, layout, window);
  const map = computeFocusMap(pixels, { ...layout, width: window.width, height: window.height }, sigma);
  return map[(y - window.top) * window.width + (x - window.left)];
}

/** Copies one window out of a whole decoded image. */
export function cutWindow(pixels: PixelData, layout: PixelLayout, window: Window): PixelData {
  const rowLength = window.width * layout.channels;
  const out = pixels instanceof Uint16Array ? new Uint16Array(rowLength * window.height) : new Uint8Array(rowLength * window.height);
  for (let y = 0; y < window.height; y++) {
    const start = ((window.top + y) * layout.width + window.left) * layout.channels;
    out.set(pixels.subarray(start, start + rowLength), y * rowLength);
  }
  return out;
}

/**
 * Raw variance of one aligned slice at (x, y) of the aligned frame. The warp resamples the whole
 * slice, so the slice is decoded and warped whole (as the worker does), then only the window
 * is measured.
 */
export async function alignedFocusValueAt(slice: SliceRef, layout: PixelLayout, align: SliceAlign, sigma: number, x: number, y: number): Promise<number> {
  const window = profileWindow(x, y, layout, sigma);
  const pixels = cutWindow(await decodeAligned(slice, layout, align), layout, window);
  const map = computeFocusMap(pixels, { ...layout, width: window.width, height: window.height }, sigma);
  return map[(y - window.top) * window.width + (x - window.left)];
}

/** Raw variance of every slice at (x, y), a few slices at a time; `aligns` for an aligned job. */
export async function focusProfile(
  slices: SliceRef[],
  layout: PixelLayout,
  sigma: number,
  x: number,
  y: number,
  aligns?: SliceAlign[],
  parallel = 2,
): Promise<number[]> {
  const values = new Array<number>(slices.length);
  let next = 0;
  const lane = async () => {
    while (next < slices.length) {
      const k = next++;
      const align = aligns?.[k];
      values[k] = align ? await alignedFocusValueAt(slices[k], layout, align, sigma, x, y) : await focusValueAt(slices[k], layout, sigma, x, y);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, slices.length) }, lane));
  return values;
}
