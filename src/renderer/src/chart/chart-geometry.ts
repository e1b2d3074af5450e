// Geometry of the small line charts (focus curve, pixel profile): slice numbers along x, raw
// variance up y, from zero (pixel profiles: peaks compare by height) or fitted to the data (the
// focus curve: a dim stack's scores differ by a few percent, which a zero-based axis flattens).

export interface ChartBox {
  width: number;
  height: number;
  /** Space for the axis labels: left, right, top, bottom. */
  padding: { left: number; right: number; top: number; bottom: number };
}

export interface ChartPoint {
  x: number;
  y: number;
  value: number;
}

/** The y range a chart shows: from zero, or fitted to the data (a few percent of margin). */
export function valueRange(values: readonly number[], fit: 'zero' | 'data'): { bottom: number; top: number } {
  const finite = values.filter(Number.isFinite);
  const top = Math.max(0, ...finite);
  if (fit === 'zero' || finite.length === 0) return { bottom: 0, top };
  const low = Math.min(...finite);
  // A flat curve still gets some height, centred on its value.
  const margin = Math.max((top - low) * 0.08, Math.abs(top) * 0.01, 1e-12);
  return { bottom: Math.max(0, low - margin), top: top + margin };
}

export function chartPoints(values: readonly number[], box: ChartBox, fit: 'zero' | 'data' = 'zero'): ChartPoint[] {
  const innerWidth = box.width - box.padding.left - box.padding.right;
  const innerHeight = box.height - box.padding.top - box.padding.bottom;
  const { bottom, top } = valueRange(values, fit);
  const span = top - bottom;
  return values.map((value, i) => ({
    // A single slice sits in the middle rather than on the axis.
    x: box.padding.left + (values.length > 1 ? (i / (values.length - 1)) * innerWidth : innerWidth / 2),
    y: box.padding.top + innerHeight - (span > 0 && Number.isFinite(value) ? (Math.min(top, Math.max(bottom, value)) - bottom) / span * innerHeight : 0),
    value,
  }));
}

/** SVG path through the points; a gap wherever a value is still unknown (NaN). */
export function linePath(points: readonly ChartPoint[]): string {
  let path = '';
  let penDown = false;
  for (const p of points) {
    if (!Number.isFinite(p.value)) {
      penDown = false;
      continue;
    }
    path += `${penDown ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`;
    penDown = true;
  }
  return path;
}

/** Which slice numbers get a label on the x axis: all when few, else every k-th plus the last. */
export function sliceTicks(count: number, maxLabels = 8): number[] {
  if (count <= 0) return [];
  const step = Math.max(1, Math.ceil(count / maxLabels));
  const ticks: number[] = [];
  for (let i = 0; i < count; i += step) ticks.push(i);
  if (ticks[ticks.length - 1] !== count - 1) {
    // Avoid two labels crowding at the end.
    if (count - 1 - ticks[ticks.length - 1] < step / 2) ticks.pop();
    ticks.push(count - 1);
  }
  return ticks;
}
