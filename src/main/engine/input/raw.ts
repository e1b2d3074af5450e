// Stage "load" for camera RAW files (DNG, CR2/CR3, NEF, ARW, ORF, RW2 and the rest LibRaw knows):
// developed by LibRaw 0.22 compiled to WebAssembly (the libraw-wasm package: LibRaw is LGPL-2.1 or
// CDDL-1.0, the wrapper ISC), in whichever thread asks, without the network. Each file gets a
// fresh instance of the compiled module, so the WebAssembly memory of one development (a 24 MP
// file needs about 400 MB inside LibRaw) is collected with it instead of staying with the worker.
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import createLibRaw, { type LibRawProcessor, type LibRawSettings } from 'libraw-wasm/dist/libraw.js';
import type { RawColour } from '../../../shared/options';
import { DeepfieldError, describeFsError } from '../errors';

/** Extensions of the camera RAW formats LibRaw reads (its list, less the rare ones). */
export const RAW_EXTENSIONS = [
  '.dng', '.cr2', '.cr3', '.crw', '.nef', '.nrw', '.arw', '.srf', '.sr2', '.orf', '.rw2', '.raf',
  '.pef', '.srw', '.rwl', '.3fr', '.iiq', '.erf', '.kdc', '.dcr', '.mrw', '.mos', '.x3f',
] as const;

export function isRawFileName(name: string): boolean {
  return (RAW_EXTENSIONS as readonly string[]).includes(path.extname(name).toLowerCase());
}

let compiled: Promise<WebAssembly.Module> | undefined;

function compiledLibRaw(): Promise<WebAssembly.Module> {
  // Compiling the 1.4 MB module takes ~0.3 s: once per thread; instantiating it is cheap.
  compiled ??= fs
    .readFile(createRequire(import.meta.url).resolve('libraw-wasm/dist/libraw.wasm'))
    .then((bytes) => WebAssembly.compile(bytes));
  return compiled;
}

async function newProcessor(): Promise<LibRawProcessor> {
  const module = await compiledLibRaw();
  const libraw = await createLibRaw({
    instantiateWasm: (imports, done) => {
      void WebAssembly.instantiate(module, imports).then((instance) => done(instance, module));
      return {};
    },
    // LibRaw's warnings go to stdout/stderr otherwise, in the middle of the progress bar.
    print: () => undefined,
    printErr: () => undefined,
  });
  return new libraw.LibRaw();
}

/**
 * How a RAW file is developed. Camera white balance as shot, no auto-brightening (it would
 * brighten each slice of a bracket by a different factor), highlights clipped, AHD demosaicing,
 * sRGB primaries; 'srgb' applies the sRGB tone curve, 'linear' leaves the values proportional to
 * light. Always 16 bits: the sensor's 12-14 bits survive.
 */
export function developSettings(colour: RawColour): LibRawSettings {
  return {
    outputBps: 16,
    outputColor: 1,
    useCameraWb: true,
    noAutoBright: true,
    highlight: 0,
    userQual: 3,
    gamm: colour === 'linear' ? [1, 1, 0, 0, 0, 0] : [1 / 2.4, 12.92, 0, 0, 0, 0],
  };
}

async function openRaw(file: string, colour: RawColour): Promise<LibRawProcessor> {
  const name = path.basename(file);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    throw new DeepfieldError(`Cannot read ${name}: ${describeFsError(error)}`, file);
  }
  const processor = await newProcessor();
  try {
    processor.open(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), developSettings(colour));
  } catch {
    // LibRaw's C++ exceptions reach JavaScript as bare pointers, without their text.
    throw new DeepfieldError(`${name} is not a camera RAW file LibRaw can read (unsupported camera, or damaged)`, file);
  }
  return processor;
}

export interface RawSize {
  /** Upright size of the developed image (after the camera's orientation). */
  width: number;
  height: number;
}

/** Reads a RAW file's header: the developed image's upright size. */
export async function probeRaw(file: string): Promise<RawSize> {
  const meta = (await openRaw(file, 'srgb')).metadata(false);
  if (!(meta.width > 0 && meta.height > 0)) {
    throw new DeepfieldError(`${path.basename(file)} has no image size in its RAW header (damaged?)`, file);
  }
  return { width: meta.width, height: meta.height };
}

export interface DevelopedRaw {
  width: number;
  height: number;
  /** Interleaved 16-bit RGB, upright. */
  rgb: Uint16Array;
}

/** Develops a RAW file to 16-bit RGB, upright, as `colour` asks. */
export async function developRaw(file: string, colour: RawColour): Promise<DevelopedRaw> {
  const processor = await openRaw(file, colour);
  let image;
  try {
    image = processor.imageData();
  } catch {
    throw new DeepfieldError(`${path.basename(file)} could not be developed by LibRaw (damaged or truncated RAW data)`, file);
  }
  if (image.bits !== 16 || image.colors !== 3 || !(image.data instanceof Uint16Array)) {
    throw new DeepfieldError(`${path.basename(file)} developed as ${image.colors} channels of ${image.bits} bits; expected 16-bit RGB`, file);
  }
  return { width: image.width, height: image.height, rgb: image.data };
}
