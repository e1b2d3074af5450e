// Stage "export", pictures of the focus measure: the colourised depth map with its legend, per-slice
// heatmaps on one shared scale, the inverted greyscale focus map and in-focus-on-white masks.
// Heatmaps, focus map and masks need every slice's full-resolution focus map, which the stack job
// does not keep (memory would grow with the slice count), so they come from one extra pass that
// decodes and measures each slice again, one at a time.
import path from 'node:path';
import sharp from 'sharp';
import { colourLut, cssColour, depthColour, paintColours, type ColourMapName } from '../../../shared/colour-maps';
import { createVarianceScale, type ScaleMode } from '../../../shared/colour-scale';
import type { PixelLayout, SliceRef } from '../../../shared/types';
import { decodeAligned, type SliceAlign } from '../align/tasks';
import type { PixelData } from '../input/decode';
import { CancelledError } from '../errors';
import { computeFocusBands } from '../focus/focus-measure';
import type { ZStep } from './height-map';
import { writeAtomically, writeImageAtomic, type StageFile } from './write-image';

const DEPTH_STEPS = 1024;

/**
 * Depth (in slices, fractional with --subslice) as RGB through depthColour, the colours the app's
 * depth view and legend use, sampled finely enough that sub-slice depth is not banded.
 */
export function colouriseDepth(depth: Float32Array | Uint16Array, sliceCount: number): Uint8Array {
  const top = Math.max(1, sliceCount - 1);
  const lut = new Uint8Array(DEPTH_STEPS * 3);
  for (let i = 0; i < DEPTH_STEPS; i++) lut.set(depthColour((i / (DEPTH_STEPS - 1)) * top, sliceCount), i * 3);
  return paintColours(depth, (d) => d / top, lut);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The legend as SVG: a vertical colour bar from the first slice (top) to the last, labelled with
 * slice numbers, or heights when the z-step is known, at up to 9 evenly spaced ticks.
 */
export function depthLegendSvg(sliceCount: number, height: number, zStep?: ZStep): { svg: string; width: number } {
  const font = Math.max(10, Math.min(28, Math.round(height / 40)));
  const barWidth = font * 1.5;
  const margin = font;
  const barTop = font * 2.5;
  const barHeight = Math.max(10, height - barTop - margin);
  const unit = zStep ? (zStep.unit === 'um' ? 'µm' : zStep.unit) : '';
  const label = (k: number) => (zStep ? `${+(k * zStep.value).toPrecision(4)} ${unit}` : `slice ${k + 1}`);
  const labelChars = Math.max(label(0).length, label(sliceCount - 1).length, 6);
  const width = Math.ceil(margin * 2 + barWidth + font * 0.6 * labelChars + font);
  const stops = Array.from({ length: 17 }, (_, i) => {
    const t = i / 16;
    return `<stop offset="${t}" stop-color="${cssColour(depthColour(t * Math.max(1, sliceCount - 1), sliceCount))}"/>`;
  }).join('');
  const ticks = Math.min(sliceCount, 9);
  const tickMarks: string[] = [];
  for (let i = 0; i < ticks; i++) {
    const k = ticks === 1 ? 0 : Math.round((i * (sliceCount - 1)) / (ticks - 1));
    const y = barTop + (sliceCount > 1 ? (k / (sliceCount - 1)) * barHeight : barHeight / 2);
    tickMarks.push(
      `<line x1="${margin + barWidth}" y1="${y}" x2="${margin + barWidth + font / 3}" y2="${y}" stroke="black"/>` +
        `<text x="${margin + barWidth + font / 2}" y="${y + font / 3}">${escapeXml(label(k))}</text>`,
    );
  }
  const title = zStep ? 'height' : 'depth';
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<defs><linearGradient id="depth" x1="0" y1="0" x2="0" y2="1">${stops}</linearGradient></defs>` +
    `<g font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="black">` +
    `<text x="${margin}" y="${font * 1.4}">${title}</text>` +
    `<rect x="${margin}" y="${barTop}" width="${barWidth}" height="${barHeight}" fill="url(#depth)" stroke="black"/>` +
    tickMarks.join('') +
    `</g></svg>`;
  return { svg, width };
}

/** The colourised depth map with its legend on a white panel to the right, as a PNG. */
export async function writeDepthColourMap(
  output: string,
  depth: Float32Array | Uint16Array,
  layout: Pick<PixelLayout, 'width' | 'height'>,
  sliceCount: number,
  zStep?: ZStep,
  stage: StageFile = writeAtomically,
): Promise<void> {
  const { width, height } = layout;
  const legend = depthLegendSvg(sliceCount, height, zStep);
  const rgb = colouriseDepth(depth, sliceCount);
  await stage(output, async (temporary) => {
    await sharp(rgb, { raw: { width, height, channels: 3 } })
      .extend({ right: legend.width, background: '#ffffff' })
      .composite([{ input: Buffer.from(legend.svg), left: width, top: 0 }])
      .png({ compressionLevel: 6 })
      .toFile(temporary);
  });
}

export interface FocusVisualsRequest {
  slices: SliceRef[];
  layout: PixelLayout;
  sigma: number;
  /** The winner per pixel (the job's index map), for the masks. */
  indexMap: Uint16Array;
  /** The top of the shared scale: the largest variance of any slice (from the job's statistics). */
  maxVariance: number;
  scale: ScaleMode;
  colourMap: ColourMapName;
  /** Folder for one heatmap PNG per slice. */
  heatmapFolder?: string;
  /** The inverted greyscale focus map: white where nothing is sharp, black where something is. */
  focusMap?: string;
  /** Folder for in-focus-on-white images, and which slices (0-based; default all). */
  maskedFolder?: string;
  maskedSlices?: number[];
  /** Per slice, how its pixels are brought onto `layout` when the job was aligned. */
  sliceAligns?: Array<SliceAlign | undefined>;
  signal?: AbortSignal;
  onSlice?: (done: number, total: number) => void;
  /** Where each file goes (default: alone, atomically). */
  stage?: StageFile;
}

/** File names for per-slice outputs: the slice's name, `#page` made file-safe, then a suffix. */
export function perSliceFileName(slice: SliceRef, index: number, suffix: string): string {
  const base = slice.name.replace(/\.[^.#]+(#|$)/, '$1').replace(/[#/\\:]/g, '-');
  return `${String(index + 1).padStart(3, '0')}-${base}.${suffix}.png`;
}

/** Files the focus visualisations will write, so they can be checked before the job runs. */
export function plannedVisualFiles(request: Pick<FocusVisualsRequest, 'slices' | 'heatmapFolder' | 'focusMap' | 'maskedFolder' | 'maskedSlices'>): string[] {
  const files: string[] = [];
  request.slices.forEach((slice, k) => {
    if (request.heatmapFolder) files.push(path.join(request.heatmapFolder, perSliceFileName(slice, k, 'heatmap')));
  });
  if (request.focusMap) files.push(request.focusMap);
  for (const k of maskedIndices(request)) files.push(path.join(request.maskedFolder!, perSliceFileName(request.slices[k], k, 'in-focus')));
  return files;
}

function maskedIndices(request: Pick<FocusVisualsRequest, 'slices' | 'maskedFolder' | 'maskedSlices'>): number[] {
  if (!request.maskedFolder) return [];
  return request.maskedSlices ?? request.slices.map((_, k) => k);
}

/** The pixels slice `k` wins, on white elsewhere. */
export function maskSlice(pixels: PixelData, layout: PixelLayout, indexMap: Uint16Array, k: number): PixelData {
  const out = pixels.slice();
  const white = layout.bitDepth === 16 ? 65535 : 255;
  const { channels } = layout;
  for (let p = 0; p < indexMap.length; p++) {
    if (indexMap[p] === k) continue;
    out.fill(white, p * channels, p * channels + channels);
  }
  return out;
}

/** Heatmaps, focus map and masks in one pass over the slices (each decoded and measured once). */
export async function writeFocusVisuals(request: FocusVisualsRequest): Promise<string[]> {
  const { slices, layout, indexMap } = request;
  const { width, height } = layout;
  const scale = createVarianceScale(request.maxVariance, request.scale);
  const lut = colourLut(request.colourMap);
  const masked = new Set(maskedIndices(request));
  const needsFocus = Boolean(request.heatmapFolder || request.focusMap);
  const best = request.focusMap ? new Float32Array(width * height) : undefined;
  const written: string[] = [];
  const todo = slices.map((_, k) => k).filter((k) => needsFocus || masked.has(k));
  let done = 0;
  for (const k of todo) {
    if (request.signal?.aborted) throw new CancelledError();
    const slice = slices[k];
    const pixels = await decodeAligned(slice, layout, request.sliceAligns?.[k]);
    if (masked.has(k)) {
      const file = path.join(request.maskedFolder!, perSliceFileName(slice, k, 'in-focus'));
      await writeImageAtomic(file, maskSlice(pixels, layout, indexMap, k), layout, { stage: request.stage });
      written.push(file);
    }
    if (needsFocus) {
      const heat = request.heatmapFolder ? new Uint8Array(width * height * 3) : undefined;
      computeFocusBands(pixels, layout, request.sigma, (y0, _y1, variance) => {
        const first = y0 * width;
        if (best) for (let i = 0; i < variance.length; i++) if (variance[i] > best[first + i]) best[first + i] = variance[i];
        if (heat) paintColours(variance, scale.toUnit, lut, { out: heat, at: first });
      });
      if (heat) {
        const file = path.join(request.heatmapFolder!, perSliceFileName(slice, k, 'heatmap'));
        await writeImageAtomic(file, heat, { width, height, channels: 3, bitDepth: 8 }, { stage: request.stage });
        written.push(file);
      }
    }
    request.onSlice?.(++done, todo.length);
  }
  if (best && request.focusMap) {
    const grey = new Uint8Array(width * height);
    for (let p = 0; p < grey.length; p++) grey[p] = 255 - Math.round(scale.toUnit(best[p]) * 255);
    await writeImageAtomic(request.focusMap, grey, { width, height, channels: 1, bitDepth: 8 }, { stage: request.stage });
    written.push(request.focusMap);
  }
  return written;
}
