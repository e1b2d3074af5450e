// Display controls for dim data (Fiji's brightness/contrast): a window [black, white] on the image
// as shown and a gamma, as the lookup table an SVG feComponentTransfer applies on the GPU, so the
// full-resolution images need not be fetched again; a histogram and automatic limits from its
// percentiles (ImageJ's "Auto" saturates a fraction of the pixels at each end).

/** Levels 0..255 of the image as shown (16-bit slices arrive stretched to their own range). */
export interface DisplayWindow {
  black: number;
  white: number;
  gamma: number;
}

export const IDENTITY_WINDOW: DisplayWindow = { black: 0, white: 255, gamma: 1 };

export function isIdentity(w: DisplayWindow): boolean {
  return w.black === 0 && w.white === 255 && w.gamma === 1;
}

/** The window as 256 output levels 0..1, for feFuncR/G/B type="table". */
export function windowTable(w: DisplayWindow): number[] {
  const span = Math.max(1, w.white - w.black);
  return Array.from({ length: 256 }, (_, level) => {
    const t = Math.min(1, Math.max(0, (level - w.black) / span));
    return Number((t ** (1 / w.gamma)).toFixed(4));
  });
}

/** Luminance histogram (256 bins) of RGBA pixels, transparent ones left out. */
export function histogram(rgba: Uint8ClampedArray): number[] {
  const bins = new Array<number>(256).fill(0);
  for (let i = 0; i < rgba.length; i += 4) {
    if (rgba[i + 3] === 0) continue;
    bins[Math.round(0.299 * rgba[i] + 0.587 * rgba[i + 1] + 0.114 * rgba[i + 2])]++;
  }
  return bins;
}

/** Black and white at the `saturated` fraction of pixels from each end (0.35% as ImageJ's Auto). */
export function autoWindow(bins: readonly number[], saturated = 0.0035): DisplayWindow {
  const total = bins.reduce((a, b) => a + b, 0);
  if (total === 0) return IDENTITY_WINDOW;
  const level = (fraction: number) => {
    let sum = 0;
    for (let k = 0; k < bins.length; k++) {
      sum += bins[k];
      if (sum > fraction * total) return k;
    }
    return bins.length - 1;
  };
  const black = level(saturated);
  const white = Math.max(black + 1, level(1 - saturated));
  return { black, white: Math.min(255, white), gamma: 1 };
}

/** A scale bar's length in the pixel size's unit: 1, 2 or 5 times a power of ten, near `target` screen pixels. */
export function scaleBarLength(unitsPerScreenPixel: number, target = 120): number {
  const wanted = unitsPerScreenPixel * target;
  const power = 10 ** Math.floor(Math.log10(wanted));
  const nice = [1, 2, 5, 10].find((m) => m * power >= wanted * 0.6) ?? 10;
  return nice * power;
}
