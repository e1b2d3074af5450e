// Stage "output": the plan of what a stack job writes (plain JSON, so it travels in sidecars, jobs
// and API calls), its defaults, and its checks before any file is looked at.
import path from 'node:path';
import type { ColourMapName } from '../../../shared/colour-maps';
import type { ScaleMode } from '../../../shared/colour-scale';
import type { PixelLayout, SliceRef } from '../../../shared/types';
import { DeepfieldError } from '../errors';
import { parseZStep, zStepFromImageJ, type ZStep } from './height-map';
import { plannedVisualFiles } from './visualise';
import { formatFromPath, outputDepth, type TiffCompression } from './write-image';

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
  const files = [plan.composite, plan.indexMap, plan.depthMap, plan.heightMap, plan.focusMap].filter((f): f is string => Boolean(f));
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(path.resolve(file))) throw new DeepfieldError(`Two outputs would be the same file: ${file}`, file);
    seen.add(path.resolve(file));
  }
}

/** Every file the plan writes for these slices, the sidecar last. */
export function plannedFiles(plan: OutputPlan, slices: SliceRef[]): string[] {
  const files = [plan.composite, plan.indexMap, plan.depthMap, plan.heightMap].filter((f): f is string => Boolean(f));
  files.push(...plannedVisualFiles({ slices, heatmapFolder: plan.heatmaps, focusMap: plan.focusMap, maskedFolder: plan.masked, maskedSlices: plan.maskedSlices }));
  if (plan.sidecar) files.push(sidecarPathFor(plan.composite));
  return files;
}

/** The slice spacing for the height map: the plan's, else the first slice's ImageJ metadata. */
export function resolveZStep(plan: OutputPlan, slices: SliceRef[]): ZStep | undefined {
  if (plan.zStep !== undefined) return parseZStep(plan.zStep);
  return slices.length > 0 ? zStepFromImageJ(slices[0].file) : undefined;
}


/**
 * Checks a valid plan against the stack it is for, before any file is written: a bit depth the
 * composite's format holds, the slice spacing a height map needs, masked slices that exist.
 * `zStepHint` tells the user how to give a spacing where this plan came from.
 */
export function checkPlanFits(plan: OutputPlan, layout: PixelLayout, slices: SliceRef[], zStepHint = 'pass --z-step (e.g. 0.5um)'): void {
  outputDepth(formatFromPath(plan.composite), layout, plan.depth);
  if (plan.heightMap && !resolveZStep(plan, slices)) {
    throw new DeepfieldError(`A height map needs the slice spacing: ${zStepHint}; the slices carry no ImageJ spacing`, plan.heightMap);
  }
  if (plan.maskedSlices?.some((k) => k < 0 || k >= slices.length)) {
    throw new DeepfieldError(`Expected slice numbers from 1 to ${slices.length} for masked slices but received ${plan.maskedSlices.map((k) => k + 1).join(',')}`);
  }
}
