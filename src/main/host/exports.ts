// Exports from a finished job, through the engine's writers: single files under a name nobody has
// taken (the engine's writeUnderFreeName stage: a hidden temporary file first, then hard-linked
// to a free name, so two exports racing for one name both survive), the composite and the export
// dialog's many files through writeStackResult, as the command line writes them.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ExportOutputs, ExportRequest, ExportResult } from '../../shared/api';
import { colourLut, paintColours } from '../../shared/colour-maps';
import { createVarianceScale } from '../../shared/colour-scale';
import { extensionOf } from '../../shared/formats';
import { candidateName, type StageFile, checkPlanFits, DeepfieldError, DEFAULT_OUTPUT_PLAN, describeFsError, type OutputPlan, sidecarPathFor, type StackResult, validatePlan, writeImageAtomic, writeIndexMap, writeStackResult, writeUnderFreeName } from '../engine';

/**
 * The name a file of this request gets by default, saying the merge method as the command line's
 * users name theirs: pcb-pyramid.png, pcb-pyramid-index.png, pcb-pyramid-depth.png, and
 * pcb-heatmap-03.png (a slice's focus map does not depend on the method).
 */
export function defaultExportName(stackName: string, request: Pick<ExportRequest, 'kind' | 'format' | 'slice' | 'method'>): string {
  const base = stackName.replace(/[^\w.-]+/g, '_') || 'stack';
  const method = request.method ?? 'composite';
  const what =
    request.kind === 'composite'
      ? method
      : request.kind === 'indexMap'
        ? `${method}-index`
        : request.kind === 'depthColour'
          ? `${method}-depth`
          : `heatmap-${String((request.slice ?? 0) + 1).padStart(2, '0')}`;
  return `${base}-${what}${extensionOf(request.format)}`;
}

/** Makes the export folder if it is missing; a folder that cannot be made is named in the error. */
async function ensureFolder(folder: string, target: string): Promise<void> {
  try {
    await fs.mkdir(folder, { recursive: true });
  } catch (error) {
    throw new DeepfieldError(`Cannot export to ${folder}: ${describeFsError(error)}`, target);
  }
}

/** Writes one file through a stage: where the file goes is the caller's (writeUnique's). */
export type ImageWriter = (file: string, stage: StageFile) => Promise<void>;

/** Writes through `write` as `target`, or the first free name beside it (returned), never replacing a file. */
export async function writeUnique(target: string, write: ImageWriter): Promise<string> {
  await ensureFolder(path.dirname(target), target);
  let written = target;
  await write(target, async (output, produce) => {
    written = await writeUnderFreeName(output, produce);
  });
  return written;
}

export function indexMapWriter(indexMap: Uint16Array, width: number, height: number, format: ExportRequest['format']): ImageWriter {
  if (format === 'jpeg') throw new DeepfieldError('The index map is exported as PNG or TIFF (JPEG would change slice numbers)');
  return (file, stage) => writeIndexMap(file, indexMap, width, height, stage);
}

export function rgbWriter(rgb: Uint8Array, width: number, height: number, format: ExportRequest['format'], quality?: number): ImageWriter {
  return (file, stage) => writeImageAtomic(file, rgb, { width, height, channels: 3, bitDepth: 8 }, { format, quality, stage });
}

/** A focus map painted on the stack's shared scale (the same mapping the heatmap view uses). */
export function heatmapRgb(focusMap: Float32Array, maxVariance: number, scale: 'linear' | 'log', colourMap: 'viridis' | 'inferno'): Uint8Array {
  return paintColours(focusMap, createVarianceScale(maxVariance, scale).toUnit, colourLut(colourMap));
}

/** The engine's OutputPlan for the export dialog's choices, every file inside `folder`, the composite named `compositeName`. */
export function outputPlanFor(folder: string, outputs: ExportOutputs, compositeName: string): OutputPlan {
  const { composite } = outputs;
  return {
    ...DEFAULT_OUTPUT_PLAN,
    composite: path.join(folder, `${compositeName}${extensionOf(composite.format)}`),
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
    // Provenance as the command line writes it: the inputs with their SHA-256, options, outputs.
    sidecar: true,
  };
}

/** Creates `base`, or `base-2`, `base-3`, ... when taken: a folder nobody else has, so nothing in it is replaced. */
async function makeUniqueFolder(base: string): Promise<string> {
  await ensureFolder(path.dirname(base), base);
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
 * Writes the dialog's choices through the engine's writeStackResult (the command line's writer:
 * metadata, sidecar, one set) into a new folder `base` (or the first free variant). The plan is
 * checked before the folder is made; a failure removes it.
 */
export async function writeOutputsUnique(result: StackResult, base: string, outputs: ExportOutputs, compositeName: string, excluded?: string[]): Promise<ExportResult> {
  const check = outputPlanFor(base, outputs, compositeName);
  validatePlan(check);
  checkPlanFits(check, result.slices, result.layout, 'give a z-step such as 0.5um');
  const folder = await makeUniqueFolder(base);
  try {
    const written = await writeStackResult(result, { plan: outputPlanFor(folder, outputs, compositeName), excluded });
    return { path: folder, files: [...written.files, ...(written.sidecarFile ? [written.sidecarFile] : [])] };
  } catch (error) {
    await fs.rm(folder, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The composite alone, with the reference slice's metadata and its sidecar, written by the
 * engine's writeStackResult under `target` or the first free variant (name-2.png, ...) whose
 * sidecar name is free too: an export never replaces a file.
 */
export async function exportComposite(result: StackResult, target: string, format: ExportRequest['format'], quality?: number, excluded?: string[]): Promise<ExportResult> {
  const plan = (file: string): OutputPlan => ({
    ...DEFAULT_OUTPUT_PLAN,
    composite: file,
    // "16-bit TIFF": 8-bit slices are widened (x257) so later edits keep headroom.
    depth: format === 'tiff' ? 16 : undefined,
    quality: quality ?? DEFAULT_OUTPUT_PLAN.quality,
    metadata: true,
    sidecar: true,
  });
  await ensureFolder(path.dirname(target), target);
  for (let attempt = 1; attempt < 10_000; attempt++) {
    const candidate = candidateName(target, attempt);
    if ((await exists(candidate)) || (await exists(sidecarPathFor(candidate)))) continue;
    try {
      const written = await writeStackResult(result, { plan: plan(candidate), excluded });
      return { path: candidate, files: [...written.files, ...(written.sidecarFile ? [written.sidecarFile] : [])] };
    } catch (error) {
      // Another export took the name between the look and the write: try the next one.
      if (error instanceof DeepfieldError && /^Refusing to overwrite/.test(error.message)) continue;
      throw error;
    }
  }
  throw new DeepfieldError(`Cannot find a free file name next to ${target}`, target);
}

function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}
