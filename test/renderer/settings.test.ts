import { describe, expect, it } from 'vitest';
import { DEFAULT_EXPORT_CHOICES, DEFAULT_SETTINGS, exportOutputsFrom, loadSettings, parseSliceList, rangeForFolder, saveSettings, SETTINGS_KEY, sliceRangeFrom, slicesInRange } from '../../src/renderer/src/settings';

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), items };
}

describe('remembered settings', () => {
  it('round-trips every field through storage', () => {
    const storage = memoryStorage();
    const settings = { ...DEFAULT_SETTINGS, sigma: '3', method: 'pyramid' as const, align: 'affine' as const, rangeFrom: '3', rangeTo: '17', export: { ...DEFAULT_EXPORT_CHOICES, format: 'webp' as const, quality: 70 } };
    saveSettings(storage, settings);
    expect(loadSettings(storage)).toEqual(settings);
  });

  it('falls back to the default for each field that is missing, of the wrong type or not a known value', () => {
    const storage = memoryStorage({ [SETTINGS_KEY]: JSON.stringify({ sigma: 4, method: 'median', align: 'translation', export: { format: 'gif', quality: 500, heatmaps: true } }) });
    const settings = loadSettings(storage);
    expect(settings.sigma).toBe(DEFAULT_SETTINGS.sigma);
    expect(settings.method).toBe('argmax');
    expect(settings.align).toBe('translation');
    expect(settings.export).toEqual({ ...DEFAULT_EXPORT_CHOICES, heatmaps: true });
  });

  it('starts from the defaults when storage holds no JSON or is missing', () => {
    expect(loadSettings(memoryStorage({ [SETTINGS_KEY]: '{not json' }))).toEqual(DEFAULT_SETTINGS);
    expect(loadSettings(undefined)).toEqual(DEFAULT_SETTINGS);
  });
});

describe('slice lists and ranges as typed', () => {
  it('reads single slices and ranges into sorted unique 0-based indices', () => {
    expect(parseSliceList('3, 1-2, 2', 5)).toEqual([0, 1, 2]);
    expect(parseSliceList('  ', 5)).toEqual([]);
  });

  it('refuses a slice outside the stack or a reversed range, quoting it', () => {
    expect(() => parseSliceList('6', 5)).toThrow('Expected slice numbers from 1 to 5 (like 1, 3-5) for in-focus slices but received "6"');
    expect(() => parseSliceList('4-2', 5)).toThrow(/received "4-2"/);
    expect(() => parseSliceList('x', 5)).toThrow(/received "x"/);
  });

  it('turns from/to fields into a range; blank both is the whole folder, a blank end is "to the last"', () => {
    expect(sliceRangeFrom('3', '17')).toEqual({ from: 3, to: 17 });
    expect(sliceRangeFrom('', '')).toBeUndefined();
    expect(sliceRangeFrom('4', '')).toEqual({ from: 4, to: 65535 });
    expect(() => sliceRangeFrom('5', '3')).toThrow(/first not above last/);
    expect(() => sliceRangeFrom('0', '3')).toThrow(/slice range/);
  });
});

describe('export dialog choices as the host’s ExportOutputs', () => {
  it('sends quality only for lossy formats and compression only for TIFF, and joins the z-step and its unit', () => {
    const tiff = exportOutputsFrom({ ...DEFAULT_EXPORT_CHOICES, format: 'tiff', depth: '16', tiffCompression: 'lzw', heightMap: true, zStep: '0.5', zUnit: 'um', maskedSlices: '2-3' }, 4);
    expect(tiff.composite).toEqual({ format: 'tiff', depth: 16, tiffCompression: 'lzw', metadata: true });
    expect(tiff.zStep).toBe('0.5um');
    expect(tiff.maskedSlices).toEqual([1, 2]);
    const jpeg = exportOutputsFrom({ ...DEFAULT_EXPORT_CHOICES, format: 'jpeg', quality: 80, depth: '8' }, 4);
    expect(jpeg.composite).toEqual({ format: 'jpeg', depth: 8, quality: 80, metadata: true });
    expect(jpeg.maskedSlices).toBeUndefined();
  });

  it('refuses 16-bit JPEG/WebP and a z-step that is not a positive number', () => {
    expect(() => exportOutputsFrom({ ...DEFAULT_EXPORT_CHOICES, format: 'webp', depth: '16' }, 4)).toThrow(/WEBP holds 8 bits/);
    expect(() => exportOutputsFrom({ ...DEFAULT_EXPORT_CHOICES, zStep: '-1' }, 4)).toThrow(/z-step is the distance between slices: type a number above 0/);
  });

  it('asks for a z-step with a height map unless the slices record their spacing', () => {
    expect(() => exportOutputsFrom({ ...DEFAULT_EXPORT_CHOICES, heightMap: true }, 4)).toThrow(/height map needs the distance between slices/);
    expect(exportOutputsFrom({ ...DEFAULT_EXPORT_CHOICES, heightMap: true }, 4, '0.05um')).toMatchObject({ heightMap: true });
    expect(exportOutputsFrom({ ...DEFAULT_EXPORT_CHOICES, heightMap: true, zStep: '0.5' }, 4)).toMatchObject({ zStep: '0.5um' });
  });
});

describe('rangeForFolder', () => {
  const typed = { rangeFrom: '3', rangeTo: '7' };
  it('applies a range to the folder it was typed for, or to the next folder when typed before any', () => {
    expect(rangeForFolder({ ...typed, rangeFolder: '/data/pcb' }, '/data/pcb')).toEqual({ range: { from: 3, to: 7 }, forget: false });
    expect(rangeForFolder({ ...typed, rangeFolder: '' }, '/data/other')).toEqual({ range: { from: 3, to: 7 }, forget: false });
  });
  it('drops a range typed for another folder', () => {
    expect(rangeForFolder({ ...typed, rangeFolder: '/data/pcb' }, '/data/other')).toEqual({ forget: true });
  });
  it('counts what a range keeps of a folder', () => {
    expect(slicesInRange({ from: 3, to: 7 }, 8)).toBe(5);
    expect(slicesInRange({ from: 3, to: 65535 }, 8)).toBe(6);
    expect(slicesInRange(undefined, 8)).toBe(8);
  });
});
