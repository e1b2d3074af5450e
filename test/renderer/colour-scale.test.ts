import { describe, expect, it } from 'vitest';
import { createVarianceScale, LOG_FLOOR_FRACTION } from '../../src/shared/colour-scale';

describe('createVarianceScale', () => {
  it('maps 0 to 0 and the stack maximum to 1 on a linear scale', () => {
    const scale = createVarianceScale(200, 'linear');
    expect(scale.toUnit(0)).toBe(0);
    expect(scale.toUnit(50)).toBeCloseTo(0.25);
    expect(scale.toUnit(200)).toBe(1);
  });

  it('clamps values outside 0..max and NaN into 0..1', () => {
    const scale = createVarianceScale(10, 'linear');
    expect(scale.toUnit(-3)).toBe(0);
    expect(scale.toUnit(25)).toBe(1);
    expect(scale.toUnit(Number.NaN)).toBe(0);
  });

  it('maps 0 to 0 and max to 1 on a log scale, with zero variance allowed', () => {
    const scale = createVarianceScale(1000, 'log');
    expect(scale.toUnit(0)).toBe(0);
    expect(scale.toUnit(1000)).toBeCloseTo(1, 12);
  });

  it('gives equal steps to equal ratios on a log scale (well above the floor)', () => {
    const scale = createVarianceScale(1e4, 'log');
    const step1 = scale.toUnit(1e4) - scale.toUnit(1e3);
    const step2 = scale.toUnit(1e3) - scale.toUnit(1e2);
    expect(step1).toBeCloseTo(step2, 2);
  });

  it('lifts small variances on the log scale compared with the linear one', () => {
    expect(createVarianceScale(1000, 'log').toUnit(10)).toBeGreaterThan(createVarianceScale(1000, 'linear').toUnit(10) * 10);
  });

  it('inverts toUnit with fromUnit on both scales', () => {
    for (const mode of ['linear', 'log'] as const) {
      const scale = createVarianceScale(5000, mode);
      for (const v of [0, 5000 * LOG_FLOOR_FRACTION, 1, 37.5, 4999]) {
        expect(scale.fromUnit(scale.toUnit(v))).toBeCloseTo(v, 6);
      }
    }
  });

  it('puts everything at 0 when the stack has no variance at all', () => {
    const scale = createVarianceScale(0, 'log');
    expect(scale.toUnit(12)).toBe(0);
    expect(scale.fromUnit(1)).toBe(0);
  });
});
