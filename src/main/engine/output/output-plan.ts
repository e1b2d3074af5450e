// Stage "output": the plan of what a stack job writes (plain JSON, so it travels in sidecars, jobs
// and API calls), its defaults, and its checks before any file is looked at.
import path from 'node:path';
import type { ColourMapName } from '../../../shared/colour-maps';
import type { ScaleMode } from '../../../shared/colour-scale';
import type { PixelLayout, SliceRef } from '../../../shared/types';
import { DeepfieldError } from '../errors';
import { parseZStep, zStepFromImageJ, type ZStep } from './height-map';
import { plannedVisualFiles } from './visualise';
import { formatFromPath, type TiffCompression } from './write-image';

export const SIDECAR_SUFFIX = '.deepfield.json';

/** The provenance sidecar written beside a composite. */
export function sidecarPathFor(composite: string): string {
  return path.resolve(composite) + SIDECAR_SUFFIX;
}

/** What to write for a stack job. Paths are absolute once planned; every field is plain JSON. */
export interface OutputPlan {
  /** The composite; its format comes from the extension. */
  composite: string;
  /** Bits per sample (default: the input's where the format holds it). */
  depth?: 8 | 16;
  /** JPEG/WebP quality 1-100. */
  quality: number;
  tiffCompression: TiffCompression;
  /** Carry the reference slice's EXIF, XMP and ICC profile into the composite. */
  metadata: boolean;
  /** Winning slice per pixel, 16-bit greyscale PNG or TIFF. */
  indexMap?: string;
  /** How decisive each pixel's focus peak is (0-1 as 16-bit grey), PNG or TIFF. */
  confidenceMap?: string;
  /** Colourised depth with a legend, PNG. */
  depthMap?: string;
  /** Height in physical units, 32-bit float TIFF (needs zStep or ImageJ spacing). */
  heightMap?: string;
  /** Slice spacing as given, e.g. "0.5um"; without it an ImageJ TIFF's spacing is used. */
  zStep?: string;
  /** Refine depth below one slice (depth map and height map). */
  subslice: boolean;
  /** Folder of per-slice focus heatmaps. */
  heatmaps?: string;
  /** Inverted greyscale focus map, PNG. */
  focusMap?: string;
  /** Folder of in-focus-on-white images, for maskedSlices (0-based; default all). */
  masked?: string;
  maskedSlices?: number[];
  heatmapScale: ScaleMode;
  colourMap: ColourMapName;
  /** Write `<composite>.deepfield.json`. */
  sidecar: boolean;
}

export const DEFAULT_OUTPUT_PLAN: Omit<OutputPlan, 'composite'> = {
  quality: 92,
  tiffCompression: 'deflate',
  metadata: true,
  subslice: false,
  heatmapScale: 'linear',
  colourMap: 'viridis',
  sidecar: true,
};

/** The plan with every path made absolute. */
export function resolvePlan(plan: OutputPlan): OutputPlan {
  const abs = (p?: string) => (p === undefined ? undefined : path.resolve(p));
  return {
    ...plan,
    composite: path.resolve(plan.composite),
    indexMap: abs(plan.indexMap),
    confidenceMap: abs(plan.confidenceMap),
    depthMap: abs(plan.depthMap),
    heightMap: abs(plan.heightMap),
    heatmaps: abs(plan.heatmaps),
    focusMap: abs(plan.focusMap),
    masked: abs(plan.masked),
  };
}

/** Checks the plan's own consistency (before any file is looked at). */
export function validatePlan(plan: OutputPlan): void {
  formatFromPath(plan.composite);
  if (plan.indexMap && !/\.(png|tiff?)$/i.test(plan.indexMap)) {
    throw new DeepfieldError(`The index map must be a .png or .tif file, not ${path.basename(plan.indexMap)}`, plan.indexMap);
  }
  if (plan.confidenceMap && !/\.(png|tiff?)$/i.test(plan.confidenceMap)) {
    throw new DeepfieldError(`The confidence map must be a .png or .tif file, not ${path.basename(plan.confidenceMap)}`, plan.confidenceMap);
  }
  if (plan.depthMap && !/\.png$/i.test(plan.depthMap)) {
    throw new DeepfieldError(`The depth map is a PNG: name it .png, not ${path.basename(plan.depthMap)}`, plan.depthMap);
  }
  if (plan.focusMap && !/\.png$/i.test(plan.focusMap)) {
    throw new DeepfieldError(`The focus map is a PNG: name it .png, not ${path.basename(plan.focusMap)}`, plan.focusMap);
  }
  if (plan.heightMap && !/\.tiff?$/i.test(plan.heightMap)) {
    throw new DeepfieldError(`The height map is a 32-bit float TIFF: name it .tif or .tiff, not ${path.basename(plan.heightMap)}`, plan.heightMap);
  }
  if (plan.zStep !== undefined) parseZStep(plan.zStep);
  const files = [plan.composite, plan.indexMap, plan.confidenceMap, plan.depthMap, plan.heightMap, plan.focusMap].filter((f): f is string => Boolean(f));
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(path.resolve(file))) throw new DeepfieldError(`Two outputs would be the same file: ${file}`, file);
    seen.add(path.resolve(file));
  }
}

/** Every file the plan writes for these slices, the sidecar last. */
export function plannedFiles(plan: OutputPlan, slices: SliceRef[]): string[] {
  const files = [plan.composite, plan.indexMap, plan.confidenceMap, plan.depthMap, plan.heightMap].filter((f): f is string => Boolean(f));
  files.push(...plannedVisualFiles({ slices, heatmapFolder: plan.heatmaps, focusMap: plan.focusMap, maskedFolder: plan.masked, maskedSlices: plan.maskedSlices }));
  if (plan.sidecar) files.push(sidecarPathFor(plan.composite));
  return files;
}

/**
 * Each planned file's rough size on disk in bytes, for the disk-full message: its raw size times
 * what its format typically keeps (measured on the pcb and microtubules stacks: a lossless
 * composite ~0.8, a JPEG ~0.15, index and depth maps and heatmaps under 0.1), in the plan's order.
 */
export function expectedOutputBytes(plan: OutputPlan, slices: SliceRef[], layout: PixelLayout): Map<string, number> {
  const pixels = layout.width * layout.height;
  const lossy = /\.(jpe?g|webp)$/i.test(plan.composite);
  const samples = pixels * layout.channels;
  const sizes = new Map<string, number>([[plan.composite, samples * ((plan.depth ?? layout.bitDepth) / 8) * (lossy ? 0.15 : 0.8)]]);
  if (plan.indexMap) sizes.set(plan.indexMap, pixels * 2 * 0.1);
  if (plan.confidenceMap) sizes.set(plan.confidenceMap, pixels * 2 * 0.5);
  if (plan.depthMap) sizes.set(plan.depthMap, pixels * 3 * 0.06);
  if (plan.heightMap) sizes.set(plan.heightMap, pixels * 4 * 0.8);
  const visuals = plannedVisualFiles({ slices, heatmapFolder: plan.heatmaps, focusMap: plan.focusMap, maskedFolder: plan.masked, maskedSlices: plan.maskedSlices });
  for (const file of visuals) {
    const masked = plan.masked !== undefined && file.startsWith(plan.masked + path.sep);
    sizes.set(file, file === plan.focusMap ? pixels * 0.35 : masked ? samples * (layout.bitDepth / 8) * 0.2 : pixels * 3 * 0.08);
  }
  if (plan.sidecar) sizes.set(sidecarPathFor(plan.composite), 4096 + 512 * slices.length);
  return sizes;
}

/** The slice spacing for the height map: the plan's, else the first slice's ImageJ metadata. */
export function resolveZStep(plan: OutputPlan, slices: SliceRef[]): ZStep | undefined {
  if (plan.zStep !== undefined) return parseZStep(plan.zStep);
  return slices.length > 0 ? zStepFromImageJ(slices[0].file) : undefined;
}

