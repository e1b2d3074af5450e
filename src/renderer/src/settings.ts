// The last-used choices (stacking options, slice range, export dialog), kept in the renderer's
// localStorage so the next session starts where this one ended. Stored values are checked field
// by field on the way in: a value from an older version or edited by hand falls back to the
// default instead of reaching the host.
import type { ExportOutputs } from '../../shared/api';
import { ALIGN_METHODS, DEFAULT_SIGMA, DEFAULT_STACK_OPTIONS, MERGE_METHODS, RAW_COLOURS, type AlignMethod, type MergeMethod, type RawColour } from '../../shared/options';

export const SETTINGS_KEY = 'deepfield-settings';

/** The export dialog's choices; zStep is a number and a unit kept apart so each has its own field. */
export interface ExportChoices {
  format: ExportOutputs['composite']['format'];
  /** 'input': the stack's own bit depth. */
  depth: 'input' | '8' | '16';
  quality: number;
  tiffCompression: 'deflate' | 'lzw';
  metadata: boolean;
  indexMap: boolean;
  depthMap: boolean;
  heightMap: boolean;
  zStep: string;
  zUnit: 'nm' | 'um' | 'mm';
  subslice: boolean;
  heatmaps: boolean;
  heatmapScale: 'linear' | 'log';
  colourMap: 'viridis' | 'inferno';
  focusMap: boolean;
  /** 1-based slice list as typed, e.g. "1, 3-5"; blank for none. */
  maskedSlices: string;
}

export interface Settings {
  sigma: string;
  method: MergeMethod;
  align: AlignMethod;
  /** 1-based reference slice as typed; blank for the middle slice. */
  reference: string;
  brightness: boolean;
  keepSize: boolean;
  /** 1-based first and last slice as typed; blank for the whole folder. */
  rangeFrom: string;
  rangeTo: string;
  /**
   * The folder the range was typed for: a range belongs to one folder and is dropped when another
   * is opened. Blank: typed before any folder was open, so it is for the next one.
   */
  rangeFolder: string;
  /** How camera RAW slices are developed (the toolbar offers it when the open folder has some). */
  rawColour: RawColour;
  export: ExportChoices;
}

export const DEFAULT_EXPORT_CHOICES: ExportChoices = {
  format: 'png',
  depth: 'input',
  quality: 92,
  tiffCompression: 'deflate',
  metadata: true,
  indexMap: true,
  depthMap: true,
  heightMap: false,
  zStep: '',
  zUnit: 'um',
  subslice: false,
  heatmaps: false,
  heatmapScale: 'log',
  colourMap: 'viridis',
  focusMap: false,
  maskedSlices: '',
};

export const DEFAULT_SETTINGS: Settings = {
  sigma: String(DEFAULT_SIGMA),
  method: 'argmax',
  align: DEFAULT_STACK_OPTIONS.align,
  reference: '',
  brightness: true,
  keepSize: false,
  rangeFrom: '',
  rangeTo: '',
  rangeFolder: '',
  rawColour: DEFAULT_STACK_OPTIONS.rawColour,
  export: DEFAULT_EXPORT_CHOICES,
};

type Check = (value: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string' && v.length <= 64;
const isBoolean: Check = (v) => typeof v === 'boolean';
const oneOf = (values: readonly unknown[]): Check => (v) => values.includes(v);

const SETTINGS_CHECKS: { [K in keyof Omit<Settings, 'export'>]: Check } = {
  sigma: isString,
  method: oneOf(MERGE_METHODS),
  align: oneOf(ALIGN_METHODS),
  reference: isString,
  brightness: isBoolean,
  keepSize: isBoolean,
  rangeFrom: isString,
  rangeTo: isString,
  rangeFolder: (v) => typeof v === 'string' && v.length <= 4096,
  rawColour: oneOf(RAW_COLOURS),
};

const EXPORT_CHECKS: { [K in keyof ExportChoices]: Check } = {
  format: oneOf(['png', 'tiff', 'jpeg', 'webp']),
  depth: oneOf(['input', '8', '16']),
  quality: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 100,
  tiffCompression: oneOf(['deflate', 'lzw']),
  metadata: isBoolean,
  indexMap: isBoolean,
  depthMap: isBoolean,
  heightMap: isBoolean,
  zStep: isString,
  zUnit: oneOf(['nm', 'um', 'mm']),
  subslice: isBoolean,
  heatmaps: isBoolean,
  heatmapScale: oneOf(['linear', 'log']),
  colourMap: oneOf(['viridis', 'inferno']),
  focusMap: isBoolean,
  maskedSlices: isString,
};

function pick<T extends object>(defaults: T, checks: { [K in keyof T]?: Check }, stored: unknown): T {
  const out = { ...defaults };
  if (typeof stored !== 'object' || stored === null) return out;
  for (const key of Object.keys(checks) as (keyof T)[]) {
    const value = (stored as Record<string, unknown>)[key as string];
    if (checks[key]!(value)) out[key] = value as T[keyof T];
  }
  return out;
}

/** The stored settings, each field checked; the defaults where none are stored or a field is bad. */
export function loadSettings(storage: Pick<Storage, 'getItem'> | undefined): Settings {
  let stored: unknown;
  try {
    stored = JSON.parse(storage?.getItem(SETTINGS_KEY) ?? 'null');
  } catch {
    stored = null;
  }
  const settings = pick(DEFAULT_SETTINGS, SETTINGS_CHECKS, stored);
  settings.export = pick(DEFAULT_EXPORT_CHOICES, EXPORT_CHECKS, (stored as { export?: unknown } | null)?.export);
  return settings;
}

export function saveSettings(storage: Pick<Storage, 'setItem'> | undefined, settings: Settings): void {
  try {
    storage?.setItem(SETTINGS_KEY, JSON.stringify(settings));
  } catch {
    // Storage full or disabled (a private window): the app works, it just forgets.
  }
}

/**
 * Parses "1, 3-5" into 0-based slice indices (sorted, unique), checking each against the stack's
 * `count`; throws one readable line naming what was wrong.
 */
export function parseSliceList(text: string, count: number): number[] {
  const out = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    const from = match ? Number(match[1]) : NaN;
    const to = match?.[2] ? Number(match[2]) : from;
    if (!match || from < 1 || to > count || from > to) {
      throw new Error(`Expected slice numbers from 1 to ${count} (like 1, 3-5) for in-focus slices but received ${JSON.stringify(part)}`);
    }
    for (let k = from; k <= to; k++) out.add(k - 1);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * The dialog's choices as the host's ExportOutputs, for a stack of `sliceCount` slices whose own
 * slice spacing (ImageJ metadata) is `knownZStep`, if any.
 */
export function exportOutputsFrom(choices: ExportChoices, sliceCount: number, knownZStep?: string): ExportOutputs {
  const lossy = choices.format === 'jpeg' || choices.format === 'webp';
  if (choices.depth === '16' && lossy) throw new Error(`${choices.format.toUpperCase()} holds 8 bits per sample: choose 8-bit or the input's depth`);
  const zStep = choices.zStep.trim();
  if (zStep !== '' && !(Number(zStep) > 0)) throw new Error(`The z-step is the distance between slices: type a number above 0, such as 0.5 ("${zStep}" is not one)`);
  if (choices.heightMap && zStep === '' && !knownZStep) {
    throw new Error('A height map needs the distance between slices: type the z-step (for example 0.5 µm); these slices do not record it');
  }
  const masked = parseSliceList(choices.maskedSlices, sliceCount);
  return {
    composite: {
      format: choices.format,
      ...(choices.depth === 'input' ? {} : { depth: Number(choices.depth) as 8 | 16 }),
      ...(lossy ? { quality: choices.quality } : {}),
      ...(choices.format === 'tiff' ? { tiffCompression: choices.tiffCompression } : {}),
      metadata: choices.metadata,
    },
    indexMap: choices.indexMap,
    depthMap: choices.depthMap,
    heightMap: choices.heightMap,
    ...(zStep !== '' ? { zStep: `${zStep}${choices.zUnit}` } : {}),
    subslice: choices.subslice,
    heatmaps: choices.heatmaps,
    heatmapScale: choices.heatmapScale,
    colourMap: choices.colourMap,
    focusMap: choices.focusMap,
    ...(masked.length > 0 ? { maskedSlices: masked } : {}),
  };
}

/** A 1-based from/to pair as typed, as the host's SliceRange; undefined when both are blank. */
export function sliceRangeFrom(fromText: string, toText: string): { from: number; to: number } | undefined {
  const from = fromText.trim();
  const to = toText.trim();
  if (from === '' && to === '') return undefined;
  const first = from === '' ? 1 : Number(from);
  // A blank end means "to the last slice": the host caps it at the folder's count.
  const last = to === '' ? 65535 : Number(to);
  if (!Number.isInteger(first) || first < 1 || !Number.isInteger(last) || last < first) {
    throw new Error(`Expected a slice range like 3 to 17 (whole numbers, first not above last) but received ${JSON.stringify(from)} to ${JSON.stringify(to)}`);
  }
  return { from: first, to: last };
}

/**
 * The range to stack `folder` with: the typed one when it was typed for this folder (or before
 * any folder was open), else none, with `forget` set so the caller clears the fields.
 */
export function rangeForFolder(settings: Pick<Settings, 'rangeFrom' | 'rangeTo' | 'rangeFolder'>, folder: string): { range?: { from: number; to: number }; forget: boolean } {
  if (settings.rangeFolder !== '' && settings.rangeFolder !== folder) return { forget: settings.rangeFrom.trim() !== '' || settings.rangeTo.trim() !== '' };
  return { range: sliceRangeFrom(settings.rangeFrom, settings.rangeTo), forget: false };
}

/** How many of a folder's `count` slices a range stacks. */
export function slicesInRange(range: { from: number; to: number } | undefined, count: number): number {
  if (!range) return count;
  return Math.max(0, Math.min(range.to, count) - range.from + 1);
}
