// The benchmark's decode-only worker: the same sharp pipeline as the engine's decode stage
// (src/main/engine/input/decode.ts) with the same libvips settings as its slice worker, and nothing else.
import sharp from 'sharp';

sharp.concurrency(1);
sharp.cache(false);

export default async function decodeOnly({ file, grey16 }) {
  const image = sharp(file).rotate().toColourspace(grey16 ? 'grey16' : 'srgb').removeAlpha();
  const { info } = await image.raw({ depth: grey16 ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  return info.size;
}
