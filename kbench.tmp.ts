// scratch: time the focus kernel on one decoded slice, per tolerance
import sharp from 'sharp';
import { measureFocusBands } from './src/main/engine/focus/focus-variance-kernel';
const file = process.argv[2];
const grey16 = process.argv.includes('--grey16');
const img = sharp(file);
const { data, info } = await (grey16 ? img.toColourspace('grey16').raw({ depth: 'ushort' }) : img.raw()).toBuffer({ resolveWithObject: true });
const pixels = grey16 ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : new Uint8Array(data.buffer, data.byteOffset, data.length);
const layout = { width: info.width, height: info.height, channels: info.channels, bitDepth: grey16 ? 16 : 8 } as const;
for (const [name, tol] of [['f64', 0], ['f32', Infinity], ['mixed', 1e-5], ['mixed 1e-6', 1e-6]] as const) {
  const times: number[] = [];
  let st;
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage();
    st = measureFocusBands(pixels as any, layout as any, 2, () => {}, 64, undefined, tol);
    const c1 = process.cpuUsage(c0);
    times.push((c1.user + c1.system) / 1000);
  }
  console.log(name.padEnd(11), times.map((t) => t.toFixed(0)).join(' '), 'ms cpu; fallback', st!.fallbackTiles, '/', st!.tiles, `(${(100 * st!.fallbackTiles / st!.tiles).toFixed(1)}%)`, 'max', st!.max.toFixed(2));
}
