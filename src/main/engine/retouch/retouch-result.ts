// A stack result with strokes applied: the composite and index map retouched from the source
// slices, pixels won counted again, the depth refined below one slice only where no stroke
// decided it, and a re-merge with another method retouched the same way.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { checkRetouchSlices, parseRetouch, type PixelWindow, type Retouch } from '../../../shared/retouch';
import { DeepfieldError, describeFsError } from '../errors';
import type { StackResult } from '../job/stack-result';
import { countWins } from '../merge/argmax';
import { applyRetouch, type RetouchedImages } from './apply-retouch';
import { readSliceWindow } from './slice-window';

/** What a retouched result was made from, so a longer list of strokes can continue from it. */
const madeFrom = new WeakMap<StackResult, { base: StackResult; images: RetouchedImages; strokes: Retouch['strokes'] }>();

/**
 * `result` with `retouch` applied. `previous`, a retouched result of the same `result` whose
 * strokes begin this list, is continued from rather than painted again.
 */
export async function retouchResult(result: StackResult, retouch: Retouch, signal?: AbortSignal, previous?: StackResult): Promise<StackResult> {
  try {
    checkRetouchSlices(retouch, result.slices.length);
  } catch (error) {
    throw new DeepfieldError(`The strokes do not fit this stack: ${(error as Error).message}`);
  }
  const { slices, layout, sliceAligns } = result;
  const before = previous && madeFrom.get(previous);
  const continues = before && before.base === result && before.strokes.length <= retouch.strokes.length && before.strokes.every((s, i) => JSON.stringify(s) === JSON.stringify(retouch.strokes[i]));
  const read = (k: number, window: PixelWindow) => readSliceWindow(slices[k], layout, window, sliceAligns?.[k]);
  const retouched = continues
    ? await applyRetouch(result, retouch.strokes.slice(before.strokes.length), read, signal, before.images)
    : await applyRetouch(result, retouch.strokes, read, signal);
  const wins = countWins(retouched.indexMap, slices.length);
  const out = result.derive({
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
  madeFrom.set(out, { base: result, images: retouched, strokes: retouch.strokes });
  return out;
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
