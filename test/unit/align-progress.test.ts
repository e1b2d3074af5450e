// The alignment pre-pass as a long job: it reports progress and stops when cancelled.
import path from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createProgressReporter } from '../../src/main/cli/progress';
import { CancelledError } from '../../src/main/engine/errors';
import { Engine } from '../../src/main/engine/job/engine';
import type { StackProgress } from '../../src/shared/types';
import { builtWorkerFile, random, tempDir } from '../helpers/fixtures';

let engine: Engine;
beforeAll(() => {
  engine = new Engine({ workerFile: builtWorkerFile(), threads: 2 });
});
afterAll(async () => {
  await engine.close();
});

/** `count` JPEG slices of one random texture, each shifted a few pixels: a stack to align. */
async function writeShiftedStack(count: number, width: number, height: number): Promise<string> {
  const dir = tempDir();
  const rnd = random(17);
  const margin = 8;
  const wide = width + 2 * margin;
  const texture = new Uint8Array(wide * (height + 2 * margin) * 3);
  for (let i = 0; i < texture.length; i++) texture[i] = Math.floor(rnd() * 256);
  const blurred = await sharp(texture, { raw: { width: wide, height: height + 2 * margin, channels: 3 } }).blur(2).raw().toBuffer();
  for (let k = 0; k < count; k++) {
    const dx = margin + (k % 3) - 1;
    const dy = margin + ((k * 2) % 3) - 1;
    await sharp(blurred, { raw: { width: wide, height: height + 2 * margin, channels: 3 } })
      .extract({ left: dx, top: dy, width, height })
      .jpeg({ quality: 92 })
      .toFile(path.join(dir, `s${String(k + 1).padStart(2, '0')}.jpg`));
  }
  return dir;
}

describe('the alignment pre-pass', () => {
  test('reports every slice but the reference once, before the focus pass starts', async () => {
    const dir = await writeShiftedStack(5, 200, 150);
    const events: StackProgress[] = [];
    await engine.stack({ inputs: [dir], onProgress: (p) => events.push(p) });
    const align = events.filter((e) => e.phase === 'align');
    expect(align.map((e) => e.done)).toEqual([0, 1, 2, 3, 4]);
    expect(align.every((e) => e.total === 4)).toBe(true);
    const lastAlign = events.lastIndexOf(align.at(-1)!);
    const firstFocus = events.findIndex((e) => e.phase === 'focus');
    expect(firstFocus).toBeGreaterThan(lastAlign);
  });

  test('reports nothing when alignment is off', async () => {
    const dir = await writeShiftedStack(3, 80, 60);
    const events: StackProgress[] = [];
    await engine.stack({ inputs: [dir], options: { align: 'off' }, onProgress: (p) => events.push(p) });
    expect(events.filter((e) => e.phase === 'align')).toEqual([]);
  });

  test('cancelled during the pre-pass, it stops there: CancelledError, no further estimate, no focus pass', async () => {
    const dir = await writeShiftedStack(10, 1600, 1200);
    const controller = new AbortController();
    const events: StackProgress[] = [];
    let afterAbort = 0;
    const run = engine.stack({
      inputs: [dir],
      signal: controller.signal,
      onProgress: (p) => {
        if (controller.signal.aborted) afterAbort++;
        events.push(p);
        if (p.phase === 'align' && p.done === 1) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(afterAbort).toBe(0);
    expect(events.some((e) => e.phase === 'focus')).toBe(false);
    // The pool is still usable after a run cancelled mid-estimate.
    const again = await engine.stack({ inputs: [dir], options: { align: 'off' } });
    expect(again.slices.length).toBe(10);
  });
});

describe('the command line progress without a terminal', () => {
  test('says when it aligns and how far it got, one plain line per event', () => {
    let text = '';
    const stream = new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    }) as unknown as NodeJS.WriteStream;
    const reporter = createProgressReporter(stream);
    reporter.update({ phase: 'probe', done: 0, total: 3, elapsedMs: 10 });
    reporter.update({ phase: 'align', done: 0, total: 2, elapsedMs: 20 });
    reporter.update({ phase: 'align', done: 1, total: 2, elapsedMs: 400 });
    reporter.update({ phase: 'align', done: 2, total: 2, elapsedMs: 800 });
    reporter.update({ phase: 'focus', done: 1, total: 3, elapsedMs: 1200, slice: { index: 0, name: 'a.png', meanVariance: 1, maxVariance: 2 } });
    expect(text.split('\n').filter(Boolean)).toEqual([
      'found 3 slices (0.0s)',
      'aligning 2 slices to the reference (0.0s)',
      'aligned 1/2 (0.4s)',
      'aligned 2/2 (0.8s)',
      'slice 1/3 a.png (1.2s)',
    ]);
  });
});
