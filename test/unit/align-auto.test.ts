// align 'auto' (issue 13), the default: a stack that never moved comes out bit-identical to
// --align off, however strongly its defocus changes; real motion, small or large, is aligned as
// the forced models align it. Every stack's largest motion, its uncertainty and the decision are
// printed as one table at the end.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alignStack, type RunTask } from '../../src/main/engine/align/align-stage';
import { composeAffine } from '../../src/main/engine/align/geometry';
import { type PairResult } from '../../src/main/engine/align/estimate';
import { isRealMotion, planAlignment } from '../../src/main/engine/align/plan';
import { alignEstimate, alignPrepare, type AlignEstimateTask, type AlignPrepareTask } from '../../src/main/engine/align/tasks';
import { warpSlice } from '../../src/main/engine/align/warp';
import { createSyntheticStack, seededRandom, type SyntheticStackSpec } from '../../src/main/demo/synthetic-stack';
import { findSliceFiles, probeSlices } from '../../src/main/engine/input/slices';
import { Engine } from '../../src/main/engine/job/engine';
import { AUTO_ALIGN_MIN_MOTION, AUTO_ALIGN_SIGNIFICANCE, parseStackOptions } from '../../src/shared/options';
import type { PixelLayout, StackAlignment } from '../../src/shared/types';
import { builtWorkerFile, bytesOf, cliPath, hasSharedStack, sharedData, tempDir } from '../helpers/fixtures';
import { alignInProcess, argmaxComposite, createMisalignedStack, psnr, randomMotions, type TrueMotion } from './align-fixtures';

const execFileAsync = promisify(execFile);
const rows: string[][] = [];

/**
 * One table row: the stack, its largest motion and that slice's uncertainty, the largest ratio
 * of motion to uncertainty over its slices (what AUTO_ALIGN_SIGNIFICANCE is compared with), and
 * what was done.
 */
function record(stack: string, size: string, alignment: StackAlignment): void {
  const { motion, uncertainty, slice } = alignment.largestMotion;
  const decision = alignment.microscope ? 'microscope z-stack: not estimated' : alignment.applied ? `aligned ${alignment.slices.filter((s) => s.status === 'ok').length} of ${alignment.slices.length - 1}` : 'nothing applied';
  const name = alignment.slices[slice]?.name ?? '-';
  const ratios = alignment.slices.filter((s) => s.status !== 'reference' && s.uncertainty).map((s) => s.motion / s.uncertainty!);
  const ratio = ratios.length > 0 ? Math.max(...ratios).toFixed(2) : '-';
  rows.push([stack, size, alignment.microscope ? '-' : `${motion.toFixed(3)} (${name})`, uncertainty === undefined ? '-' : uncertainty.toFixed(3), ratio, decision]);
}

afterAll(() => {
  const header = ['stack', 'slices x size', 'largest motion px (slice)', 'its uncertainty px', 'largest motion/uncertainty', 'auto decision'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  console.log([line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n'));
});

/** Renders a synthetic stack (no motion at all) as RGB PNG slices. */
async function writeStill(spec: SyntheticStackSpec): Promise<string> {
  const dir = tempDir();
  const stack = await createSyntheticStack(spec);
  const { width, height } = stack.layout;
  for (let k = 0; k < spec.sliceCount; k++) {
    await sharp(stack.renderSlice(k), { raw: { width, height, channels: 3 } }).png().toFile(path.join(dir, `s${String(k).padStart(2, '0')}.png`));
  }
  return dir;
}

/**
 * The same scene as a dim 16-bit grey camera records it: about 64..640 of 65535 (as the
 * microtubules stack), with shot noise. Written as PNG, which no rule takes for a microscope
 * z-stack, so the motion test itself has to leave it alone.
 */
async function writeLowSignal16(spec: SyntheticStackSpec): Promise<string> {
  const dir = tempDir();
  const stack = await createSyntheticStack(spec);
  const { width, height } = stack.layout;
  const random = seededRandom(99);
  for (let k = 0; k < spec.sliceCount; k++) {
    const rgb = stack.renderSlice(k);
    const grey = new Uint16Array(width * height);
    for (let p = 0; p < grey.length; p++) {
      const signal = 64 + 2.2 * (0.299 * rgb[p * 3] + 0.587 * rgb[p * 3 + 1] + 0.114 * rgb[p * 3 + 2]);
      const normal = Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
      grey[p] = Math.max(0, Math.round(signal + 0.5 * Math.sqrt(signal) * normal));
    }
    await sharp(grey, { raw: { width, height, channels: 1 } }).toColourspace('grey16').png().toFile(path.join(dir, `s${String(k).padStart(2, '0')}.png`));
  }
  return dir;
}

let engine: Engine;
beforeAll(() => {
  engine = new Engine({ workerFile: builtWorkerFile(), threads: 2 });
});
afterAll(() => engine?.close());

describe('auto on stacks that never moved, with strong defocus changes', () => {
  const cases: Array<{ name: string; spec: SyntheticStackSpec; write: (spec: SyntheticStackSpec) => Promise<string> }> = [
    { name: 'steps and slopes', spec: { width: 640, height: 480, sliceCount: 3, seed: 2, noise: 1 }, write: writeStill },
    { name: 'steps and slopes', spec: { width: 640, height: 480, sliceCount: 40, seed: 3, noise: 1 }, write: writeStill },
    // The example: 1598x1198 out with the old default.
    { name: 'halo, bright foreground edge', spec: { width: 1600, height: 1200, sliceCount: 12, scene: 'halo', seed: 1, noise: 1 }, write: writeStill },
    { name: 'halo, bright foreground edge', spec: { width: 640, height: 480, sliceCount: 40, scene: 'halo', seed: 4, noise: 1 }, write: writeStill },
    { name: '16-bit grey, low signal', spec: { width: 640, height: 480, sliceCount: 3, seed: 5 }, write: writeLowSignal16 },
    { name: '16-bit grey, low signal', spec: { width: 640, height: 480, sliceCount: 40, seed: 6 }, write: writeLowSignal16 },
  ];
  for (const { name, spec, write } of cases) {
    it(`${name}, ${spec.sliceCount} slices: nothing applied, the composite bit-identical to --align off`, { timeout: 300_000 }, async () => {
      const dir = await write(spec);
      const auto = await engine.stack({ inputs: [dir] });
      const off = await engine.stack({ inputs: [dir], options: { align: 'off' } });
      const alignment = auto.alignment!;
      record(name, `${spec.sliceCount} x ${spec.width}x${spec.height}`, alignment);
      expect(auto.options.align).toBe('auto');
      expect(alignment.mode).toBe('auto');
      expect(alignment.applied).toBe(false);
      expect(alignment.summary).toMatch(/^aligned stack detected: nothing applied; largest motion \d+\.\d+ px/);
      expect(alignment.slices.every((s) => s.status === 'still' || s.status === 'reference')).toBe(true);
      expect(auto.layout).toEqual(off.layout);
      expect(auto.sliceAligns).toEqual([]);
      expect(bytesOf(auto.composite).equals(bytesOf(off.composite))).toBe(true);
      expect(bytesOf(auto.indexMap).equals(bytesOf(off.indexMap))).toBe(true);
    });
  }
});

describe('the command line on a stack that never moved', () => {
  it('says "aligned stack detected: nothing applied" with the largest motion, records it in the sidecar, and writes the files --align off writes', { timeout: 180_000 }, async () => {
    const dir = await writeStill({ width: 320, height: 240, sliceCount: 3, seed: 7, noise: 1 });
    const out = tempDir();
    const run = (name: string, ...args: string[]) => execFileAsync(process.execPath, [cliPath, 'stack', dir, '-o', path.join(out, `${name}.png`), '--index-map', path.join(out, `${name}-index.png`), ...args]);
    const auto = await run('auto');
    await run('off', '--align', 'off');
    expect(auto.stderr).toMatch(/^alignment: aligned stack detected: nothing applied; largest motion \d+\.\d+ px \(s\d+\.png\), uncertainty \d+\.\d+ px$/m);
    const sidecar = JSON.parse(await readFile(path.join(out, 'auto.png.deepfield.json'), 'utf8'));
    expect(sidecar.options.align).toBe('auto');
    expect(sidecar.alignment.applied).toBe(false);
    expect(sidecar.alignment.summary).toBe(/^alignment: (.*)$/m.exec(auto.stderr)![1]);
    expect(sidecar.alignment.largestMotion.motion).toBeGreaterThanOrEqual(0);
    for (const file of ['.png', '-index.png']) {
      expect((await readFile(path.join(out, `auto${file}`))).equals(await readFile(path.join(out, `off${file}`))), file).toBe(true);
    }
  });
});

/** The engine's alignment pre-pass and plan, run in this thread. */
const inProcess: RunTask = async <T>(name: 'alignPrepare' | 'alignEstimate', task: AlignPrepareTask | AlignEstimateTask) =>
  (name === 'alignPrepare' ? await alignPrepare(task as AlignPrepareTask) : alignEstimate(task as AlignEstimateTask)) as T;

describe.runIf(hasSharedStack('microtubules'))('the microtubules z-stack (15 slices, a motorised stage)', () => {
  const folder = path.join(sharedData, 'microtubules');

  it('is left unaligned by default as a microscope z-stack: same size in and out, bit-identical to --align off', { timeout: 120_000 }, async () => {
    const auto = await engine.stack({ inputs: [folder] });
    const off = await engine.stack({ inputs: [folder], options: { align: 'off' } });
    const alignment = auto.alignment!;
    record('microtubules, default', '15 x 512x800', alignment);
    expect(alignment.microscope).toMatch(/16-bit greyscale TIFF/);
    expect(alignment.summary).toMatch(/^microscope z-stack \(.*\): not aligned; --align similarity aligns it$/);
    expect(alignment.applied).toBe(false);
    expect(auto.layout).toEqual({ width: 512, height: 800, channels: 1, bitDepth: 16 });
    expect(bytesOf(auto.composite).equals(bytesOf(off.composite))).toBe(true);
  });

  it('would be left alone by the motion test too: its motion is within its uncertainty', { timeout: 120_000 }, async () => {
    const { slices, layout } = await probeSlices((await findSliceFiles([folder])).files);
    const result = (await alignStack(inProcess, 1, slices, layout, parseStackOptions({}), undefined))!;
    record('microtubules, motion test alone', '15 x 512x800', result.alignment);
    expect(result.alignment.applied).toBe(false);
    expect(result.layout).toEqual(layout);
  });

  it('is still aligned when a model is asked for by name', { timeout: 120_000 }, async () => {
    const { slices, layout, microscope } = await probeSlices((await findSliceFiles([folder])).files);
    const result = (await alignStack(inProcess, 1, slices, layout, parseStackOptions({ align: 'similarity' }), microscope))!;
    expect(result.alignment.mode).toBe('forced');
    expect(result.alignment.slices).toHaveLength(15);
    expect(result.alignment.slices.filter((s) => s.status === 'ok').length).toBeGreaterThan(0);
  });
});

describe('auto on stacks with real motion', () => {
  const still: TrueMotion = { dx: 0, dy: 0, scale: 1, rotationDeg: 0, gains: [1, 1, 1] };
  const cases: Array<{ name: string; motions: TrueMotion[] }> = [
    {
      name: 'small motion: 0.7 px shift, 0.5% scale, 0.2 degrees',
      motions: [
        { ...still, dx: 0.7 },
        { ...still, scale: 1.005 },
        { ...still, rotationDeg: 0.2 },
        still,
        { ...still, dx: -0.5, dy: 0.5 },
        { ...still, scale: 0.995 },
        { ...still, rotationDeg: -0.2 },
      ],
    },
    { name: 'large motion: shifts to 5%, scale 0.97-1.03, rotation to 1 degree, gains 0.8-1.2', motions: randomMotions(7, 640, 11) },
  ];
  for (const { name, motions } of cases) {
    it(`${name}: every slice aligned, the composite within 0.5 dB PSNR of the never-misaligned one`, { timeout: 300_000 }, async () => {
      const [width, height] = [640, 480];
      // Recorded as a camera records it (each pixel the scene's mean over its footprint), so the
      // alignment's warp is the only resampling any slice sees (test/unit/align-fixtures.ts).
      const stack = await createMisalignedStack(width, height, motions, 3, 3, 3);
      const plan = alignInProcess(stack.observed, 3, 'similarity', false, true);
      const { alignment } = plan;
      record(name, `7 x ${width}x${height}`, { ...alignment, estimateMs: 0 });
      expect(alignment.mode).toBe('auto');
      for (const s of alignment.slices) expect(s.status, `${s.name}: ${s.reason ?? ''}`).toMatch(/^(ok|reference)$/);
      const { crop } = alignment;
      const cropped: PixelLayout = { width: crop.width, height: crop.height, channels: 3, bitDepth: 8 };
      const source: PixelLayout = { width, height, channels: 3, bitDepth: 8 };
      const shift = [1, 0, crop.x, 0, 1, crop.y] as const;
      const scene = warpSlice(stack.scene, source, crop.width, crop.height, { matrix: shift }) as Uint8Array;
      const realigned = psnr(argmaxComposite(stack.observed.map((p, k) => warpSlice(p, source, crop.width, crop.height, plan.warps[k])), cropped), scene);
      const never = psnr(argmaxComposite(stack.aligned.map((p) => warpSlice(p, source, crop.width, crop.height, { matrix: shift })), cropped), scene);
      const truthWarps = stack.truth.map((m, k) => ({ matrix: composeAffine(m, shift), gains: stack.motions[k].gains.map((g) => 1 / g), offsets: [0, 0, 0] }));
      const byTruth = psnr(argmaxComposite(stack.observed.map((p, k) => warpSlice(p, source, crop.width, crop.height, truthWarps[k])), cropped), scene);
      console.log(`${name}: composite PSNR never misaligned ${never.toFixed(2)} dB, auto-aligned ${realigned.toFixed(2)} dB (${(never - realigned).toFixed(2)} below), by the true transforms ${byTruth.toFixed(2)} dB`);
      expect(never - realigned).toBeLessThan(0.5);
    });
  }
});

describe(`the ${AUTO_ALIGN_MIN_MOTION} px threshold`, () => {
  // Every slice but the reference moved by `shift` px in its own direction, recorded as a camera
  // records it; the argmax composite against the all-in-focus scene, left as recorded and
  // resampled by the true transforms, against the never-misaligned one.
  async function costs(shift: number): Promise<{ left: number; resampled: number }> {
    const motions: TrueMotion[] = Array.from({ length: 7 }, (_, k) => ({ dx: shift * Math.cos(2.1 * k), dy: shift * Math.sin(2.1 * k), scale: 1, rotationDeg: 0, gains: [1, 1, 1] }));
    const [width, height] = [640, 480];
    const stack = await createMisalignedStack(width, height, motions, 3, 3, 3);
    const crop = { x: 4, y: 4, width: width - 8, height: height - 8 };
    const source: PixelLayout = { width, height, channels: 3, bitDepth: 8 };
    const cropped: PixelLayout = { width: crop.width, height: crop.height, channels: 3, bitDepth: 8 };
    const shiftToCrop = [1, 0, crop.x, 0, 1, crop.y] as const;
    const composite = (slices: Uint8Array[], k: (i: number) => readonly [number, number, number, number, number, number]) =>
      argmaxComposite(slices.map((p, i) => warpSlice(p, source, crop.width, crop.height, { matrix: k(i) })), cropped);
    const scene = warpSlice(stack.scene, source, crop.width, crop.height, { matrix: shiftToCrop }) as Uint8Array;
    const never = psnr(composite(stack.aligned, () => shiftToCrop), scene);
    const left = psnr(composite(stack.observed, () => shiftToCrop), scene);
    const resampled = psnr(composite(stack.observed, (i) => composeAffine(stack.truth[i], shiftToCrop)), scene);
    console.log(`every slice moved ${shift} px: left as recorded ${(never - left).toFixed(2)} dB below the never-misaligned composite, resampled ${(never - resampled).toFixed(2)} dB below`);
    return { left: never - left, resampled: never - resampled };
  }

  it('is where aligning starts to pay: above it a motion costs more left than resampled, at half of it about the same', { timeout: 300_000 }, async () => {
    const at = await costs(AUTO_ALIGN_MIN_MOTION);
    expect(at.left).toBeGreaterThan(at.resampled + 0.2);
    const half = await costs(AUTO_ALIGN_MIN_MOTION / 2);
    expect(Math.abs(half.left - half.resampled)).toBeLessThan(0.1);
  });
});

describe.runIf(hasSharedStack('pcb'))('the pcb bracket (focus breathing, 2% magnification)', () => {
  it('is aligned by auto', { timeout: 180_000 }, async () => {
    const { slices, layout } = await probeSlices((await findSliceFiles([path.join(sharedData, 'pcb')])).files);
    const result = (await alignStack(inProcess, 1, slices, layout, parseStackOptions({}), undefined))!;
    record('pcb', '7 x 2048x1536', result.alignment);
    expect(result.alignment.applied).toBe(true);
    for (const s of result.alignment.slices) expect(s.status, s.name).toMatch(/^(ok|reference)$/);
    expect(result.layout.width).toBeLessThan(layout.width);
  });
});

describe('the decision rule', () => {
  const pair = (motion: number, uncertainty?: number): PairResult => ({ matrix: [1, 0, motion, 0, 1, 0], correlation: 0.9, converged: true, ...(uncertainty === undefined ? {} : { uncertainty }) });
  const plan = (pairs: PairResult[], auto: boolean) =>
    planAlignment(
      pairs.map((_, i) => ({ file: `/s${i}`, name: `s${i}` })),
      pairs,
      { method: 'similarity', auto, reference: 0, brightness: true, keepSize: false, width: 640, height: 480, colourChannels: 3, maxValue: 255 },
    );

  it(`applies a motion only beyond ${AUTO_ALIGN_SIGNIFICANCE} times its uncertainty and at least ${AUTO_ALIGN_MIN_MOTION} px`, () => {
    expect(isRealMotion(0.3, 0.1)).toBe(true);
    expect(isRealMotion(0.3, 0.2)).toBe(false);
    expect(isRealMotion(0.3, undefined)).toBe(false);
    expect(isRealMotion(AUTO_ALIGN_MIN_MOTION * 0.9, 0)).toBe(false);
    const statuses = plan([pair(0), pair(0.3, 0.1), pair(0.3, 0.4), pair(0.3)], true).alignment.slices.map((s) => s.status);
    // The reference is slice 0; each slice chains on the one before: motions 0.3, 0.6, 0.9 px.
    expect(statuses).toEqual(['reference', 'ok', 'still', 'still']);
  });

  it('adds the uncertainties along the chain of neighbours', () => {
    const slices = plan([pair(0), pair(0.3, 0.1), pair(0.3, 0.1), pair(0.3, 0.5)], true).alignment.slices;
    expect(slices.map((s) => s.uncertainty)).toEqual([0, 0.1, 0.2, expect.closeTo(0.7, 9)]);
    expect(slices.map((s) => s.status)).toEqual(['reference', 'ok', 'ok', 'still']);
  });

  it('forced models apply every believable estimate, whatever its uncertainty', () => {
    const { alignment } = plan([pair(0), pair(0.3, 0.4), pair(0.3)], false);
    expect(alignment.mode).toBe('forced');
    expect(alignment.slices.map((s) => s.status)).toEqual(['reference', 'ok', 'ok']);
    expect(alignment.applied).toBe(true);
  });
});
