// A minimal DNG written in code, for the camera RAW tests (nothing downloaded). DNG 1.4 is a
// TIFF/EP container; the smallest file LibRaw develops is one little-endian IFD0 holding the
// raw image itself:
//
//   header  "II" 42 -> IFD0
//   IFD0    NewSubFileType 0 (the main image), ImageWidth, ImageLength, BitsPerSample 16,
//           Compression 1 (none), PhotometricInterpretation 32803 (CFA), Make, Model, Orientation,
//           SamplesPerPixel 1, RowsPerStrip, StripOffsets/StripByteCounts (one strip per file),
//           PlanarConfiguration 1, Artist, DateTime (IFD0 EXIF tags the composite must carry),
//           CFARepeatPatternDim 2x2, CFAPattern RGGB (0 1 / 1 2), DNGVersion 1.4,
//           UniqueCameraModel, BlackLevel, WhiteLevel, ColorMatrix1 (XYZ -> camera, here the
//           identity), AsShotNeutral (the white balance as shot: camera values of a grey),
//           CalibrationIlluminant1 21 (D65)
//   strip   the Bayer mosaic, row-major uint16
//
// A scene given as linear RGB (0..1) is mosaicked through the CFA after multiplying each channel
// by AsShotNeutral, the way a camera records a grey under a tinted light: developing it with the
// white balance as shot must give the grey back.
import { encodeTiff, TYPE_ASCII, TYPE_BYTE, TYPE_LONG, TYPE_RATIONAL, TYPE_SHORT, TYPE_SRATIONAL, type TiffEntry } from '../../src/main/engine/input/tiff';

export interface DngScene {
  width: number;
  height: number;
  /** Linear scene RGB, interleaved, 0..1. */
  rgb: Float64Array;
}

export interface DngOptions {
  /** Camera values of a neutral grey, green = 1 (default 0.5, 1, 0.8: a warm light). */
  asShotNeutral?: [number, number, number];
  blackLevel?: number;
  /** Largest raw value (default 4095: a 12-bit sensor). */
  whiteLevel?: number;
  make?: string;
  model?: string;
  artist?: string;
  /** EXIF DateTime, "YYYY:MM:DD HH:MM:SS". */
  dateTime?: string;
}

const rational = (v: number): [number, number] => [Math.round(v * 10000), 10000];

/** The Bayer channel (0 R, 1 G, 2 B) of an RGGB mosaic at (x, y). */
export function rggbChannel(x: number, y: number): 0 | 1 | 2 {
  return y % 2 === 0 ? (x % 2 === 0 ? 0 : 1) : x % 2 === 0 ? 1 : 2;
}

export function encodeDng(scene: DngScene, options: DngOptions = {}): Uint8Array {
  const { width, height, rgb } = scene;
  const neutral = options.asShotNeutral ?? [0.5, 1, 0.8];
  const black = options.blackLevel ?? 64;
  const white = options.whiteLevel ?? 4095;
  const mosaic = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = rggbChannel(x, y);
      const linear = Math.min(1, Math.max(0, rgb[(y * width + x) * 3 + c] * neutral[c]));
      mosaic[y * width + x] = Math.round(black + linear * (white - black));
    }
  }
  const strip = new Uint8Array(mosaic.length * 2);
  const view = new DataView(strip.buffer);
  mosaic.forEach((v, i) => view.setUint16(i * 2, v, true));
  const model = options.model ?? 'Synthetic DNG';
  const entries: TiffEntry[] = [
    { tag: 254, type: TYPE_LONG, values: [0] },
    { tag: 256, type: TYPE_LONG, values: [width] },
    { tag: 257, type: TYPE_LONG, values: [height] },
    { tag: 258, type: TYPE_SHORT, values: [16] },
    { tag: 259, type: TYPE_SHORT, values: [1] },
    { tag: 262, type: TYPE_SHORT, values: [32803] },
    { tag: 271, type: TYPE_ASCII, values: options.make ?? 'Deepfield' },
    { tag: 272, type: TYPE_ASCII, values: model },
    { tag: 274, type: TYPE_SHORT, values: [1] },
    { tag: 277, type: TYPE_SHORT, values: [1] },
    { tag: 278, type: TYPE_LONG, values: [height] },
    { tag: 284, type: TYPE_SHORT, values: [1] },
    { tag: 306, type: TYPE_ASCII, values: options.dateTime ?? '2024:05:17 10:30:00' },
    { tag: 315, type: TYPE_ASCII, values: options.artist ?? 'Deepfield test' },
    { tag: 33421, type: TYPE_SHORT, values: [2, 2] },
    { tag: 33422, type: TYPE_BYTE, values: [0, 1, 1, 2] },
    { tag: 50706, type: TYPE_BYTE, values: [1, 4, 0, 0] },
    { tag: 50708, type: TYPE_ASCII, values: model },
    { tag: 50714, type: TYPE_LONG, values: [black] },
    { tag: 50717, type: TYPE_LONG, values: [white] },
    { tag: 50721, type: TYPE_SRATIONAL, values: [1, 0, 0, 0, 1, 0, 0, 0, 1].flatMap(rational) },
    { tag: 50728, type: TYPE_RATIONAL, values: neutral.flatMap(rational) },
    { tag: 50778, type: TYPE_SHORT, values: [21] },
  ];
  return encodeTiff(entries, [strip]);
}
