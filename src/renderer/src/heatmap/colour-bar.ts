// The colour bar's gradient and labels, from the same lookup table and scale as the heatmaps.
import type { VarianceScale } from '../../../shared/colour-scale';

/** CSS gradient through a 256-entry RGB lookup table (src/shared/colour-maps.ts). */
export function cssGradient(lut: Uint8Array, stops = 16): string {
  const parts: string[] = [];
  for (let i = 0; i < stops; i++) {
    const unit = i / (stops - 1);
    const entry = Math.round(unit * 255) * 3;
    parts.push(`rgb(${lut[entry]}, ${lut[entry + 1]}, ${lut[entry + 2]}) ${(unit * 100).toFixed(1)}%`);
  }
  return `linear-gradient(to right, ${parts.join(', ')})`;
}

/** Raw-variance labels at evenly spaced positions of the bar (log scales get uneven values). */
export function colourBarTicks(scale: VarianceScale, count = 5): { unit: number; variance: number }[] {
  const ticks: { unit: number; variance: number }[] = [];
  for (let i = 0; i < count; i++) {
    const unit = i / (count - 1);
    ticks.push({ unit, variance: scale.fromUnit(unit) });
  }
  return ticks;
}
