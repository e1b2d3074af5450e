// Exports from a finished job: each file written completely under a hidden temporary name first
// (write-image's atomic writer), then published under a name nobody has taken, never replacing
// an existing file. Hard-linking the finished file to the new name fails if the name exists, so
// two exports racing for one name both survive.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ExportOutputs, ExportRequest, ExportResult } from '../../shared/api';
import { colourLut } from '../../shared/colour-maps';
import { createVarianceScale } from '../../shared/colour-scale';
import { DeepfieldError, DEFAULT_OUTPUT_PLAN, describeFsError, formatFromPath, outputDepth, type OutputPlan, resolveZStep, sidecarPathFor, type StackResult, validatePlan, writeImageAtomic, writeIndexMap, writeStackResult } from '../engine';

const EXTENSION = { png: '.png', tiff: '.tif', jpeg: '.jpg' } as const;

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
  return `${base}-${what}${EXTENSION[request.format]}`;
}

/** `name.ext`, `name-2.ext`, `name-3.ext`, ... */
function candidateName(target: string, attempt: number): string {
  if (attempt === 1) return target;
  const ext = path.extname(target);
  return `${target.slice(0, target.length - ext.length)}-${attempt}${ext}`;
}

/** Publishes a finished temporary file under `target` or the first free variant of it. */
async function publishUnique(temporary: string, target: string): Promise<string> {
  for (let attempt = 1; attempt < 10_000; attempt++) {
    const candidate = candidateName(target, attempt);
    try {
      await fs.link(temporary, candidate);
      return candidate;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
    }
    // File systems without hard links (FAT, some network shares): reserve the name by creating
    // it exclusively, then replace that empty reservation with the finished file.
    try {
      await (await fs.open(candidate, 'wx')).close();
    } catch (error) {
      if ((error as { code?: string }).code === 'EEXIST') continue;
      throw error;
    }
    await fs.rename(temporary, candidate);
    return candidate;
  }
  throw new DeepfieldError(`Cannot find a free file name next to ${target}`, target);
}

/** Makes the export folder if it is missing; a folder that cannot be made is named in the error. */
async function ensureFolder(folder: string, target: string): Promise<void> {
  try {
    await fs.mkdir(folder, { recursive: true });
  } catch (error) {
    throw new DeepfieldError(`Cannot export to ${folder}: ${describeFsError(error)}`, target);
  }
}

export type ImageWriter = (file: string) => Promise<void>;

/** Writes through `write` to a hidden file beside `target`, then publishes it under a free name. */
export async function writeUnique(target: string, write: ImageWriter): Promise<string> {
  const dir = path.dirname(target);
  await ensureFolder(dir, target);
  const ext = path.extname(target);
  const temporary = path.join(dir, `.${path.basename(target, ext)}.${randomBytes(6).toString('hex')}.export${ext}`);
  try {
    await write(temporary);
    return await publishUnique(temporary, target);
  } catch (error) {
    if (error instanceof DeepfieldError) throw error;
    throw new DeepfieldError(`Cannot write ${target}: ${describeFsError(error)}`, target);
  } finally {
    await fs.rm(temporary, { force: true });
  }
}

export function indexMapWriter(indexMap: Uint16Array, width: number, height: number, format: ExportRequest['format']): ImageWriter {
  if (format === 'jpeg') throw new DeepfieldError('The index map is exported as PNG or TIFF (JPEG would change slice numbers)');
  return (file) => writeIndexMap(file, indexMap, width, height);
}

export function rgbWriter(rgb: Uint8Array, width: number, height: number, format: ExportRequest['format'], quality?: number): ImageWriter {
  return (file) => writeImageAtomic(file, rgb, { width, height, channels: 3, bitDepth: 8 }, { format, quality });
}

/** A focus map painted on the stack's shared scale (the same mapping the heatmap view uses). */
export function heatmapRgb(focusMap: Float32Array, maxVariance: number, scale: 'linear' | 'log', colourMap: 'viridis' | 'inferno'): Uint8Array {
  const toUnit = createVarianceScale(maxVariance, scale).toUnit;
  const lut = colourLut(colourMap);
  const rgb = new Uint8Array(focusMap.length * 3);
  for (let i = 0; i < focusMap.length; i++) {
    const j = Math.round(toUnit(focusMap[i]) * 255) * 3;
    rgb[i * 3] = lut[j];
    rgb[i * 3 + 1] = lut[j + 1];
    rgb[i * 3 + 2] = lut[j + 2];
  }
  return rgb;
}

const COMPOSITE_EXTENSION = { png: '.png', tiff: '.tif', jpeg: '.jpg', webp: '.webp' } as const;

/** The engine's OutputPlan for the export dialog's choices, every file inside `folder`, the composite named `compositeName`. */
export function outputPlanFor(folder: string, outputs: ExportOutputs, compositeName: string): OutputPlan {
  const { composite } = outputs;
  return {
    ...DEFAULT_OUTPUT_PLAN,
    composite: path.join(folder, `${compositeName}${COMPOSITE_EXTENSION[composite.format]}`),
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
export async function writeOutputsUnique(result: StackResult, base: string, outputs: ExportOutputs, compositeName: string): Promise<ExportResult> {
  const check = outputPlanFor(base, outputs, compositeName);
  validatePlan(check);
  outputDepth(formatFromPath(check.composite), result.layout, check.depth);
  if (check.heightMap && !resolveZStep(check, result.slices)) {
    throw new DeepfieldError('A height map needs the slice spacing: give a z-step such as 0.5um (the slices carry no ImageJ spacing)');
  }
  const outOfRange = check.maskedSlices?.filter((k) => k >= result.slices.length) ?? [];
  if (outOfRange.length > 0) {
    throw new DeepfieldError(`Expected slice numbers from 1 to ${result.slices.length} for masked slices but received ${outOfRange.map((k) => k + 1).join(',')}`);
  }
  const folder = await makeUniqueFolder(base);
  try {
    const written = await writeStackResult(result, { plan: outputPlanFor(folder, outputs, compositeName) });
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
export async function exportComposite(result: StackResult, target: string, format: ExportRequest['format'], quality?: number): Promise<ExportResult> {
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
      const written = await writeStackResult(result, { plan: plan(candidate) });
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
