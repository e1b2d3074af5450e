// Geometry of the small line charts (focus curve, pixel profile): slice numbers along x, raw
// variance up y from zero, so curves of different slices compare by height.

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

export function chartPoints(values: readonly number[], box: ChartBox): ChartPoint[] {
  const innerWidth = box.width - box.padding.left - box.padding.right;
  const innerHeight = box.height - box.padding.top - box.padding.bottom;
  const top = Math.max(0, ...values.filter(Number.isFinite));
  return values.map((value, i) => ({
    // A single slice sits in the middle rather than on the axis.
    x: box.padding.left + (values.length > 1 ? (i / (values.length - 1)) * innerWidth : innerWidth / 2),
    y: box.padding.top + innerHeight - (top > 0 && Number.isFinite(value) ? (Math.max(0, value) / top) * innerHeight : 0),
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
