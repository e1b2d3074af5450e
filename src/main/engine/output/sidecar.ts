// Provenance: the `<output>.deepfield.json` sidecar written beside every composite. It records
// enough to rerun the job (inputs, every option, the output plan), to prove what went in (each
// input's size and SHA-256) and what came out (each output's size and SHA-256, so a set whose
// files do not match it is known to be partial or stale), with per-slice statistics, alignment
// and timings. It is put in place last, after every file it describes.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { version as DEEPFIELD_VERSION } from '../../../../package.json';
import type { StackOptions } from '../../../shared/options';
import { parseRetouch, type Retouch } from '../../../shared/retouch';
import type { PixelLayout, SkippedFile, SliceRef, SliceStats } from '../../../shared/types';
import { DeepfieldError, describeFsError } from '../errors';
import { sha256File } from './hash';
import { sidecarPathFor, SIDECAR_SUFFIX, type OutputPlan } from './output-plan';
import { writeBytesAtomic, type StageFile } from './write-image';

export { sha256File, sidecarPathFor, SIDECAR_SUFFIX };

export const SIDECAR_FORMAT = 1;

/** A file the sidecar vouches for: an input slice, or an output. */
export interface FileRecord {
  /** Absolute path when written. */
  file: string;
  name: string;
  size: number;
  sha256: string;
}

export type InputFileRecord = FileRecord;

export interface Sidecar {
  format: typeof SIDECAR_FORMAT;
  deepfield: { version: string };
  createdAt: string;
  /** The inputs as given (absolute): folders and/or files. */
  inputs: string[];
  files: InputFileRecord[];
  options: StackOptions;
  outputs: OutputPlan;
  /** Every file the job wrote, the sidecar excepted. */
  written: string[];
  /**
   * The same files with their size and SHA-256 as written. Absent from sidecars of Deepfield
   * before 0.1.0's output sets: such a set cannot be proved complete.
   */
  writtenFiles?: FileRecord[];
  layout: PixelLayout;
  slices: Array<SliceRef & Pick<SliceStats, 'meanVariance' | 'maxVariance' | 'pixelsWon'>>;
  skipped: SkippedFile[];
  /** Present when the job aligned its slices. */
  alignment?: unknown;
  /** The strokes painted onto the composite from the source slices, in order (shared/retouch.ts). */
  retouch?: Retouch;
  /** Files of the input folder the user left out of the stack (names), when any. */
  excluded?: string[];
  /** Slice spacing used for the height map, and where it came from. */
  zStep?: unknown;
  timings: Record<string, number>;
}

export const deepfieldVersion = DEEPFIELD_VERSION;

/** Size and SHA-256 of each input file (a multi-page TIFF counts once). */
export async function recordInputs(files: string[], signal?: AbortSignal): Promise<InputFileRecord[]> {
  const records: InputFileRecord[] = [];
  for (const file of files) {
    signal?.throwIfAborted();
    try {
      const { size } = await fs.stat(file);
      records.push({ file: path.resolve(file), name: path.basename(file), size, sha256: await sha256File(file) });
    } catch (error) {
      throw new DeepfieldError(`Cannot read ${path.basename(file)}: ${describeFsError(error)}`, file);
    }
  }
  return records;
}

export async function writeSidecar(file: string, sidecar: Sidecar, stage?: StageFile): Promise<void> {
  await writeBytesAtomic(file, JSON.stringify(sidecar, null, 2) + '\n', stage);
}

export async function readSidecar(file: string): Promise<Sidecar> {
  let text;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new DeepfieldError(`Cannot read the sidecar ${file}: ${describeFsError(error)}`, file);
  }
  let sidecar: Sidecar;
  try {
    sidecar = JSON.parse(text);
  } catch (error) {
    throw new DeepfieldError(`${path.basename(file)} is not a Deepfield sidecar (not JSON: ${(error as Error).message})`, file);
  }
  if (sidecar?.format !== SIDECAR_FORMAT || !Array.isArray(sidecar.files) || !sidecar.outputs || !sidecar.options) {
    throw new DeepfieldError(`${path.basename(file)} is not a Deepfield sidecar of format ${SIDECAR_FORMAT}`, file);
  }
  if (sidecar.retouch !== undefined) {
    try {
      sidecar.retouch = parseRetouch(sidecar.retouch);
    } catch (error) {
      throw new DeepfieldError(`${path.basename(file)}: its retouch record is damaged: ${(error as Error).message}`, file);
    }
  }
  return sidecar;
}

/**
 * Checks that every recorded input is still there with the same size and SHA-256, throwing an
 * error naming the first file that changed or went missing.
 */
export async function verifyInputs(sidecar: Sidecar, signal?: AbortSignal): Promise<void> {
  for (const record of sidecar.files) {
    signal?.throwIfAborted();
    let size;
    try {
      size = (await fs.stat(record.file)).size;
    } catch (error) {
      throw new DeepfieldError(`Input ${record.name} cannot be read (${describeFsError(error)}): ${record.file}`, record.file);
    }
    if (size !== record.size || (await sha256File(record.file)) !== record.sha256) {
      throw new DeepfieldError(
        `Input ${record.name} has changed since the sidecar was written (its SHA-256 differs): ${record.file}`,
        record.file,
      );
    }
  }
}

/** Whether two recordings describe the same inputs (names, sizes, hashes, in order). */
export function sameInputs(a: InputFileRecord[], b: InputFileRecord[]): boolean {
  return a.length === b.length && a.every((r, i) => r.file === b[i].file && r.size === b[i].size && r.sha256 === b[i].sha256);
}

/** Key-order-independent JSON, so equal options compare equal however they were built. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v,
  );
}
