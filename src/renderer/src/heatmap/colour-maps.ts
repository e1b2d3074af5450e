// Colour maps as 256-entry lookup tables built once from d3-scale-chromatic, so painting a
// heatmap is a table lookup per pixel rather than a string-returning interpolator call.
import { interpolateTurbo, interpolateViridis } from 'd3-scale-chromatic';

/** 256 RGB triples, row after row: entry i is at [3i, 3i+1, 3i+2]. */
export type ColourTable = Uint8Array;

function parseCssColour(colour: string): [number, number, number] {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  if (hex) return [parseInt(hex[1], 16), parseInt(hex[2], 16), parseInt(hex[3], 16)];
  const rgb = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(colour);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  throw new Error(`Expected a #rrggbb or rgb() colour for colour map entry but received ${JSON.stringify(colour)}`);
}

export function buildColourTable(interpolate: (t: number) => string): ColourTable {
  const table = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) table.set(parseCssColour(interpolate(i / 255)), i * 3);
  return table;
}

/** Viridis: perceptually uniform and readable by people with common colour-vision deficiencies. */
export const VIRIDIS = buildColourTable(interpolateViridis);

/**
 * Depth colours for slice numbers: turbo spreads neighbouring slices over clearly different hues
 * (viridis would make slices 7 and 8 of 24 indistinguishable) and is visibly a different map from
 * the heatmaps, so a depth map is never mistaken for a focus map.
 */
export function depthColour(slice: number, sliceCount: number): [number, number, number] {
  // The darkest ends of turbo are hard to tell apart on a dark background: use its middle 90%.
  const t = sliceCount <= 1 ? 0.5 : 0.05 + (0.9 * slice) / (sliceCount - 1);
  return parseCssColour(interpolateTurbo(t));
}

export function cssColour([r, g, b]: readonly [number, number, number]): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/** CSS gradient of a colour table, for the colour bar. */
export function cssGradient(table: ColourTable, stops = 16): string {
  const parts: string[] = [];
  for (let i = 0; i < stops; i++) {
    const entry = Math.round((i / (stops - 1)) * 255) * 3;
    parts.push(`rgb(${table[entry]}, ${table[entry + 1]}, ${table[entry + 2]}) ${((i / (stops - 1)) * 100).toFixed(1)}%`);
  }
  return `linear-gradient(to right, ${parts.join(', ')})`;
}
