// `npm run quality`: renders synthetic stacks with a known all-in-focus image and depth, merges
// each with every method (in one thread, the engine's own stages: merge-in-memory.ts), prints one
// table of PSNR, SSIM, depth accuracy and halo error against the truth, and fails when issue 7's
// targets do not hold.
import { expect, test } from 'vitest';
import { MERGE_METHODS, type MergeMethod } from '../src/shared/options';
import { composeInMemory, measureProfile } from '../src/main/engine/merge/in-memory';
import { createSyntheticStack, type SyntheticStackSpec } from '../src/main/demo/synthetic-stack';
import { depthWithinOne, haloBand, psnr, rmsIn, ssim, texturedMask } from './quality-metrics';

const SIZE = { width: 320, height: 240, sliceCount: 12 };
const SCENES: Array<{ name: string; spec: SyntheticStackSpec }> = [
  { name: 'steps+slopes', spec: { ...SIZE, seed: 11 } },
  { name: 'noisy', spec: { ...SIZE, seed: 12, noise: 12 } },
  { name: 'textureless', spec: { ...SIZE, seed: 13, noise: 2, scene: 'textureless' } },
  { name: 'halo', spec: { ...SIZE, seed: 14, noise: 2, scene: 'halo' } },
];

interface Row {
  scene: string;
  method: MergeMethod;
  psnr: number;
  ssim: number;
  depth: number;
  halo: number;
}

test('merge methods against synthetic truth', async () => {
  const rows: Row[] = [];
  for (const { name, spec } of SCENES) {
    const stack = await createSyntheticStack(spec);
    const { width, height } = stack.layout;
    const slices = Array.from({ length: spec.sliceCount }, (_, k) => stack.renderSlice(k));
    const profile = measureProfile((k) => slices[k], spec.sliceCount, stack.layout, 2);
    const textured = texturedMask(stack.truth, width, height);
    const band = haloBand(stack.truth, width, height);
    for (const method of MERGE_METHODS) {
      const { composite, indexMap } = composeInMemory(profile, (k) => slices[k], stack.layout, method);
      rows.push({
        scene: name,
        method,
        psnr: psnr(composite, stack.truth),
        ssim: ssim(composite, stack.truth, width, height),
        depth: depthWithinOne(indexMap, stack.depth, textured),
        halo: rmsIn(composite, stack.truth, band),
      });
    }
  }

  const line = (cells: string[]) => '| ' + cells.join(' | ') + ' |';
  const table = [
    line(['scene', 'method', 'PSNR dB', 'SSIM', 'depth ±1 (textured) %', 'halo RMSE']),
    line(['---', '---', '---:', '---:', '---:', '---:']),
    ...rows.map((r) =>
      line([r.scene, r.method, r.psnr.toFixed(2), r.ssim.toFixed(4), r.depth.toFixed(1), Number.isNaN(r.halo) ? '-' : r.halo.toFixed(2)]),
    ),
  ];
  const of = (scene: string, method: MergeMethod) => rows.find((r) => r.scene === scene && r.method === method)!;
  // The best non-default method: the one whose worst PSNR margin over argmax is largest.
  const margin = (method: MergeMethod) => Math.min(...SCENES.map((s) => of(s.name, method).psnr - of(s.name, 'argmax').psnr));
  const best = MERGE_METHODS.filter((m) => m !== 'argmax').reduce((a, b) => (margin(b) > margin(a) ? b : a));
  const gain = (scene: string) => of(scene, best).psnr - of(scene, 'argmax').psnr;
  const targets = [
    { text: `${best} beats argmax by >= 1 dB on noisy (${gain('noisy').toFixed(2)} dB)`, ok: gain('noisy') >= 1 },
    { text: `${best} beats argmax by >= 1 dB on halo (${gain('halo').toFixed(2)} dB)`, ok: gain('halo') >= 1 },
    { text: `${best} loses <= 0.2 dB anywhere (worst ${margin(best).toFixed(2)} dB)`, ok: margin(best) >= -0.2 },
    {
      text: `${best} depth ±1 on noisy >= argmax + 5 points (${(of('noisy', best).depth - of('noisy', 'argmax').depth).toFixed(1)})`,
      ok: of('noisy', best).depth - of('noisy', 'argmax').depth >= 5,
    },
  ];
  console.log(['', ...table, '', ...targets.map((t) => `${t.ok ? 'PASS' : 'FAIL'} ${t.text}`), ''].join('\n'));
  expect(targets.filter((t) => !t.ok).map((t) => t.text)).toEqual([]);
});
