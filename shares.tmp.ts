import sharp from 'sharp';
import fs from 'node:fs';
import path from 'node:path';
import { measureFocusBands } from './src/main/engine/focus/focus-variance-kernel';
const sets: Record<string, string[]> = {};
for (const name of ['pcb', 'microtubules']) sets[name] = fs.readdirSync(`/work/shared/data/${name}`).sort().map((f) => `/work/shared/data/${name}/${f}`);
const bench = `${process.env.HOME}/.cache/deepfield-bench/jpeg-6000x4000x40-seed1`;
sets.bench = fs.readdirSync(bench).filter((f) => f.endsWith('.jpg')).sort().filter((_, i) => i % Number(process.env.STEP ?? 8) === 0).map((f) => path.join(bench, f));
const tiffs = `${process.env.HOME}/.cache/deepfield-bench/tiff16-4096x4096x20-seed2`;
sets.tiff16 = fs.readdirSync(tiffs).filter((f) => f.endsWith('.tif')).sort().filter((_, i) => i % 5 === 0).map((f) => path.join(tiffs, f));
const only = process.argv[2];
for (const [name, files] of Object.entries(sets)) {
  if (only && !only.split(',').includes(name)) continue;
  const tot: Record<string, [number, number]> = {};
  for (const f of files) {
    const meta = await sharp(f).metadata();
    const sixteen = meta.depth === 'ushort';
    const grey = (meta.channels ?? 3) <= 2;
    const { data, info } = await sharp(f).toColourspace(grey ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb').raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
    const px = sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data.buffer, data.byteOffset, data.length);
    const layout = { width: info.width, height: info.height, channels: info.channels, bitDepth: sixteen ? 16 : 8 } as any;
    const parts: string[] = [];
    for (const tol of [1e-5, 1e-6]) {
      const st = measureFocusBands(px as any, layout, 2, () => {}, 64, undefined, tol);
      (tot[tol] ??= [0, 0]);
      tot[tol][0] += st.fallbackTiles; tot[tol][1] += st.tiles;
      parts.push(`${tol}: ${st.fallbackTiles}/${st.tiles}`);
    }
    console.log(name, path.basename(f), parts.join('  '));
  }
  console.log(`== ${name}:`, Object.entries(tot).map(([t, [a, b]]) => `${t}: ${(100 * a / b).toFixed(2)}% of ${b}`).join('  '));
}
