import sharp from 'sharp';
import { measureFocusBands } from './src/main/engine/focus/focus-variance-kernel';
import { computeFocusMap } from './src/main/engine/focus/focus-measure';
const file = process.argv[2];
const grey16 = process.argv.includes('--grey16');
const crop = process.argv.includes('--crop');
let img = sharp(file);
if (crop) img = img.extract({ left: 2000, top: 1000, width: 1024, height: 512 });
const { data, info } = await (grey16 ? img.toColourspace('grey16').raw({ depth: 'ushort' }) : img.raw()).toBuffer({ resolveWithObject: true });
const pixels = grey16 ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data.buffer, data.byteOffset, data.length);
const layout = { width: info.width, height: info.height, channels: info.channels, bitDepth: grey16 ? 16 : 8 } as const;
const ref = crop ? computeFocusMap(pixels as any, layout as any, 2) : undefined;
let refMax = 0; if (ref) for (const v of ref) refMax = Math.max(refMax, v);
for (const [name, tol] of [['f64', 0], ['f32', Infinity], ['mixed', 1e-5], ['mixed1e-6', 1e-6]] as const) {

  const times: number[] = [];
  let worst = 0, worstRel = 0; let st: any;
  for (let r = 0; r < (crop ? 1 : 2); r++) {
    const c0 = process.cpuUsage();
    st = measureFocusBands(pixels as any, layout as any, 2, (y0, _y1, band) => {
      if (ref) for (let i = 0; i < band.length; i++) { const e = Math.abs(band[i] - ref[y0 * layout.width + i]); worst = Math.max(worst, e); if (ref[y0 * layout.width + i] > 0.01 * refMax) worstRel = Math.max(worstRel, e / ref[y0 * layout.width + i]); }
    }, 64, undefined, tol);
    const c1 = process.cpuUsage(c0);
    times.push((c1.user + c1.system) / 1000);
  }
  console.log(name.padEnd(8), times.map((t) => t.toFixed(0)).join(' '), 'ms cpu', `fallback ${(100*st.fallbackTiles/st.tiles).toFixed(1)}% ` + (ref ? `err/max ${(worst / refMax).toExponential(2)} worst rel (v>1% max) ${worstRel.toExponential(2)}` : ''));
}
