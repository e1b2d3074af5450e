import { describe, expect, it } from 'vitest';
import { formatDuration, formatScore, formatShare } from '../../src/renderer/src/format';

describe('formatDuration', () => {
  it('shows minutes and zero-padded seconds', () => {
    expect(formatDuration(4200)).toBe('0:04');
    expect(formatDuration(62_000)).toBe('1:02');
  });
  it('adds hours only when needed', () => {
    expect(formatDuration(3_723_000)).toBe('1:02:03');
  });
  it('never shows negative time', () => {
    expect(formatDuration(-500)).toBe('0:00');
  });
});


describe('formatScore', () => {
  it('keeps three significant digits', () => {
    expect(formatScore(1.3749)).toBe('1.37');
    expect(formatScore(0.8213)).toBe('0.821');
    expect(formatScore(123.45)).toBe('123');
  });
  it('groups thousands of large scores', () => {
    expect(formatScore(12345.6)).toBe('12,346');
  });
});

describe('formatShare', () => {
  it('shows whole percentages', () => {
    expect(formatShare(31, 100)).toBe('31%');
  });
  it('shows a slice that won a few pixels as <1% rather than 0%', () => {
    expect(formatShare(3, 10_000)).toBe('<1%');
    expect(formatShare(0, 10_000)).toBe('0%');
  });
});
