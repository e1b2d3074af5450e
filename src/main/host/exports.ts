// Exports from a finished job, through the engine's writers: each file written completely under a
// hidden temporary name first, then published under a name nobody has taken (writeImageAtomic's
// freeName), never replacing an existing file; many-file exports go through writeOutputs into a
// new folder.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ExportOutputs, ExportRequest, ExportResult } from '../../shared/api';
import { colourLut, paintColours } from '../../shared/colour-maps';
import { createVarianceScale } from '../../shared/colour-scale';
import { extensionOf } from '../../shared/formats';
import type { PixelLayout } from '../../shared/types';
import { checkPlanFits, DeepfieldError, DEFAULT_OUTPUT_PLAN, describeFsError, type OutputPlan, type PixelData, type StackResult, validatePlan, writeImageAtomic, writeIndexMap, writeOutputs } from '../engine';

/** The name a file of this request gets by default: <stack>-composite.png and so on. */
export function defaultExportName(stackName: string, request: ExportRequest): string {
  const base = stackName.replace(/[^\w.-]+/g, '_') || 'stack';
  const what =
    request.kind === 'composite'
      ? 'composite'
      : request.kind === 'indexMap'
        ? 'index'
        : request.kind === 'depthColour'
          ? 'depth'
          : `heatmap-${String((request.slice ?? 0) + 1).padStart(2, '0')}`;
  return `${base}-${what}${extensionOf(request.format)}`;
}

/** Writes one export under a name nobody has taken (the engine's writer with freeName). */
export type ImageWriter = (target: string) => Promise<string>;

/** Writes through `write` as `target`, or as the first free name beside it, into a folder made if needed. */
export async function writeUnique(target: string, write: ImageWriter): Promise<string> {
  const dir = path.dirname(target);
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new DeepfieldError(`Cannot export to ${dir}: ${describeFsError(error)}`, target);
  }
  return write(target);
}

/** The composite's writer for a format: 16-bit TIFF widens 8-bit samples (x257) so edits keep headroom. */
export function compositeWriter(composite: PixelData, layout: PixelLayout, format: ExportRequest['format'], quality?: number): ImageWriter {
  const depth = format === 'tiff' ? 16 : undefined;
  return (file) => writeImageAtomic(file, composite, layout, { format, quality, depth, freeName: true });
}

export function indexMapWriter(indexMap: Uint16Array, width: number, height: number, format: ExportRequest['format']): ImageWriter {
  if (format === 'jpeg') throw new DeepfieldError('The index map is exported as PNG or TIFF (JPEG would change slice numbers)');
  return (file) => writeIndexMap(file, indexMap, width, height, { freeName: true });
}

export function rgbWriter(rgb: Uint8Array, width: number, height: number, format: ExportRequest['format'], quality?: number): ImageWriter {
  return (file) => writeImageAtomic(file, rgb, { width, height, channels: 3, bitDepth: 8 }, { format, quality, freeName: true });
}

/** A focus map painted on the stack's shared scale (the same mapping the heatmap view uses). */
export function heatmapRgb(focusMap: Float32Array, maxVariance: number, scale: 'linear' | 'log', colourMap: 'viridis' | 'inferno'): Uint8Array {
  return paintColours(focusMap, createVarianceScale(maxVariance, scale).toUnit, colourLut(colourMap));
}

/** The engine's OutputPlan for the export dialog's choices, every file inside `folder`. */
export function outputPlanFor(folder: string, outputs: ExportOutputs): OutputPlan {
  const { composite } = outputs;
  return {
    ...DEFAULT_OUTPUT_PLAN,
    composite: path.join(folder, `composite${extensionOf(composite.format)}`),
    depth: composite.depth,
    quality: composite.quality ?? DEFAULT_OUTPUT_PLAN.quality,
    tiffCompression: composite.tiffCompression ?? DEFAULT_OUTPUT_PLAN.tiffCompression,
    metadata: composite.metadata ?? DEFAULT_OUTPUT_PLAN.metadata,
    indexMap: outputs.indexMap ? path.join(folder, 'index.png') : undefined,
    depthMap: outputs.depthMap ? path.join(folder, 'depth.png') : undefined,
    heightMap: outputs.heightMap ? path.join(folder, 'height.tif') : undefined,
    zStep: outputs.zStep,
    subslice: outputs.subslice ?? false,
    heatmaps: outputs.heatmaps ? path.join(folder, 'heatmaps') : undefined,
    focusMap: outputs.focusMap ? path.join(folder, 'focus-map.png') : undefined,
    masked: outputs.maskedSlices?.length ? path.join(folder, 'in-focus') : undefined,
    maskedSlices: outputs.maskedSlices?.length ? outputs.maskedSlices : undefined,
    heatmapScale: outputs.heatmapScale ?? DEFAULT_OUTPUT_PLAN.heatmapScale,
    colourMap: outputs.colourMap ?? DEFAULT_OUTPUT_PLAN.colourMap,
    // The app's exports come from a job already in memory: no replayable sidecar.
    sidecar: false,
  };
}

/** Creates `base`, or `base-2`, `base-3`, ... when taken: a folder nobody else has, so nothing in it is replaced. */
async function makeUniqueFolder(base: string): Promise<string> {
  try {
    await fs.mkdir(path.dirname(base), { recursive: true });
  } catch (error) {
    throw new DeepfieldError(`Cannot export to ${path.dirname(base)}: ${describeFsError(error)}`, base);
  }
  for (let attempt = 1; attempt < 10_000; attempt++) {
    const candidate = attempt === 1 ? base : `${base}-${attempt}`;
    try {
      await fs.mkdir(candidate);
      return candidate;
    } catch (error) {
      if ((error as { code?: string }).code === 'EEXIST') continue;
      throw new DeepfieldError(`Cannot export to ${candidate}: ${describeFsError(error)}`, candidate);
    }
  }
  throw new DeepfieldError(`Cannot find a free folder name next to ${base}`, base);
}

/**
 * Writes the dialog's choices with the engine's writeOutputs into a new folder `base` (or the
 * first free variant). The plan is checked before the folder is made; a failure removes it.
 */
export async function writeOutputsUnique(result: StackResult, base: string, outputs: ExportOutputs): Promise<ExportResult> {
  const check = outputPlanFor(base, outputs);
  validatePlan(check);
  checkPlanFits(check, result.layout, result.slices, 'give a z-step such as 0.5um');
  const folder = await makeUniqueFolder(base);
  const plan = outputPlanFor(folder, outputs);
  try {
    for (const sub of [plan.heatmaps, plan.masked]) if (sub) await fs.mkdir(sub);
    const written = await writeOutputs(result, plan);
    return { path: folder, files: written.files };
  } catch (error) {
    await fs.rm(folder, { recursive: true, force: true });
    throw error;
  }
}
