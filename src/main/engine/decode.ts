// Stage "load", second half: decodes one slice to interleaved raw samples in the stack's layout,
// at its own bit depth (16-bit stays 16-bit), upright per its EXIF orientation.
import sharp from 'sharp';
import type { PixelLayout, SliceRef } from '../../shared/types';
import { DeepfieldError } from './errors';

export type PixelData = Uint8Array | Uint16Array;

export async function decodeSlice(slice: SliceRef, layout: PixelLayout): Promise<PixelData> {
  const grey = layout.channels <= 2;
  const alpha = layout.channels === 2 || layout.channels === 4;
  const sixteen = layout.bitDepth === 16;
  let image = sharp(slice.file, slice.page === undefined ? {} : { page: slice.page }).rotate();
  image = image.toColourspace(grey ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb');
  image = alpha ? image.ensureAlpha() : image.removeAlpha();
  let decoded;
  try {
    decoded = await image.raw({ depth: sixteen ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new DeepfieldError(`${slice.name} could not be decoded (corrupt or truncated?): ${reason}`, slice.file);
  }
  const { data, info } = decoded;
  if (info.width !== layout.width || info.height !== layout.height || info.channels !== layout.channels) {
    throw new DeepfieldError(
      `${slice.name} decoded as ${info.width}x${info.height}x${info.channels}, expected ` +
        `${layout.width}x${layout.height}x${layout.channels}`,
      slice.file,
    );
  }
  if (!sixteen) return new Uint8Array(data.buffer, data.byteOffset, data.length);
  // A Uint16Array view needs an even byte offset; copy in the rare case the buffer has none.
  if (data.byteOffset % 2 === 0) return new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  return new Uint16Array(new Uint8Array(data).buffer);
}
