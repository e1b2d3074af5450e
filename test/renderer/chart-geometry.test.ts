import { describe, expect, it } from 'vitest';
import { chartPoints, linePath, sliceTicks, valueRange } from '../../src/renderer/src/chart/chart-geometry';

const box = { width: 120, height: 70, padding: { left: 10, right: 10, top: 10, bottom: 10 } };

describe('chart geometry', () => {
  it('spreads slices across the width and puts the largest value at the top', () => {
    const points = chartPoints([0, 5, 10], box);
    expect(points.map((p) => p.x)).toEqual([10, 60, 110]);
    expect(points.map((p) => p.y)).toEqual([60, 35, 10]);
  });

  it('leaves a gap in the line where a slice has no value yet', () => {
    const path = linePath(chartPoints([1, Number.NaN, 2, 3], box));
    expect(path.match(/M/g)).toHaveLength(2);
  });

  it('labels every slice of a short stack', () => {
    expect(sliceTicks(7)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('labels a long stack sparsely but always labels the last slice', () => {
    const ticks = sliceTicks(40, 8);
    expect(ticks.length).toBeLessThanOrEqual(9);
    expect(ticks[ticks.length - 1]).toBe(39);
  });
});

describe('the focus curve’s y axis', () => {
  it('is fitted to its data, so scores of 67 to 80 use the chart’s height rather than its top sixth', () => {
    const scores = [67.6, 68.5, 72.1, 75.6, 80.3];
    const { bottom, top } = valueRange(scores, 'data');
    expect(bottom).toBeGreaterThan(60);
    expect(bottom).toBeLessThan(67.6);
    expect(top).toBeGreaterThan(80.3);
    const ys = chartPoints(scores, box, 'data').map((p) => p.y);
    // Lowest and highest score span most of the 50 px of inner height.
    expect(ys[0] - ys[4]).toBeGreaterThan(40);
    expect(chartPoints(scores, box).map((p) => p.y)[0] - chartPoints(scores, box)[4].y).toBeLessThan(10);
  });
});
