import { measureFocusMap } from './src/main/engine/focus/focus-variance-kernel';
function random(seed: number) { let a = seed >>> 0; return () => { a = (a + 0x6d2b79f5) >>> 0; let t = Math.imul(a ^ (a >>> 15), a | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }; }
const W = 200, H = 150;
const layout = { width: W, height: H, channels: 1, bitDepth: 16 } as any;
const next = random(6);
const px = new Uint16Array(W * H);
for (let i = 0; i < px.length; i++) px[i] = Math.min(65535, Math.round(65533 + Math.floor(next() * 3)));
const other = new Uint16Array(W * H); const n2 = random(99); for (let i = 0; i < other.length; i++) other[i] = n2() * 65535;
for (let r = 0; r < 3; r++) {
  const a = measureFocusMap(px, layout, 2);
  console.log('flat', a.stats.fallbackTiles, a.stats.bound, a.stats.max, a.stats.sum);
  const b = measureFocusMap(other, layout, 2);
  console.log('noise', b.stats.fallbackTiles, b.stats.bound, b.stats.max);
}
