import { measureFocusMap } from './src/main/engine/focus/focus-variance-kernel';
import { gaussianKernel, reflectIndex } from './src/shared/gaussian';
function computeFocusMap(pixels: any, layout: any, sigma: number): Float64Array {
  const { width, height, channels } = layout;
  const lum = new Float64Array(width * height);
  for (let p = 0; p < lum.length; p++) { const i = p * channels; lum[p] = channels >= 3 ? 0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2] : pixels[i]; }
  const w = gaussianKernel(sigma); const r = (w.length - 1) / 2;
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    let m = 0;
    for (let dy = -r; dy <= r; dy++) { const row = reflectIndex(y + dy, height) * width; for (let dx = -r; dx <= r; dx++) m += w[dy + r] * w[dx + r] * lum[row + reflectIndex(x + dx, width)]; }
    let v = 0;
    for (let dy = -r; dy <= r; dy++) { const row = reflectIndex(y + dy, height) * width; for (let dx = -r; dx <= r; dx++) { const d = lum[row + reflectIndex(x + dx, width)] - m; v += w[dy + r] * w[dx + r] * d * d; } }
    out[y * width + x] = v;
  }
  return out;
}
function random(seed: number) { let a = seed >>> 0; return () => { a = (a + 0x6d2b79f5) >>> 0; let t = Math.imul(a ^ (a >>> 15), a | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }; }
const W = 200, H = 160;
const imgs: Record<string, [any, any]> = {};
const g16 = (f: (x: number, y: number, r: () => number) => number, seed = 1) => { const r = random(seed); const p = new Uint16Array(W * H); for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) p[y * W + x] = Math.max(0, Math.min(65535, Math.round(f(x, y, r)))); return [p, { width: W, height: H, channels: 1, bitDepth: 16 }] as [any, any]; };
const g8 = (f: (x: number, y: number, r: () => number) => number, seed = 1) => { const r = random(seed); const p = new Uint8Array(W * H); for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) p[y * W + x] = Math.max(0, Math.min(255, Math.round(f(x, y, r)))); return [p, { width: W, height: H, channels: 1, bitDepth: 8 }] as [any, any]; };
imgs['16-bit ramp 210/px'] = g16((x, y) => x * 210 + y);
imgs['8-bit ramp'] = g8((x, y) => x * 0.8 + y * 0.1);
imgs['16-bit ramp + tiny texture'] = g16((x, y, r) => x * 210 + y + Math.floor(r() * 2));
imgs['8-bit ramp + tiny texture'] = g8((x, y, r) => x * 0.8 + (r() < 0.5 ? 0 : 1));
imgs['16-bit flat 65000 + noise 1'] = g16((x, y, r) => 65000 + Math.floor(r() * 2));
imgs['16-bit flat 65534 + noise 1 sat'] = g16((x, y, r) => 65534 + Math.floor(r() * 3));
imgs['8-bit noise'] = g8((x, y, r) => r() * 256);
imgs['16-bit noise'] = g16((x, y, r) => r() * 65536);
imgs['16-bit hot pixels on flat'] = g16((x, y, r) => 1000 + (r() < 0.001 ? 60000 : 0));
imgs['16-bit 62000|900 step + texture'] = g16((x, y, r) => (x < 120 ? 62000 : 900) + Math.floor(r() * 4));
for (const [name, [px, layout]] of Object.entries(imgs)) {
  const ref = computeFocusMap(px, layout, 2);
  let V = 0; for (const v of ref) V = Math.max(V, v);
  const row = [name.padEnd(34), `V=${V.toPrecision(3)}`];
  for (const tol of [Infinity, 1e-5, 1e-6]) {
    const { map, stats } = measureFocusMap(px, layout, 2, tol);
    let e = 0; for (let i = 0; i < map.length; i++) e = Math.max(e, Math.abs(map[i] - ref[i]));
    row.push(`tol ${tol}: err/V ${(e / Math.max(V, 1e-6)).toExponential(1)} bound/V ${(stats.bound! / Math.max(V, 1e-6)).toExponential(1)} fb ${stats.fallbackTiles}/${stats.tiles}${e > stats.bound! ? ' !!!BOUND VIOLATED' : ''}`);
  }
  console.log(row.join(' | '));
}
