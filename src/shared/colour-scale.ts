// Maps raw local variance onto 0..1 for display, on ONE scale shared by every slice of a stack,
// so that a brighter heatmap pixel always means a sharper pixel, whichever slice it is in.
// Pure maths: the renderer's heatmaps and colour bar and any server-side rendering use the same
// mapping, so a colour bar drawn here matches an image drawn there.

export type ScaleMode = 'linear' | 'log';

/**
 * The log scale needs a floor because flat areas have a variance of exactly 0. A floor at 1e-4 of
 * the maximum shows four decades, enough to see the falling edge of focus without amplifying the
 * sensor noise of the flat background into a uniform glow.
 */
export const LOG_FLOOR_FRACTION = 1e-4;

export interface VarianceScale {
  mode: ScaleMode;
  /** The top of the scale: the largest raw variance over the whole stack. */
  max: number;
  /** Raw variance to 0..1 (values outside 0..max are clamped). */
  toUnit(variance: number): number;
  /** 0..1 back to raw variance: the inverse of toUnit, for labelling a colour bar. */
  fromUnit(unit: number): number;
}

function clampUnit(value: number): number {
  if (!(value > 0)) return 0; // also catches NaN
  return value >= 1 ? 1 : value;
}

export function createVarianceScale(max: number, mode: ScaleMode): VarianceScale {
  if (!(max > 0) || !Number.isFinite(max)) {
    // No variance anywhere yet (or a perfectly flat stack): everything sits at the bottom.
    return { mode, max: 0, toUnit: () => 0, fromUnit: () => 0 };
  }
  if (mode === 'linear') {
    return {
      mode,
      max,
      toUnit: (variance) => clampUnit(variance / max),
      fromUnit: (unit) => clampUnit(unit) * max,
    };
  }
  const floor = max * LOG_FLOOR_FRACTION;
  const top = Math.log1p(max / floor);
  return {
    mode,
    max,
    toUnit: (variance) => clampUnit(Math.log1p(Math.max(0, variance) / floor) / top),
    fromUnit: (unit) => floor * Math.expm1(clampUnit(unit) * top),
  };
}
