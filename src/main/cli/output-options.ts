// The command line's output flags, shared by `stack` (each output named by its path) and `batch`
// (each output switched on, named after the stack in the output folder), turned into the
// engine's OutputPlan (src/main/engine/output/outputs.ts) in one place.
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { describeExpected } from '../../shared/options';
import { DEFAULT_OUTPUT_PLAN, type OutputPlan, parseZStep } from '../engine';

function parseWhole(parameter: string, lo: number, hi: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < lo || n > hi) {
      throw new InvalidArgumentError(describeExpected(`a whole number from ${lo} to ${hi}`, parameter, value));
    }
    return n;
  };
}

function parseDepth(value: string): 8 | 16 {
  if (value !== '8' && value !== '16') throw new InvalidArgumentError(describeExpected('8 or 16', 'depth', value));
  return Number(value) as 8 | 16;
}

function checkZStep(value: string): string {
  try {
    parseZStep(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

/** "3,5-7" (1-based, as the user counts slices) to 0-based indices. */
export function parseSliceList(value: string): number[] {
  const slices = new Set<number>();
  for (const part of value.split(',')) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const from = match ? Number(match[1]) : NaN;
    const to = match?.[2] ? Number(match[2]) : from;
    if (!match || from < 1 || to < from) {
      throw new InvalidArgumentError(describeExpected('slice numbers from 1, like 3,5-7', 'masked-slices', value));
    }
    for (let k = from; k <= to; k++) slices.add(k - 1);
  }
  return [...slices].sort((a, b) => a - b);
}

export type OutputFlagMode = 'stack' | 'batch';

/** Adds the output flags; in batch mode the per-output flags are switches, not paths. */
export function addOutputOptions(command: Command, mode: OutputFlagMode): Command {
  const stack = mode === 'stack';
  command
    .addOption(new Option('--depth <bits>', 'bits per sample of the composite: 8 or 16 (default: the slices\'; 16 -> 8 stretches the data\'s actual range; JPEG/WebP hold 8 only)').argParser(parseDepth))
    .option('--quality <q>', 'JPEG/WebP quality, 1-100', parseWhole('quality', 1, 100), DEFAULT_OUTPUT_PLAN.quality)
    .addOption(new Option('--tiff-compression <kind>', 'lossless TIFF compression').choices(['deflate', 'lzw']).default(DEFAULT_OUTPUT_PLAN.tiffCompression))
    .option('--no-metadata', 'do not carry the reference slice\'s EXIF, XMP and ICC profile into the composite');
  if (stack) {
    command
      .option('--index-map <file>', 'also write the winning slice index per pixel (0-based) as a 16-bit greyscale .png or .tif')
      .option('--depth-map <png>', 'also write the depth map in colour, with a legend (slices, or heights with a z-step)')
      .option('--height-map <tif>', 'also write the height per pixel in physical units as a 32-bit float TIFF (needs --z-step or ImageJ spacing in the TIFF slices)')
      .option('--heatmaps <folder>', 'also write each slice\'s focus measure as a colour PNG, all on one shared scale')
      .option('--focus-map <png>', 'also write the inverted greyscale focus map (dark where some slice is sharp, white where none is)')
      .option('--masked <folder>', 'also write slices with only their in-focus pixels, on white (see --masked-slices)');
  } else {
    command
      .option('--index-map', 'also write <stack>.index.png per stack: the winning slice index, 16-bit greyscale')
      .option('--depth-map', 'also write <stack>.depth.png per stack: the depth map in colour with a legend')
      .option('--height-map', 'also write <stack>.height.tif per stack: 32-bit float heights (needs --z-step or ImageJ spacing)')
      .option('--heatmaps', 'also write <stack>.heatmaps/: each slice\'s focus measure as a colour PNG on one shared scale')
      .option('--focus-map', 'also write <stack>.focus.png per stack: the inverted greyscale focus map')
      .option('--masked', 'also write <stack>.in-focus/: slices with only their in-focus pixels, on white');
  }
  return command
    .option('--z-step <distance>', 'distance between slices\' focal planes with its unit (nm, um, mm), e.g. 0.5um; default: the spacing in an ImageJ TIFF', checkZStep)
    .option('--subslice', 'refine depth below one slice (parabola through each pixel\'s focus peak) for the depth and height maps', false)
    .option('--masked-slices <list>', 'which slices --masked writes, counted from 1, e.g. 3,5-7 (default: all)', parseSliceList)
    .addOption(new Option('--heatmap-scale <scale>', 'scale of --heatmaps and --focus-map').choices(['linear', 'log']).default(DEFAULT_OUTPUT_PLAN.heatmapScale))
    .addOption(new Option('--colour-map <name>', 'colour map of --heatmaps').choices(['viridis', 'inferno', 'turbo']).default(DEFAULT_OUTPUT_PLAN.colourMap))
    .option('--no-sidecar', 'do not write <output>.deepfield.json (the provenance record that --replay and batch resuming read)');
}

export interface OutputFlags {
  depth?: 8 | 16;
  quality: number;
  tiffCompression: 'deflate' | 'lzw';
  metadata: boolean;
  indexMap?: string | boolean;
  depthMap?: string | boolean;
  heightMap?: string | boolean;
  heatmaps?: string | boolean;
  focusMap?: string | boolean;
  masked?: string | boolean;
  zStep?: string;
  subslice: boolean;
  maskedSlices?: number[];
  heatmapScale: 'linear' | 'log';
  colourMap: 'viridis' | 'inferno' | 'turbo';
  sidecar: boolean;
}

function common(flags: OutputFlags, composite: string): OutputPlan {
  return {
    composite,
    depth: flags.depth,
    quality: flags.quality,
    tiffCompression: flags.tiffCompression,
    metadata: flags.metadata,
    zStep: flags.zStep,
    subslice: flags.subslice,
    maskedSlices: flags.maskedSlices,
    heatmapScale: flags.heatmapScale,
    colourMap: flags.colourMap,
    sidecar: flags.sidecar,
  };
}

/** `deepfield stack`: outputs at the paths given. */
export function planFromStackFlags(flags: OutputFlags, output: string): OutputPlan {
  const file = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
  return {
    ...common(flags, output),
    indexMap: file(flags.indexMap),
    depthMap: file(flags.depthMap),
    heightMap: file(flags.heightMap),
    heatmaps: file(flags.heatmaps),
    focusMap: file(flags.focusMap),
    masked: file(flags.masked),
  };
}

/** `deepfield batch`: outputs named after the stack, in the output folder. */
export function planFromBatchFlags(flags: OutputFlags, outFolder: string, stackName: string, extension: string): OutputPlan {
  const at = (suffix: string) => path.join(outFolder, `${stackName}${suffix}`);
  return {
    ...common(flags, at(`.${extension}`)),
    indexMap: flags.indexMap ? at('.index.png') : undefined,
    depthMap: flags.depthMap ? at('.depth.png') : undefined,
    heightMap: flags.heightMap ? at('.height.tif') : undefined,
    heatmaps: flags.heatmaps ? at('.heatmaps') : undefined,
    focusMap: flags.focusMap ? at('.focus.png') : undefined,
    masked: flags.masked ? at('.in-focus') : undefined,
  };
}
