// The stack options' one source (shared/options.ts): the command line's flags are read through
// its schema, with its limits and its defaults, and refused in its words.
import { describe, expect, test } from 'vitest';
import { DEFAULT_STACK_OPTIONS, parseOptionText, parseStackOptions, SIGMA_EXPECTED, SIGMA_MAX, withDefaults } from '../../src/shared/options';

describe('a flag as typed', () => {
  test('is read as its schema reads it', () => {
    expect(parseOptionText('sigma', '1.5')).toBe(1.5);
    expect(parseOptionText('reference', '3')).toBe(3);
    expect(parseOptionText('method', 'pyramid')).toBe('pyramid');
  });

  test('is refused at the schema’s limits, quoting the text as typed', () => {
    expect(parseOptionText('sigma', String(SIGMA_MAX))).toBe(SIGMA_MAX);
    expect(() => parseOptionText('sigma', String(SIGMA_MAX + 0.5))).toThrow(`Expected ${SIGMA_EXPECTED} for sigma but received "64.5" of type string`);
    expect(() => parseOptionText('limitInputPixels', '-1', 'limit-input-pixels')).toThrow(/for limit-input-pixels but received "-1"/);
    expect(() => parseOptionText('sigma', '')).toThrow(/for sigma but received ""/);
    expect(() => parseOptionText('reference', '1.5')).toThrow('Expected a whole number from 0 for reference but received "1.5" of type string');
    expect(() => parseOptionText('align', 'rigid')).toThrow('Expected auto, off, translation, similarity, affine (one of) for align but received "rigid"');
  });

  test('gives the same refusal as the whole options would', () => {
    expect(() => parseStackOptions({ sigma: SIGMA_MAX + 1 })).toThrow(`Expected ${SIGMA_EXPECTED} for sigma`);
  });
});

test('options checked elsewhere are completed with the schema’s defaults', () => {
  expect(withDefaults({ sigma: 3, method: undefined })).toEqual({ ...DEFAULT_STACK_OPTIONS, sigma: 3 });
  expect(withDefaults({})).toEqual(parseStackOptions({}));
});
