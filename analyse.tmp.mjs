// Which share of tiles would a float32 kernel with a rigorous error bound keep, per scheme?
// f64 throughout: m, v per pixel exact enough; s about any offset z is v + (m - z)^2.
import sharp from 'sharp';
import fs from 'node:fs';
import path from 'node:path';

const u = 2 ** -24;
const sigma = 2, r = 8;
const w = (() => { const a = []; let t = 0; for (let i = -r; i <= r; i++) { const x = Math.exp(-0.5 * i * i / 4); a.push(x); t += x; } return a.map((x) => x / t); })();
const refl = (i, n) => { if (n === 1) return 0; const p = 2 * n; let j = i % p; if (j < 0) j += p; return j < n ? j : p - 1 - j; };

async function lum(file, crop) {
  let img = sharp(file);
  const meta = await img.metadata();
  const sixteen = meta.depth === 'ushort';
  if (crop) img = img.extract(crop);
  const { data, info } = await img.raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  const px = sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : data;
  const n = info.width * info.height, ch = info.channels;
  const L = new Float64Array(n);
  for (let p = 0; p < n; p++) L[p] = ch >= 3 ? 0.299 * px[p * ch] + 0.587 * px[p * ch + 1] + 0.114 * px[p * ch + 2] : px[p * ch];
  return { L, W: info.width, H: info.height };
}

function moments({ L, W, H }) {
  // m, v per pixel, offsets at a global mean (f64 is plenty)
  let c = 0; for (const x of L) c += x; c /= L.length;
  const a = new Float64Array(W * H), b = new Float64Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    let sa = 0, sb = 0;
    for (let t = -r; t <= r; t++) { const d = L[y * W + refl(x + t, W)] - c; sa += w[t + r] * d; sb += w[t + r] * d * d; }
    a[y * W + x] = sa; b[y * W + x] = sb;
  }
  const m = new Float64Array(W * H), v = new Float64Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    let sa = 0, sb = 0;
    for (let t = -r; t <= r; t++) { const q = refl(y + t, H) * W + x; sa += w[t + r] * a[q]; sb += w[t + r] * b[q]; }
    m[y * W + x] = sa + c; v[y * W + x] = Math.max(0, sb - sa * sa);
  }
  return { m, v };
}

// For each scheme: per tile, the largest s = v + (m - z)^2 over its pixels, z the scheme's offset.
function tileS(img, mv, scheme, TW, BH) {
  const { L, W, H } = img; const { m, v } = mv;
  const tiles = [];
  for (let y0 = 0; y0 < H; y0 += BH) for (let x0 = 0; x0 < W; x0 += TW) {
    const x1 = Math.min(W, x0 + TW), y1 = Math.min(H, y0 + BH);
    let sMax = 0, vMax = 0;
    let zCol = null, zTile = 0;
    if (scheme === 'tile') { let s = 0, k = 0; for (let y = y0 - r; y < y1 + r; y += 8) for (let x = x0; x < x1; x += 8) { s += L[refl(y, H) * W + x]; k++; } zTile = Math.round(s / k); }
    if (scheme === 'midrange') { let lo = Infinity, hi = -Infinity; for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) { lo = Math.min(lo, m[y * W + x]); hi = Math.max(hi, m[y * W + x]); } zTile = Math.round((lo + hi) / 2); }
    if (scheme === 'column') { zCol = new Float64Array(x1 - x0); for (let x = x0; x < x1; x++) { let s = 0; for (let y = y0 - r; y < y1 + r; y++) s += L[refl(y, H) * W + x]; zCol[x - x0] = Math.round(s / (y1 - y0 + 2 * r)); } }
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
      const p = y * W + x; const z = scheme === 'column' ? zCol[x - x0] : zTile;
      const s = v[p] + (m[p] - z) ** 2; if (s > sMax) sMax = s; if (v[p] > vMax) vMax = v[p];
    }
    tiles.push({ sMax, vMax, n: (x1 - x0) * (y1 - y0), y0 });
  }
  return tiles;
}

function shares(tiles, V, K, tau) {
  let fail = 0, failRun = 0, tot = 0, run = 0;
  // running lower bound per block row, as the kernel does (whole block first)
  const rows = new Map();
  for (const t of tiles) { if (!rows.has(t.y0)) rows.set(t.y0, []); rows.get(t.y0).push(t); }
  for (const list of rows.values()) {
    for (const t of list) { t.B = K * u * t.sMax; run = Math.max(run, t.vMax - t.B); }
    for (const t of list) { tot += t.n; if (t.B > tau * V) fail += t.n; if (t.B > tau * run) failRun += t.n; }
  }
  return [fail / tot, failRun / tot];
}

const sets = process.env.ONLY_BENCH ? {} : {
  pcb: fs.readdirSync('/work/shared/data/pcb').map((f) => path.join('/work/shared/data/pcb', f)),
  microtubules: fs.readdirSync('/work/shared/data/microtubules').map((f) => path.join('/work/shared/data/microtubules', f)),
};
const extra = process.argv[2];
if (extra) sets.bench = fs.readdirSync(extra).filter((f) => f.endsWith('.jpg')).sort().filter((_, i) => i % 10 === 5).map((f) => path.join(extra, f));
const crop = process.argv[2] ? { left: 2000, top: 1000, width: 1024, height: 1024 } : undefined;

const configs = (process.env.CONFIGS ?? 'tile:64:128,tile:32:128,tile:32:64,tile:16:64,midrange:64:128,midrange:32:64,column:128:128,column:128:64,column:128:32').split(',').map((c) => { const [a, b, d] = c.split(':'); return [a, +b, +d]; });
for (const [name, files] of Object.entries(sets)) {
  const acc = {};
  for (const f of files) {
    const img = await lum(f, name === 'bench' ? crop : undefined);
    const mv = moments(img);
    let V = 0; for (const x of mv.v) V = Math.max(V, x);
    for (const [scheme, TW, BH] of configs) {
      const tiles = tileS(img, mv, scheme, TW, BH);
      for (const K of [52]) for (const tau of [1e-5]) {
        const key = `${scheme} ${TW}x${BH} K=${K} tau=${tau}`;
        const [a, b] = shares(tiles, V, K, tau);
        (acc[key] ??= []).push([a, b]);
      }
    }
    process.stderr.write(`${name} ${path.basename(f)} V=${V.toFixed(1)}\n`);
  }
  console.log(`\n${name}: share of pixels in tiles that fall back (final max / running max)`);
  for (const [k, list] of Object.entries(acc)) {
    const mean = (i) => (100 * list.reduce((s, x) => s + x[i], 0) / list.length).toFixed(1);
    console.log(`  ${k.padEnd(36)} ${mean(0).padStart(6)}% ${mean(1).padStart(6)}%`);
  }
}
