// Retouching from the source slices: strokes as data applied by the engine to the composite and
// index map, the strokes file's validation, undo/redo as an operation list, and --replay
// repeating a retouched job byte for byte.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { addStroke, EMPTY_HISTORY, parseRetouch, redoStroke, strokeCoverage, strokeWindow, undoStroke, type RetouchStroke } from '../../src/shared/retouch';
import { decodeAligned } from '../../src/main/engine/align/tasks';
import { decodeSlice } from '../../src/main/engine/input/decode';
import { Engine, type StackResult } from '../../src/main/engine/job/engine';
import { applyRetouch } from '../../src/main/engine/retouch/apply-retouch';
import { retouchResult } from '../../src/main/engine/retouch/retouch-result';
import { createMisalignedStack, randomMotions } from './align-fixtures';
import { builtWorkerFile, runDeepfield, stripStack, tempDir, writeRgb8 } from '../helpers/fixtures';

const WIDTH = 96;
const HEIGHT = 64;

let engine: Engine;
let stackDir: string;
let merged: StackResult;

beforeAll(async () => {
  engine = new Engine({ workerFile: builtWorkerFile(), threads: 2 });
  stackDir = tempDir();
  const slices = stripStack(4, WIDTH, HEIGHT, 5);
  await Promise.all(slices.map((s, k) => writeRgb8(path.join(stackDir, `s${k}.png`), s, WIDTH, HEIGHT)));
  merged = await engine.stack({ inputs: [stackDir], options: { align: 'off' } });
});
afterAll(() => engine.close());

const hardBrush = (slice: number, points: Array<[number, number]>, size = 12): RetouchStroke => ({ tool: 'brush', slice, size, hardness: 1, opacity: 1, points });

/** Whether pixel (x, y)'s centre is within the stroke's radius of its path. */
function inside(stroke: RetouchStroke, x: number, y: number): boolean {
  const window = strokeWindow(stroke, WIDTH, HEIGHT)!;
  if (x < window.left || y < window.top || x >= window.left + window.width || y >= window.top + window.height) return false;
  return strokeCoverage(stroke, window)[(y - window.top) * window.width + (x - window.left)] === 1;
}

describe('strokes applied through the engine', () => {
  test("a hard brush gives exactly the source slice's pixels inside and the merged pixels outside", async () => {
    const stroke = hardBrush(0, [[60.5, 20], [80, 40]]);
    const result = await retouchResult(merged, { version: 1, strokes: [stroke] });
    const source = await decodeSlice(merged.slices[0], merged.layout);
    let painted = 0;
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) {
        const p = y * WIDTH + x;
        const expected = inside(stroke, x, y) ? source : merged.composite;
        if (inside(stroke, x, y)) painted++;
        expect(Array.from(result.composite.subarray(p * 3, p * 3 + 3))).toEqual(Array.from(expected.subarray(p * 3, p * 3 + 3)));
        expect(result.indexMap[p]).toBe(inside(stroke, x, y) ? 0 : merged.indexMap[p]);
      }
    }
    // The stroke crosses strips 2 and 3, which slice 0 did not win.
    expect(painted).toBeGreaterThan(200);
    expect(result.stats[0].pixelsWon).toBe(merged.stats[0].pixelsWon + painted - 0);
    // The merged result itself is left as it was (the eraser needs it).
    expect(merged.indexMap.some((v, p) => v !== result.indexMap[p])).toBe(true);
  });

  test('a soft brush blends by its strength, and only strength of one half or more moves the depth', async () => {
    const stroke: RetouchStroke = { tool: 'brush', slice: 3, size: 20, hardness: 0, opacity: 0.8, points: [[20, 30]] };
    const result = await retouchResult(merged, { version: 1, strokes: [stroke] });
    const source = await decodeSlice(merged.slices[3], merged.layout);
    const window = strokeWindow(stroke, WIDTH, HEIGHT)!;
    const coverage = strokeCoverage(stroke, window);
    for (let v = 0; v < window.height; v++) {
      for (let u = 0; u < window.width; u++) {
        const a = coverage[v * window.width + u];
        const p = (window.top + v) * WIDTH + window.left + u;
        for (let c = 0; c < 3; c++) {
          const want = Math.round(merged.composite[p * 3 + c] + (source[p * 3 + c] - merged.composite[p * 3 + c]) * a);
          expect(result.composite[p * 3 + c]).toBe(want);
        }
        expect(result.indexMap[p]).toBe(a >= 0.5 ? 3 : merged.indexMap[p]);
      }
    }
  });

  test('a hard eraser restores the merged composite and depth under it', async () => {
    const brush = hardBrush(1, [[10, 10], [90, 50]], 16);
    const eraser: RetouchStroke = { tool: 'eraser', size: 16, hardness: 1, opacity: 1, points: [[10, 10], [90, 50]] };
    const result = await retouchResult(merged, { version: 1, strokes: [brush, eraser] });
    expect(Buffer.from(result.composite.buffer, result.composite.byteOffset, result.composite.byteLength)).toEqual(
      Buffer.from(merged.composite.buffer, merged.composite.byteOffset, merged.composite.byteLength),
    );
    expect(Array.from(result.indexMap)).toEqual(Array.from(merged.indexMap));
  });

  test('undo and redo are operations on the stroke list: undone strokes are not applied, redone ones are again', async () => {
    const a = hardBrush(0, [[30, 30]], 20);
    const b = hardBrush(3, [[40, 30]], 20);
    let history = addStroke(addStroke(EMPTY_HISTORY, a), b);
    const both = await applyRetouch(merged, history.strokes, (k, w) => readWindowOf(k, w));
    history = undoStroke(history);
    expect(history.strokes).toEqual([a]);
    const onlyA = await applyRetouch(merged, history.strokes, (k, w) => readWindowOf(k, w));
    expect(Array.from(onlyA.composite)).toEqual(Array.from((await applyRetouch(merged, [a], readWindowOf)).composite));
    expect(Array.from(onlyA.composite)).not.toEqual(Array.from(both.composite));
    history = redoStroke(history);
    expect(history).toEqual({ strokes: [a, b], undone: [] });
    expect(Array.from((await applyRetouch(merged, history.strokes, readWindowOf)).composite)).toEqual(Array.from(both.composite));
    // A new stroke after an undo drops what could have been redone.
    expect(addStroke(undoStroke(history), a)).toEqual({ strokes: [a, a], undone: [] });
    expect(undoStroke(EMPTY_HISTORY)).toBe(EMPTY_HISTORY);
  });

  test('painting reads only the window each stroke touches, never a whole slice', async () => {
    const asked: Array<{ slice: number; width: number; height: number }> = [];
    const strokes = [hardBrush(2, [[10, 10]], 8), hardBrush(1, [[50, 40], [60, 44]], 6), { tool: 'eraser', size: 10, hardness: 1, opacity: 1, points: [[5, 5]] } as RetouchStroke];
    await applyRetouch(merged, strokes, async (slice, window) => {
      asked.push({ slice, width: window.width, height: window.height });
      return readWindowOf(slice, window);
    });
    expect(asked).toEqual([
      { slice: 2, width: 8, height: 8 },
      { slice: 1, width: 16, height: 10 },
    ]);
  });

  test('on an aligned stack the brush paints the aligned slice, in the composite frame', async () => {
    const dir = tempDir();
    const stack = await createMisalignedStack(160, 120, randomMotions(3, 160, 4), 1);
    await Promise.all(stack.observed.map((s, k) => writeRgb8(path.join(dir, `z${k}.png`), s, 160, 120)));
    const aligned = await engine.stack({ inputs: [dir], options: { align: 'similarity' } });
    expect(aligned.sliceAligns).toBeDefined();
    const { width, height } = aligned.layout;
    const stroke = hardBrush(0, [[width / 2, height / 2], [width / 2 + 30, height / 2 + 10]], 24);
    const result = await retouchResult(aligned, { version: 1, strokes: [stroke] });
    const whole = await decodeAligned(aligned.slices[0], aligned.layout, aligned.sliceAligns![0]);
    const window = strokeWindow(stroke, width, height)!;
    const coverage = strokeCoverage(stroke, window);
    let worst = 0;
    let painted = 0;
    for (let v = 0; v < window.height; v++) {
      for (let u = 0; u < window.width; u++) {
        if (coverage[v * window.width + u] !== 1) continue;
        painted++;
        const p = (window.top + v) * width + window.left + u;
        for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(result.composite[p * 3 + c] - whole[p * 3 + c]));
      }
    }
    expect(painted).toBeGreaterThan(500);
    // The window is resampled from the same slice pixels with the same kernel as the whole slice.
    expect(worst).toBeLessThanOrEqual(1);
  });
});

async function readWindowOf(slice: number, window: { left: number; top: number; width: number; height: number }) {
  const { readSliceWindow } = await import('../../src/main/engine/retouch/slice-window');
  return readSliceWindow(merged.slices[slice], merged.layout, window);
}

describe('the strokes file', () => {
  test.each([
    [{ version: 1, strokes: [{ tool: 'brush', slice: 0, size: -4, points: [[1, 2]] }] }, 'strokes[0].size', /Expected a brush diameter in pixels.* but received -4 of type number/],
    [{ version: 1, strokes: [{ tool: 'brush', size: 4, points: [[1, 2]] }] }, 'strokes[0].slice', /Expected a slice number from 0 .* but received undefined/],
    [{ version: 1, strokes: [{ tool: 'smudge', size: 4, points: [[1, 2]] }] }, 'strokes[0].tool', /Expected 'brush' or 'eraser'.* but received "smudge"/],
    [{ version: 1, strokes: [{ tool: 'eraser', size: 4, points: [[1, 'a']] }] }, 'strokes[0].points', /Expected a list of \[x, y\] points/],
    [{ version: 1, strokes: [{ tool: 'eraser', size: 4, opacity: 2, points: [[1, 2]] }] }, 'strokes[0].opacity', /Expected a number from 0 to 1/],
    [{ version: 2, strokes: [] }, 'version', /Expected 1 /],
  ])('a bad file names the field (%#: %s)', (input, field, message) => {
    expect(() => parseRetouch(input)).toThrow(new RegExp(`for ${field.replace(/[[\].]/g, '\\$&')} but`));
    expect(() => parseRetouch(input)).toThrow(message);
  });

  test('defaults: hardness and opacity 1', () => {
    expect(parseRetouch({ version: 1, strokes: [{ tool: 'eraser', size: 3, points: [[0, 0]] }] }).strokes[0]).toMatchObject({ hardness: 1, opacity: 1 });
  });
});

describe('deepfield stack --retouch and --replay', () => {
  test('a retouched job replays from its sidecar byte for byte', async () => {
    const out = tempDir();
    const strokesFile = path.join(out, 'strokes.json');
    await fs.writeFile(strokesFile, JSON.stringify({ version: 1, strokes: [hardBrush(0, [[50, 10], [70, 50]], 10), { tool: 'brush', slice: 3, size: 14, hardness: 0.3, opacity: 0.7, points: [[20, 20], [30, 40]] }] }));
    const composite = path.join(out, 'retouched.png');
    const index = path.join(out, 'retouched-index.png');
    const plain = path.join(out, 'plain.png');
    expect((await runDeepfield(['stack', stackDir, '-o', composite, '--index-map', index, '--align', 'off', '--retouch', strokesFile])).code).toBe(0);
    expect((await runDeepfield(['stack', stackDir, '-o', plain, '--align', 'off'])).code).toBe(0);
    const sidecar = JSON.parse(await fs.readFile(`${composite}.deepfield.json`, 'utf8'));
    expect(sidecar.retouch.strokes).toHaveLength(2);
    const again = path.join(out, 'again', 'retouched.png');
    await fs.mkdir(path.dirname(again));
    const replay = await runDeepfield(['stack', '--replay', `${composite}.deepfield.json`, '-o', again]);
    expect(replay.stderr).not.toMatch(/error/);
    expect(replay.code).toBe(0);
    expect(await fs.readFile(again)).toEqual(await fs.readFile(composite));
    expect(await fs.readFile(path.join(out, 'again', 'retouched-index.png'))).toEqual(await fs.readFile(index));
    expect(await fs.readFile(plain)).not.toEqual(await fs.readFile(composite));
  });

  test('a bad strokes file stops before any work with one line naming the file and the field', async () => {
    const out = tempDir();
    const strokesFile = path.join(out, 'strokes.json');
    await fs.writeFile(strokesFile, JSON.stringify({ version: 1, strokes: [{ tool: 'brush', slice: 0, size: 5, hardness: 'soft', points: [[1, 1]] }] }));
    const run = await runDeepfield(['stack', stackDir, '-o', path.join(out, 'x.png'), '--retouch', strokesFile]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('deepfield: error: strokes.json: Expected a number from 0 to 1 for strokes[0].hardness but received "soft" of type string');
    const tooFar = path.join(out, 'far.json');
    await fs.writeFile(tooFar, JSON.stringify({ version: 1, strokes: [{ tool: 'brush', slice: 9, size: 5, points: [[1, 1]] }] }));
    const far = await runDeepfield(['stack', stackDir, '-o', path.join(out, 'y.png'), '--retouch', tooFar, '--align', 'off']);
    expect(far.code).toBe(1);
    expect(far.stderr).toMatch(/deepfield: error: The strokes do not fit this stack: Expected a slice number from 0 to 3 for strokes\[0\]\.slice but received 9/);
    await expect(fs.stat(path.join(out, 'y.png'))).rejects.toThrow();
  });
});
