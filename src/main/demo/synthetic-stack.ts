// Synthetic focus stacks with a known answer: a textured scene, a depth map of steps and slopes
// (in slice units), and slices rendered by defocusing each pixel in proportion to its distance
// from the slice's focal plane. Used by the demo stack, the benchmark and quality measurements.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { PixelLayout } from '../../shared/types';

export interface SyntheticStackSpec {
  width: number;
  height: number;
  sliceCount: number;
  /** Seed of the texture and noise; the same seed gives the same stack. */
  seed?: number;
  /** Standard deviation of the sensor noise added to each slice, in 8-bit units. */
  noise?: number;
  /** Defocus blur sigma (px) per slice of distance from the focal plane. */
  blurPerSlice?: number;
  /** Largest defocus blur sigma (px). */
  maxBlur?: number;
  /** What the stack shows (default 'textured'); see SyntheticScene. */
  scene?: SyntheticScene;
  /**
   * Renders the same scene `supersample` times finer (default 1): the stack's layout is
   * supersample * width by supersample * height, and the texture's cells, the blur sigmas and
   * the halo's edges scale with it. A camera model averages such a render over each sensor
   * pixel's footprint (test/unit/align-fixtures.ts). `noise` is added per rendered pixel.
   */
  supersample?: number;
}

/**
 * 'textured': detail everywhere on a depth of steps and slopes. 'textureless': the same with
 * flat patches that no slice can bring into focus. 'halo': a bright textured object with a
 * high-contrast edge in front of a flat, far background, rendered as two defocused layers so
 * the object's blur spills over the background the way a lens spills it (the classic source of
 * halos in focus stacks).
 */
export type SyntheticScene = 'textured' | 'textureless' | 'halo';

export interface SyntheticStack {
  /** The rendered frame: the spec's width and height times its supersample. */
  layout: PixelLayout;
  /** The all-in-focus scene, RGB 8-bit interleaved. */
  truth: Uint8Array;
  /** True depth per pixel in slice units (0 .. sliceCount-1). */
  depth: Float32Array;
  /** Renders slice k (RGB 8-bit interleaved). */
  renderSlice(k: number): Uint8Array;
}

/** A small fast seeded PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Where rendered pixel i's centre is, in the scene's pixels (clamped at the frame's first centre). */
function scenePosition(i: number, supersample: number): number {
  return Math.max(0, (i + 0.5) / supersample - 0.5);
}

/**
 * Multi-octave value noise per channel: detail at every scale so every region has focus cues.
 * The same noise, cells in scene pixels, whatever the supersampling; rendered
 * supersample * sceneWidth by supersample * sceneHeight.
 */
function renderTexture(sceneWidth: number, sceneHeight: number, seed: number, supersample: number): Uint8Array {
  const random = seededRandom(seed);
  const width = sceneWidth * supersample;
  const height = sceneHeight * supersample;
  const out = new Float32Array(width * height * 3);
  const cells = [96, 24, 6, 2];
  const amplitudes = [0.35, 0.3, 0.2, 0.15];
  for (let octave = 0; octave < cells.length; octave++) {
    const cell = cells[octave];
    const gw = Math.ceil(sceneWidth / cell) + 2;
    const gh = Math.ceil(sceneHeight / cell) + 2;
    for (let c = 0; c < 3; c++) {
      const grid = new Float32Array(gw * gh);
      for (let i = 0; i < grid.length; i++) grid[i] = random();
      const amp = amplitudes[octave] * 255;
      for (let y = 0; y < height; y++) {
        const gy = scenePosition(y, supersample) / cell;
        const y0 = Math.floor(gy);
        const fy = gy - y0;
        for (let x = 0; x < width; x++) {
          const gx = scenePosition(x, supersample) / cell;
          const x0 = Math.floor(gx);
          const fx = gx - x0;
          const g = y0 * gw + x0;
          const top = grid[g] + (grid[g + 1] - grid[g]) * fx;
          const bottom = grid[g + gw] + (grid[g + gw + 1] - grid[g + gw]) * fx;
          out[(y * width + x) * 3 + c] += amp * (top + (bottom - top) * fy);
        }
      }
    }
  }
  const texture = new Uint8Array(out.length);
  for (let i = 0; i < out.length; i++) texture[i] = Math.max(0, Math.min(255, Math.round(out[i])));
  return texture;
}

/**
 * Depth of steps and slopes: a ramp across the frame, a raised block and a disc, in scene pixels;
 * rendered supersample * width by supersample * height.
 */
function renderDepth(width: number, height: number, sliceCount: number, supersample: number): Float32Array {
  const depth = new Float32Array(width * height * supersample * supersample);
  const top = sliceCount - 1;
  const cx = width * 0.7;
  const cy = height * 0.55;
  const radius = Math.min(width, height) * 0.2;
  for (let row = 0; row < height * supersample; row++) {
    const y = scenePosition(row, supersample);
    for (let column = 0; column < width * supersample; column++) {
      const x = scenePosition(column, supersample);
      let d = (top * x) / Math.max(1, width - 1); // slope
      if (x > width * 0.1 && x < width * 0.35 && y > height * 0.15 && y < height * 0.45) d = top * 0.8; // step
      if ((x - cx) ** 2 + (y - cy) ** 2 < radius * radius) d = top * 0.15; // disc
      depth[row * width * supersample + column] = d;
    }
  }
  return depth;
}

function gaussianNoise(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** The spec's frame and blurs in rendered pixels: `supersample` times the scene's. */
function renderedSize(spec: SyntheticStackSpec) {
  const supersample = spec.supersample ?? 1;
  if (!Number.isInteger(supersample) || supersample < 1) {
    throw new Error(`Expected a positive integer for supersample but received ${supersample} of type ${typeof supersample}`);
  }
  const blurPerSlice = spec.blurPerSlice ?? 1.2;
  const maxBlur = spec.maxBlur ?? 8;
  return {
    supersample,
    width: spec.width * supersample,
    height: spec.height * supersample,
    blurPerSlice: blurPerSlice * supersample,
    maxBlur: maxBlur * supersample,
    /** Level j is blurred by sigma min(maxBlur, j * blurPerSlice). */
    levelCount: Math.ceil(maxBlur / blurPerSlice) + 1,
  };
}

export async function createSyntheticStack(spec: SyntheticStackSpec): Promise<SyntheticStack> {
  if (spec.scene === 'halo') return createHaloStack(spec);
  const { sliceCount } = spec;
  const { supersample, width, height, blurPerSlice, maxBlur, levelCount } = renderedSize(spec);
  const seed = spec.seed ?? 1;
  const noise = spec.noise ?? 0;
  const truth = renderTexture(spec.width, spec.height, seed, supersample);
  if (spec.scene === 'textureless') flattenPatches(truth, width, height);
  const depth = renderDepth(spec.width, spec.height, sliceCount, supersample);
  // Defocus levels blurred once (by libvips); each slice interpolates between neighbouring levels.
  const levels = await blurLevels(truth, width, height, 3, levelCount, blurPerSlice, maxBlur, supersample);
  return {
    layout: { width, height, channels: 3, bitDepth: 8 },
    truth,
    depth,
    renderSlice(k: number): Uint8Array {
      const random = seededRandom(seed * 7919 + k + 1);
      const out = new Uint8Array(width * height * 3);
      const top = levelCount - 1;
      for (let p = 0; p < width * height; p++) {
        const level = Math.min(top, Math.abs(depth[p] - k));
        const l0 = Math.floor(level);
        const l1 = Math.min(top, l0 + 1);
        const f = level - l0;
        for (let c = 0; c < 3; c++) {
          const i = p * 3 + c;
          let v = levels[l0][i] + (levels[l1][i] - levels[l0][i]) * f;
          if (noise > 0) v += noise * gaussianNoise(random);
          out[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
        }
      }
      return out;
    },
  };
}

/** Replaces a few rectangles of the texture with their mean colour: areas with no focus cue. */
function flattenPatches(texture: Uint8Array, width: number, height: number): void {
  const patches = [
    [0.05, 0.55, 0.3, 0.9],
    [0.45, 0.08, 0.75, 0.35],
    [0.8, 0.6, 0.97, 0.95],
  ];
  for (const [fx0, fy0, fx1, fy1] of patches) {
    const [x0, y0, x1, y1] = [Math.round(fx0 * width), Math.round(fy0 * height), Math.round(fx1 * width), Math.round(fy1 * height)];
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += texture[(y * width + x) * 3 + c];
      const mean = Math.round(sum / Math.max(1, (x1 - x0) * (y1 - y0)));
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) texture[(y * width + x) * 3 + c] = mean;
    }
  }
}

/**
 * Copies of `image` blurred by sigma min(maxBlur, j * blurPerSlice), j = 0 .. count-1. Sigmas of
 * tens of pixels (supersampled renders) use libvips' approximate Gaussian, whose cost does not
 * grow with sigma; it stays within one level of the float one.
 */
async function blurLevels(image: Uint8Array, width: number, height: number, channels: 1 | 3, count: number, blurPerSlice: number, maxBlur: number, supersample: number) {
  const precision = supersample > 1 ? 'approximate' : 'float';
  const levels: Uint8Array[] = [image];
  for (let j = 1; j < count; j++) {
    const sigma = Math.min(maxBlur, j * blurPerSlice);
    let blur = sharp(image, { raw: { width, height, channels } }).blur({ sigma, precision });
    // sharp writes one-band raw input back as three sRGB bands unless told it is grey.
    if (channels === 1) blur = blur.toColourspace('b-w');
    const blurred = await blur.raw().toBuffer();
    levels.push(new Uint8Array(blurred.buffer, blurred.byteOffset, blurred.length));
  }
  return levels;
}

/**
 * The 'halo' scene: object (textured, bright) at depth round(0.2 (n-1)) over a flat dark
 * background at depth n-1. Each slice is blur(alpha F) + (1 - blur(alpha)) blur(B), each layer
 * blurred by its own distance from the focal plane (the layered defocus model).
 */
async function createHaloStack(spec: SyntheticStackSpec): Promise<SyntheticStack> {
  const { sliceCount } = spec;
  const { supersample, width, height, blurPerSlice, maxBlur, levelCount } = renderedSize(spec);
  const seed = spec.seed ?? 1;
  const noise = spec.noise ?? 0;
  const top = sliceCount - 1;
  const objectDepth = Math.round(0.2 * top);
  const texture = renderTexture(spec.width, spec.height, seed, supersample);
  const background = [40, 45, 55];
  const alpha = new Uint8Array(width * height);
  const premultiplied = new Uint8Array(width * height * 3);
  const backgroundLayer = new Uint8Array(width * height * 3);
  const truth = new Uint8Array(width * height * 3);
  const depth = new Float32Array(width * height);
  // A disc and a bar: straight and curved high-contrast edges, anti-aliased over one rendered pixel.
  const cx = width * 0.4;
  const cy = height * 0.5;
  const radius = Math.min(width, height) * 0.28;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const inDisc = radius - Math.hypot(x + 0.5 - cx, y + 0.5 - cy) + 0.5;
      const inBar = Math.min(x + 0.5 - width * 0.72, width * 0.82 - x - 0.5, y + 0.5 - height * 0.15, height * 0.85 - y - 0.5) + 0.5;
      const a = Math.max(0, Math.min(1, Math.max(inDisc, inBar)));
      alpha[p] = Math.round(255 * a);
      depth[p] = a >= 0.5 ? objectDepth : top;
      for (let c = 0; c < 3; c++) {
        const fg = 150 + 0.4 * texture[p * 3 + c];
        premultiplied[p * 3 + c] = Math.round(a * fg);
        backgroundLayer[p * 3 + c] = background[c];
        truth[p * 3 + c] = Math.round(a * fg + (1 - a) * background[c]);
      }
    }
  }
  const fgLevels = await blurLevels(premultiplied, width, height, 3, levelCount, blurPerSlice, maxBlur, supersample);
  const alphaLevels = await blurLevels(alpha, width, height, 1, levelCount, blurPerSlice, maxBlur, supersample);
  const bgLevels = await blurLevels(backgroundLayer, width, height, 3, levelCount, blurPerSlice, maxBlur, supersample);
  const topLevel = levelCount - 1;
  const at = (levels: Uint8Array[], level: number, i: number) => {
    const l0 = Math.floor(level);
    const l1 = Math.min(topLevel, l0 + 1);
    return levels[l0][i] + (levels[l1][i] - levels[l0][i]) * (level - l0);
  };
  return {
    layout: { width, height, channels: 3, bitDepth: 8 },
    truth,
    depth,
    renderSlice(k: number): Uint8Array {
      const random = seededRandom(seed * 7919 + k + 1);
      const out = new Uint8Array(width * height * 3);
      const fgLevel = Math.min(topLevel, Math.abs(objectDepth - k));
      const bgLevel = Math.min(topLevel, Math.abs(top - k));
      for (let p = 0; p < width * height; p++) {
        const cover = at(alphaLevels, fgLevel, p) / 255;
        for (let c = 0; c < 3; c++) {
          const i = p * 3 + c;
          let v = at(fgLevels, fgLevel, i) + (1 - cover) * at(bgLevels, bgLevel, i);
          if (noise > 0) v += noise * gaussianNoise(random);
          out[i] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
        }
      }
      return out;
    },
  };
}

export type SyntheticFormat = 'jpg' | 'png' | 'tif16';

/**
 * Writes a synthetic stack as numbered files (slice-01.jpg ...) into `folder` and returns their
 * paths. 'tif16' writes 16-bit greyscale TIFFs (luminance scaled by 257).
 */
export async function writeSyntheticStack(
  spec: SyntheticStackSpec,
  folder: string,
  format: SyntheticFormat,
  onSlice?: (k: number) => void,
): Promise<string[]> {
  await fs.mkdir(folder, { recursive: true });
  const stack = await createSyntheticStack(spec);
  const { width, height } = stack.layout;
  const digits = String(spec.sliceCount).length;
  const files: string[] = [];
  for (let k = 0; k < spec.sliceCount; k++) {
    const rgb = stack.renderSlice(k);
    const name = `slice-${String(k + 1).padStart(Math.max(2, digits), '0')}.${format === 'tif16' ? 'tif' : format}`;
    const file = path.join(folder, name);
    const raw = { raw: { width, height, channels: 3 as const } };
    if (format === 'jpg') await sharp(rgb, raw).jpeg({ quality: 92 }).toFile(file);
    else if (format === 'png') await sharp(rgb, raw).png().toFile(file);
    else {
      const grey = new Uint16Array(width * height);
      for (let p = 0; p < grey.length; p++) {
        grey[p] = Math.round(257 * (0.299 * rgb[p * 3] + 0.587 * rgb[p * 3 + 1] + 0.114 * rgb[p * 3 + 2]));
      }
      await sharp(grey, { raw: { width, height, channels: 1 } }).toColourspace('grey16').tiff({ compression: 'deflate' }).toFile(file);
    }
    files.push(file);
    onSlice?.(k);
  }
  return files;
}
