// Stage "retouch": strokes applied in order to the merged composite and its index map. A brush
// stroke blends its source slice's pixels (in the composite's frame) in by the brush's strength;
// the eraser blends the merged result back. Where a stroke's strength is at least one half, the
// index map takes the stroke's choice (the painted slice, or the merged winner again), so the
// depth map follows what the eye sees. Only the windows the strokes touch are read.
import { strokeCoverage, strokeWindow, type PixelWindow, type RetouchStroke } from '../../../shared/retouch';
import type { PixelLayout } from '../../../shared/types';
import type { PixelData } from '../input/decode';

export interface MergedImages {
  layout: PixelLayout;
  composite: PixelData;
  indexMap: Uint16Array;
}

export interface RetouchedImages {
  composite: PixelData;
  indexMap: Uint16Array;
  /** 1 where some stroke set the index map (the depth there is the stroke's choice, not a measurement). */
  decided: Uint8Array;
}

/** Reads one window of source slice `slice` in the composite's frame (slice-window.ts). */
export type SliceWindowReader = (slice: number, window: PixelWindow) => Promise<PixelData>;

/**
 * Applies `strokes` in order to copies of the merged images (which are left as they are: the
 * eraser needs them), or of `from`, the same merged images with earlier strokes applied (a
 * stroke added in the app is applied on its own). Deterministic: the same strokes on the same
 * stack give the same bytes, in one call or many.
 */
export async function applyRetouch(merged: MergedImages, strokes: RetouchStroke[], readWindow: SliceWindowReader, signal?: AbortSignal, from?: RetouchedImages): Promise<RetouchedImages> {
  const { layout } = merged;
  const { width, channels } = layout;
  const composite = (from ?? merged).composite.slice();
  const indexMap = (from ?? merged).indexMap.slice();
  const decided = from ? from.decided.slice() : new Uint8Array(indexMap.length);
  for (const stroke of strokes) {
    signal?.throwIfAborted();
    const window = strokeWindow(stroke, layout.width, layout.height);
    if (!window) continue;
    const coverage = strokeCoverage(stroke, window);
    const source = stroke.tool === 'brush' ? await readWindow(stroke.slice, window) : undefined;
    for (let v = 0; v < window.height; v++) {
      for (let u = 0; u < window.width; u++) {
        const strength = coverage[v * window.width + u];
        if (strength === 0) continue;
        const p = (window.top + v) * width + window.left + u;
        const from = source ? (v * window.width + u) * channels : p * channels;
        const pixels = source ?? merged.composite;
        for (let c = 0; c < channels; c++) {
          const o = p * channels + c;
          composite[o] = strength === 1 ? pixels[from + c] : Math.round(composite[o] + (pixels[from + c] - composite[o]) * strength);
        }
        if (strength >= 0.5) {
          indexMap[p] = stroke.tool === 'brush' ? stroke.slice : merged.indexMap[p];
          decided[p] = stroke.tool === 'brush' ? 1 : 0;
        }
      }
    }
  }
  return { composite, indexMap, decided };
}
