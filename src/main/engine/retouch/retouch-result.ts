// A stack result with strokes applied: the composite and index map retouched from the source
// slices, pixels won counted again, the depth refined below one slice only where no stroke
// decided it, and a re-merge with another method retouched the same way.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { checkRetouchSlices, parseRetouch, type Retouch } from '../../../shared/retouch';
import { DeepfieldError, describeFsError } from '../errors';
import type { StackResult } from '../job/stack-result';
import { countWins } from '../merge/argmax';
import { applyRetouch } from './apply-retouch';
import { readSliceWindow } from './slice-window';

export async function retouchResult(result: StackResult, retouch: Retouch, signal?: AbortSignal): Promise<StackResult> {
  try {
    checkRetouchSlices(retouch, result.slices.length);
  } catch (error) {
    throw new DeepfieldError(`The strokes do not fit this stack: ${(error as Error).message}`);
  }
  const { slices, layout, sliceAligns } = result;
  const retouched = await applyRetouch(result, retouch.strokes, (k, window) => readSliceWindow(slices[k], layout, window, sliceAligns?.[k]), signal);
  const wins = countWins(retouched.indexMap, slices.length);
  return result.derive({
    composite: retouched.composite,
    indexMap: retouched.indexMap,
    retouch,
    stats: result.stats.map((s, i) => ({ ...s, pixelsWon: wins[i] })),
    depth: (depth) => {
      const out = new Float32Array(depth);
      for (let p = 0; p < out.length; p++) if (retouched.decided[p]) out[p] = retouched.indexMap[p];
      return out;
    },
    remerge: (remerged, abort) => retouchResult(remerged, retouch, abort),
  });
}

/** Reads a strokes file (`--retouch`), with one line naming the file and the first bad field. */
export async function readRetouchFile(file: string): Promise<Retouch> {
  const name = path.basename(file);
  let text;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new DeepfieldError(`Cannot read the strokes file ${name}: ${describeFsError(error)}`, file);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new DeepfieldError(`${name} is not a strokes file (not JSON: ${(error as Error).message})`, file);
  }
  try {
    return parseRetouch(data);
  } catch (error) {
    throw new DeepfieldError(`${name}: ${(error as Error).message}`, file);
  }
}
