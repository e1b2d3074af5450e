// Stage "depth": the slice spacing (from --z-step or a TIFF's ImageJ metadata) and the height map
// in physical units as a 32-bit float TIFF. Sub-slice depth comes from the merge stage
// (StackResult.subsliceDepth, merge-subslice.ts).
import path from 'node:path';
import { DeepfieldError } from '../errors';
import { readTiffFileTags, TAG, encodeFloat32Tiff } from '../input/tiff';
import { writeBytesAtomic, type StageFile } from './write-image';

export const Z_UNITS = ['nm', 'um', 'mm'] as const;
export type ZUnit = (typeof Z_UNITS)[number];

/** The distance between neighbouring slices' focal planes. */
export interface ZStep {
  value: number;
  unit: ZUnit;
  /** Where it came from, for the sidecar and messages. */
  source: 'option' | 'imagej';
}

const UNIT_ALIASES: Record<string, ZUnit> = {
  nm: 'nm',
  nanometer: 'nm',
  nanometre: 'nm',
  um: 'um',
  'µm': 'um',
  'μm': 'um',
  '\\u00b5m': 'um', // ImageJ escapes µ this way in its descriptions
  micron: 'um',
  microns: 'um',
  micrometer: 'um',
  micrometre: 'um',
  mm: 'mm',
  millimeter: 'mm',
  millimetre: 'mm',
};

/** Parses "0.5um", "50 nm", "0.01mm" (µm accepted). */
export function parseZStep(text: string): ZStep {
  const match = /^\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*([a-zµμ\\0-9]+)\s*$/i.exec(text);
  const unit = match ? UNIT_ALIASES[match[2].toLowerCase()] : undefined;
  const value = match ? Number(match[1]) : NaN;
  if (!match || !unit || !(value > 0) || !Number.isFinite(value)) {
    throw new DeepfieldError(
      `Expected a positive distance with a unit (nm, um or mm), like 0.5um, for z-step but received ${JSON.stringify(text)} of type string`,
    );
  }
  return { value, unit, source: 'option' };
}

/**
 * The slice spacing an ImageJ TIFF records ("spacing=0.05" and "unit=micron" in its
 * ImageDescription), or undefined when the file is not such a TIFF or records no usable spacing.
 */
export function zStepFromImageJ(file: string): ZStep | undefined {
  if (!/\.tiff?$/i.test(file)) return undefined;
  let description: unknown;
  try {
    description = readTiffFileTags(file).get(TAG.ImageDescription);
  } catch {
    return undefined; // not readable as a classic TIFF: the decoder reports real problems
  }
  if (typeof description !== 'string' || !description.startsWith('ImageJ=')) return undefined;
  const field = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(description as string)?.[1]?.trim();
  const spacing = Number(field('spacing'));
  const unit = UNIT_ALIASES[(field('unit') ?? '').toLowerCase()];
  if (!(spacing > 0) || !unit) return undefined;
  return { value: spacing, unit, source: 'imagej' };
}

/** Heights in `zStep`'s unit: slice 1's focal plane at 0, each further slice one step higher. */
export function heightFromDepth(depth: Float32Array, zStep: ZStep): Float32Array {
  const heights = new Float32Array(depth.length);
  for (let i = 0; i < depth.length; i++) heights[i] = depth[i] * zStep.value;
  return heights;
}

/** Writes heights as a 32-bit float TIFF, atomically; the unit is named in its ImageDescription. */
export async function writeHeightMap(output: string, heights: Float32Array, width: number, height: number, zStep: ZStep, stage?: StageFile): Promise<void> {
  if (!/\.tiff?$/i.test(output)) {
    throw new DeepfieldError(`The height map is a 32-bit float TIFF: name it .tif or .tiff, not ${path.basename(output)}`, output);
  }
  const unit = zStep.unit === 'um' ? 'µm' : zStep.unit;
  const description = `Deepfield height map: focal-plane height per pixel in ${unit} (first slice at 0, ${zStep.value} ${unit} per slice)`;
  await writeBytesAtomic(output, encodeFloat32Tiff(heights, width, height, description), stage);
}
