// @vitest-environment happy-dom
// Retouch mode in the app against the fake host: what a painted stroke sends (the whole list,
// from the chosen source slice, with the brush as set), undo and redo as shorter and longer
// lists, the before/after toggle as the revision the composite is asked for, the sharpest slice
// at an Alt+clicked pixel offered as the source, and the keys acting only while the mode is on.
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { finishedDemo, settle } from './app-fixture';
import { createFakeApi, type FakeApi } from './fake-api';

// The viewer swaps an image in once it has loaded off-screen; here every image loads at once.
class InstantImage {
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  set src(_url: string) {
    queueMicrotask(() => this.onload?.());
  }
}

beforeEach(() => {
  vi.stubGlobal('Image', InstantImage);
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

/** A finished three-slice job shown on the composite view. */
async function finishedComposite(): Promise<FakeApi> {
  const api = createFakeApi({ sliceCount: 3, layout: { width: 640, height: 480, channels: 3, bitDepth: 8 } });
  await finishedDemo(api);
  fireEvent.click(screen.getByRole('tab', { name: 'Composite' }));
  return api;
}

function paintStroke(from: { x: number; y: number }, to: { x: number; y: number }): void {
  const stage = screen.getByRole('group', { name: 'Composite view' });
  fireEvent.pointerDown(stage, { button: 0, pointerId: 7, clientX: from.x, clientY: from.y });
  fireEvent.pointerMove(stage, { pointerId: 7, clientX: (from.x + to.x) / 2, clientY: (from.y + to.y) / 2 });
  fireEvent.pointerMove(stage, { pointerId: 7, clientX: to.x, clientY: to.y });
  fireEvent.pointerUp(stage, { button: 0, pointerId: 7, clientX: to.x, clientY: to.y });
}

/** The revision the composite image is asked for (0: the merged result). */
function shownRevision(): number {
  const src = screen.getByRole('img', { name: 'Composite' }).getAttribute('src') ?? '';
  return Number(new URL(src, 'http://x').searchParams.get('retouch') ?? 0);
}

describe('Retouch mode', () => {
  it('a stroke sends the whole list from the source slice with the brush as set; undo, redo and before/after follow', async () => {
    const api = await finishedComposite();
    fireEvent.click(screen.getByRole('button', { name: 'Retouch' }));
    fireEvent.change(screen.getByRole('combobox', { name: 'Source slice' }), { target: { value: '2' } });
    fireEvent.change(screen.getByRole('spinbutton', { name: 'Brush size' }), { target: { value: '30' } });
    fireEvent.keyDown(window, { key: ']' });
    expect(screen.getByRole('spinbutton', { name: 'Brush size' })).toHaveProperty('value', '33');
    // About a tenth of the size per step: 33 -> 30 -> 27.
    fireEvent.keyDown(window, { key: '[' });
    fireEvent.keyDown(window, { key: '[' });
    expect(screen.getByRole('spinbutton', { name: 'Brush size' })).toHaveProperty('value', '27');

    paintStroke({ x: 10, y: 20 }, { x: 90, y: 20 });
    await settle();
    expect(api.retouches).toHaveLength(1);
    const [stroke] = api.retouches[0].strokes;
    expect(stroke).toMatchObject({ tool: 'brush', slice: 2, size: 27, hardness: 0.8, opacity: 1 });
    expect(stroke.points.length).toBeGreaterThanOrEqual(2);
    expect(stroke.points.flat().every(Number.isFinite)).toBe(true);
    expect(shownRevision()).toBe(1);
    expect(screen.getByRole('status', { name: 'Strokes' }).textContent).toMatch(/^1 stroke\b/);

    fireEvent.keyDown(window, { key: 'z', ctrlKey: true });
    await settle();
    expect(api.retouches[1].strokes).toEqual([]);
    expect(shownRevision()).toBe(2);

    fireEvent.keyDown(window, { key: 'Z', ctrlKey: true, shiftKey: true });
    await settle();
    expect(api.retouches[2].strokes).toEqual([stroke]);
    expect(shownRevision()).toBe(3);

    fireEvent.click(screen.getByRole('checkbox', { name: 'Show before retouching' }));
    await settle();
    expect(shownRevision()).toBe(0);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Show before retouching' }));
    await settle();
    expect(shownRevision()).toBe(3);

    fireEvent.click(screen.getByRole('radio', { name: 'Eraser' }));
    paintStroke({ x: 50, y: 20 }, { x: 60, y: 20 });
    await settle();
    expect(api.retouches[3].strokes.map((s) => s.tool)).toEqual(['brush', 'eraser']);
    expect(api.retouches[3].strokes[1]).not.toHaveProperty('slice');
  });

  it('offers the sharpest slice at an Alt+clicked pixel as the source', async () => {
    await finishedComposite();
    fireEvent.click(screen.getByRole('button', { name: 'Retouch' }));
    const stage = screen.getByRole('group', { name: 'Composite view' });
    fireEvent.pointerDown(stage, { button: 0, altKey: true, pointerId: 3, clientX: 5, clientY: 5 });
    fireEvent.pointerUp(stage, { button: 0, altKey: true, pointerId: 3, clientX: 5, clientY: 5 });
    await settle();
    // The fake host's focus profile peaks at slice index 1.
    fireEvent.click(screen.getByRole('button', { name: 'Use slice 2 (sharpest there)' }));
    expect(screen.getByRole('combobox', { name: 'Source slice' })).toHaveProperty('value', '1');
  });

  it('the brush keys, undo and redo do nothing while Retouch mode is off', async () => {
    const api = await finishedComposite();
    fireEvent.click(screen.getByRole('button', { name: 'Retouch' }));
    paintStroke({ x: 10, y: 20 }, { x: 90, y: 20 });
    await settle();
    fireEvent.click(screen.getByRole('button', { name: 'Retouch' }));
    fireEvent.keyDown(window, { key: 'z', ctrlKey: true });
    fireEvent.keyDown(window, { key: ']' });
    await settle();
    expect(api.retouches).toHaveLength(1);
    fireEvent.click(screen.getByRole('button', { name: 'Retouch' }));
    expect(screen.getByRole('spinbutton', { name: 'Brush size' })).toHaveProperty('value', '40');
  });
});
