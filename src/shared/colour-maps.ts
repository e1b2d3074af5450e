// Colour maps as 256-entry lookup tables, built once from d3-scale-chromatic, so the host's
// rendered images (depth map, exported heatmaps) and the renderer's legends and colour bars use
// exactly the same colours. Pure maths: no Node, no DOM.
import { interpolateInferno, interpolateTurbo, interpolateViridis } from 'd3-scale-chromatic';

export type ColourMapName = 'viridis' | 'inferno' | 'turbo';

const INTERPOLATORS: Record<ColourMapName, (t: number) => string> = {
  viridis: interpolateViridis,
  inferno: interpolateInferno,
  turbo: interpolateTurbo,
};

/** Parses the two shapes d3 returns: "#rrggbb" and "rgb(r, g, b)". */
function parseColour(css: string): [number, number, number] {
  if (css.startsWith('#')) {
    const n = parseInt(css.slice(1, 7), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const parts = css.match(/\d+(\.\d+)?/g);
  if (!parts || parts.length < 3) throw new Error(`Expected a CSS colour for parseColour but received ${css}`);
  return [Math.round(Number(parts[0])), Math.round(Number(parts[1])), Math.round(Number(parts[2]))];
}

const luts = new Map<ColourMapName, Uint8Array>();

/** RGB triples for t = i / 255, i = 0..255: lut[3i], lut[3i+1], lut[3i+2]. */
export function colourLut(name: ColourMapName): Uint8Array {
  let lut = luts.get(name);
  if (!lut) {
    lut = new Uint8Array(256 * 3);
    for (let i = 0; i < 256; i++) lut.set(parseColour(INTERPOLATORS[name](i / 255)), i * 3);
    luts.set(name, lut);
  }
  return lut;
}

/**
 * The one colour-map painter (heatmaps, confidence, depth maps; host, engine and renderer alike):
 * each value through `toUnit` onto 0..1 (clamped), then to the nearest of the table's entries
 * (`lut`: RGB triples, any count), written as RGB, or RGBA with opaque alpha, into `out` from
 * pixel `at` on (so a band can be painted into a whole image).
 */
export function paintColours<T extends Uint8Array | Uint8ClampedArray = Uint8Array>(
  values: ArrayLike<number>,
  toUnit: (value: number) => number,
  lut: Uint8Array,
  options: { channels?: 3 | 4; out?: T; at?: number } = {},
): T {
  const channels = options.channels ?? 3;
  const out = options.out ?? (new Uint8Array(values.length * channels) as T);
  const top = lut.length / 3 - 1;
  let o = (options.at ?? 0) * channels;
  for (let i = 0; i < values.length; i++, o += channels) {
    const entry = Math.round(Math.min(1, Math.max(0, toUnit(values[i]))) * top) * 3;
    out[o] = lut[entry];
    out[o + 1] = lut[entry + 1];
    out[o + 2] = lut[entry + 2];
    if (channels === 4) out[o + 3] = 255;
  }
  return out;
}

/** The colour of a unit value 0..1 (clamped) in a colour map. */
export function colourAt(name: ColourMapName, unit: number): [number, number, number] {
  const i = Math.round(Math.min(1, Math.max(0, unit || 0)) * 255) * 3;
  const lut = colourLut(name);
  return [lut[i], lut[i + 1], lut[i + 2]];
}

/**
 * Depth maps use turbo: neighbouring slice numbers stay distinguishable across a long stack. Its
 * darkest ends are hard to tell apart on a dark background, so only its middle 90% is used.
 */
export function depthColour(index: number, sliceCount: number): [number, number, number] {
  const t = sliceCount <= 1 ? 0.5 : 0.05 + (0.9 * index) / (sliceCount - 1);
  return parseColour(interpolateTurbo(t));
}

/** RGB per slice index (lut[3k..3k+2] = depthColour(k, sliceCount)), for painting depth maps. */
export function depthLut(sliceCount: number): Uint8Array {
  const lut = new Uint8Array(sliceCount * 3);
  for (let k = 0; k < sliceCount; k++) lut.set(depthColour(k, sliceCount), k * 3);
  return lut;
}

/** "#rrggbb" for CSS (legends). */
export function cssColour([r, g, b]: [number, number, number]): string {
  return '#' + ((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1);
}
