// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/renderer/src/App';
import { createFakeApi, type FakeApi } from './fake-api';

afterEach(() => {
  cleanup();
  // The app remembers its last-used options; each test starts from the defaults.
  localStorage.clear();
});

/** What the toolbar's alignment fields (and the RAW colour, shown only for RAW stacks) send by default. */
const ALIGN_DEFAULTS = { align: 'auto', brightness: true, keepSize: false, rawColour: 'srgb' };

async function settle(): Promise<void> {
  // Lets resolved API promises (previews, profiles, exports) reach React.
  await act(async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  });
}

async function startDemo(api: FakeApi): Promise<void> {
  render(<App api={api} />);
  await settle();
  fireEvent.click(screen.getByRole('button', { name: 'Try a demo stack' }));
  await settle();
}

describe('App with a fake host', () => {
  it('starts the demo stack with the default sigma and method', async () => {
    const api = createFakeApi();
    await startDemo(api);
    expect(api.started).toEqual([{ source: { kind: 'demo' }, options: { sigma: 2, method: 'argmax', ...ALIGN_DEFAULTS } }]);
  });

  it('re-runs the open stack with the sigma and method chosen', async () => {
    const api = createFakeApi();
    await startDemo(api);
    act(() => api.finish());
    fireEvent.change(screen.getByRole('textbox', { name: 'Sigma' }), { target: { value: '3.5' } });
    fireEvent.change(screen.getByRole('combobox', { name: 'Merge method' }), { target: { value: 'pyramid' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    await settle();
    expect(api.started[1]).toEqual({ source: { kind: 'demo' }, options: { sigma: 3.5, method: 'pyramid', ...ALIGN_DEFAULTS } });
  });

  it('shows progress slice by slice and a heatmap per measured slice', async () => {
    const api = createFakeApi({ sliceCount: 3 });
    await startDemo(api);
    act(() => api.step()); // started
    act(() => api.step()); // slice 1 measured
    await settle();
    // One of three slices measured, after the alignment pre-pass: most of the way, not a third.
    expect(Number(screen.getByRole('progressbar', { name: 'Stacking progress' }).getAttribute('aria-valuenow'))).toBeGreaterThan(60);
    const strip = screen.getByRole('complementary', { name: 'Slices' });
    expect(within(strip).getAllByRole('listitem')).toHaveLength(3);
    expect(within(strip).getAllByRole('img', { name: /^Heatmap of slice/ })).toHaveLength(1);
    act(() => api.finish());
    await settle();
    expect(within(strip).getAllByRole('img', { name: /^Heatmap of slice/ })).toHaveLength(3);
  });

  it('shows the composite with its full-resolution size once done', async () => {
    const api = createFakeApi({ layout: { width: 640, height: 480, channels: 3, bitDepth: 8 } });
    await startDemo(api);
    act(() => api.finish());
    await settle();
    fireEvent.click(screen.getByRole('tab', { name: 'Composite' }));
    const composite = screen.getByRole('img', { name: 'Composite' });
    expect(composite.dataset.naturalWidth).toBe('640');
    expect(composite.dataset.naturalHeight).toBe('480');
  });

  it('switches views with the number keys', async () => {
    const api = createFakeApi();
    await startDemo(api);
    act(() => api.finish());
    await settle();
    fireEvent.keyDown(window, { key: '2' });
    expect(screen.getByRole('tab', { name: 'Heatmap' }).getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(window, { key: '4' });
    expect(screen.getByRole('tab', { name: 'Depth' }).getAttribute('aria-selected')).toBe('true');
    expect(screen.getByRole('list', { name: 'Depth legend' })).toBeTruthy();
  });

  it('steps through slices with the arrow keys', async () => {
    const api = createFakeApi({ sliceCount: 3 });
    await startDemo(api);
    act(() => api.finish());
    await settle();
    fireEvent.keyDown(window, { key: 'ArrowRight' });
    fireEvent.keyDown(window, { key: 'ArrowRight' });
    expect(screen.getByRole('button', { name: /^Slice 3:/ }).getAttribute('aria-current')).toBe('true');
  });

  it('cancels a running stack with Escape', async () => {
    const api = createFakeApi();
    await startDemo(api);
    act(() => api.step());
    fireEvent.keyDown(window, { key: 'Escape' });
    await settle();
    expect(api.cancelled).toEqual(['job-1']);
    act(() => api.step());
    expect(screen.getByText(/^Cancelled after/)).toBeTruthy();
  });

  it('shows an engine error naming the file instead of a blank screen', async () => {
    const api = createFakeApi({ sliceCount: 3, failingSlice: 1 });
    await startDemo(api);
    act(() => api.finish());
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Problem with slice_002.png');
    expect(alert.textContent).toContain('/data/pcb/slice_002.png');
  });

  it('refuses an invalid sigma with a message in the user\'s words and does not start', async () => {
    const api = createFakeApi();
    render(<App api={api} />);
    await settle();
    fireEvent.change(screen.getByRole('textbox', { name: 'Sigma' }), { target: { value: 'wide' } });
    fireEvent.click(screen.getByRole('button', { name: 'Try a demo stack' }));
    await settle();
    expect(screen.getByRole('alert').textContent).toBe('Sigma is the size of the focus measure in pixels: type a number such as 2 or 1.5 ("wide" is not a number).');
    expect(api.started).toEqual([]);
  });

  it('opens a stack from the folder browser in the browser host', async () => {
    const api = createFakeApi();
    render(<App api={api} />);
    await settle();
    fireEvent.click(screen.getByRole('button', { name: 'Open folder' }));
    await settle();
    const dialog = screen.getByRole('dialog', { name: 'Choose a stack folder' });
    expect(within(dialog).queryByRole('button', { name: 'Open stack notes' })).toBeNull();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Open stack pcb' }));
    await settle();
    expect(api.started[0].source).toEqual({ kind: 'folder', path: '/data/pcb' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('says where an export went', async () => {
    const api = createFakeApi();
    await startDemo(api);
    act(() => api.finish());
    await settle();
    fireEvent.click(screen.getByRole('button', { name: /^Export/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Composite as JPEG' }));
    await settle();
    expect(api.exports).toEqual([{ jobId: 'job-1', kind: 'composite', format: 'jpeg', quality: 92, method: 'argmax' }]);
    expect(screen.getByRole('status', { name: 'Notifications' }).textContent).toContain('Saved composite to /data/exports/composite.jpg');
  });

  it('exports the current heatmap on the scale shown', async () => {
    const api = createFakeApi();
    await startDemo(api);
    act(() => api.finish());
    await settle();
    fireEvent.click(screen.getByRole('tab', { name: 'Heatmap' }));
    fireEvent.change(screen.getByRole('combobox', { name: 'Heatmap scale' }), { target: { value: 'linear' } });
    fireEvent.click(screen.getByRole('button', { name: /^Export/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Heatmap of slice 1 (PNG)' }));
    await settle();
    expect(api.exports[0]).toMatchObject({ kind: 'heatmap', slice: 0, scale: 'linear', colourMap: 'viridis' });
  });

  it('opens a dropped folder when the host can tell its path', async () => {
    const api = createFakeApi();
    api.droppedFolder = async () => '/data/pcb';
    const { container } = render(<App api={api} />);
    await settle();
    fireEvent.drop(container.firstElementChild!, { dataTransfer: { files: [new File([''], 'pcb_001.jpg')] } });
    await settle();
    expect(api.started[0].source).toEqual({ kind: 'folder', path: '/data/pcb' });
  });

  it('opens a folder dropped in the browser host by finding it under the root by name', async () => {
    const api = createFakeApi();
    const { container } = render(<App api={api} />);
    await settle();
    fireEvent.drop(container.firstElementChild!, { dataTransfer: { files: [new File([''], 'pcb')] } });
    await settle();
    await settle();
    expect(api.started[0].source).toEqual({ kind: 'folder', path: '/data/pcb' });
  });

  it('says so when no folder of the dropped name is under the root, and when a file is dropped', async () => {
    const api = createFakeApi();
    const { container } = render(<App api={api} />);
    await settle();
    fireEvent.drop(container.firstElementChild!, { dataTransfer: { files: [new File([''], 'elsewhere')] } });
    await settle();
    await settle();
    expect(screen.getByRole('status', { name: 'Notifications' }).textContent).toContain('No stack folder named elsewhere under /data');
    fireEvent.drop(container.firstElementChild!, { dataTransfer: { files: [new File([''], 'pcb_001.jpg', { type: 'image/jpeg' })] } });
    await settle();
    expect(screen.getByRole('status', { name: 'Notifications' }).textContent).toContain('Drop the folder that holds the slices (not pcb_001.jpg)');
    expect(api.started).toEqual([]);
  });

  it('plots the focus profile of the pixel at the centre when Enter is pressed on a view', async () => {
    const api = createFakeApi();
    await startDemo(api);
    act(() => api.finish());
    await settle();
    fireEvent.keyDown(screen.getByRole('group', { name: 'Composite view' }), { key: 'Enter' });
    await settle();
    expect(api.profiles).toHaveLength(1);
    expect(screen.getByRole('region', { name: 'Pixel profile' }).textContent).toContain('sharpest in slice 2');
  });
});

describe('App: alignment, slice range, method comparison, export dialog, remembered options', () => {
  it('passes the alignment options and the slice range with Run, and remembers them for the next session', async () => {
    const api = createFakeApi();
    render(<App api={api} />);
    await settle();
    fireEvent.change(screen.getByRole('combobox', { name: 'Alignment' }), { target: { value: 'affine' } });
    fireEvent.change(screen.getByRole('textbox', { name: 'Reference slice' }), { target: { value: '2' } });
    fireEvent.click(screen.getByRole('checkbox', { name: 'Match brightness' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Keep full size' }));
    fireEvent.change(screen.getByRole('textbox', { name: 'First slice' }), { target: { value: '3' } });
    fireEvent.change(screen.getByRole('textbox', { name: 'Last slice' }), { target: { value: '17' } });
    fireEvent.click(screen.getByRole('button', { name: 'Open folder' }));
    await settle();
    fireEvent.click(screen.getByRole('button', { name: 'Open stack pcb' }));
    await settle();
    expect(api.started[0]).toEqual({
      source: { kind: 'folder', path: '/data/pcb' },
      options: { sigma: 2, method: 'argmax', align: 'affine', reference: 1, brightness: false, keepSize: true, rawColour: 'srgb' },
      range: { from: 3, to: 17 },
    });
    cleanup();
    // A new session of the app starts with the same choices.
    render(<App api={createFakeApi()} />);
    await settle();
    expect((screen.getByRole('combobox', { name: 'Alignment' }) as HTMLSelectElement).value).toBe('affine');
    expect((screen.getByRole('textbox', { name: 'First slice' }) as HTMLInputElement).value).toBe('3');
    expect((screen.getByRole('checkbox', { name: 'Keep full size' }) as HTMLInputElement).checked).toBe(true);
  });

  it('refuses a reversed slice range without starting', async () => {
    const api = createFakeApi();
    render(<App api={api} />);
    await settle();
    fireEvent.change(screen.getByRole('textbox', { name: 'First slice' }), { target: { value: '9' } });
    fireEvent.change(screen.getByRole('textbox', { name: 'Last slice' }), { target: { value: '3' } });
    fireEvent.click(screen.getByRole('button', { name: 'Open folder' }));
    await settle();
    fireEvent.click(screen.getByRole('button', { name: 'Open stack pcb' }));
    await settle();
    expect(api.started).toEqual([]);
    expect(screen.getByRole('alert').textContent).toMatch(/first not above last/);
  });

  it('lists each slice’s alignment and flags the one that failed with its reason', async () => {
    const api = createFakeApi({ sliceCount: 3, alignment: { failed: 2 } });
    await startDemo(api);
    act(() => api.finish());
    await settle();
    const panel = screen.getByRole('region', { name: 'Alignment' });
    const rows = within(panel).getAllByRole('row', { name: /^Slice \d/ });
    expect(rows.map((r) => r.getAttribute('aria-label'))).toEqual(['Slice 1: aligned', 'Slice 2: reference', 'Slice 3: alignment failed: scale off by 14%']);
    // shift (-1.5, 0), rotation 0, scale 0.996, mean gain of 1.02, 1, 0.98.
    expect(rows[0].textContent).toBe('1-1.5, 0.00.000.99601.000');
    expect(panel.textContent).toContain('1 failed');
  });

  it('says when auto found the stack aligned already and applied nothing, with the largest motion measured', async () => {
    const api = createFakeApi({ sliceCount: 3, alignment: { nothingApplied: true } });
    await startDemo(api);
    act(() => api.finish());
    await settle();
    const panel = screen.getByRole('region', { name: 'Alignment' });
    expect(panel.textContent).toContain('Aligned stack detected: nothing applied; largest motion 0.04 px (slice_001.png), uncertainty 0.30 px.');
    const rows = within(panel).getAllByRole('row', { name: /^Slice \d/ });
    expect(rows.map((r) => r.getAttribute('aria-label'))).toEqual(['Slice 1: left as it is', 'Slice 2: reference', 'Slice 3: left as it is']);
  });

  it('says beside the alignment option that auto leaves a microscope z-stack unaligned, and not once another model is chosen', async () => {
    const api = createFakeApi({ microscope: '16-bit greyscale TIFF' });
    await startDemo(api);
    act(() => api.step());
    await settle();
    const note = screen.getByRole('note');
    expect(note.textContent).toBe('z-stack: not aligned');
    expect(note.getAttribute('title')).toBe('microscope z-stack (16-bit greyscale TIFF): auto leaves it unaligned; choose similarity to align it');
    expect(screen.getByRole('combobox', { name: 'Alignment' }).getAttribute('aria-describedby')).toBe(note.id);
    fireEvent.change(screen.getByRole('combobox', { name: 'Alignment' }), { target: { value: 'similarity' } });
    expect(screen.queryByRole('note')).toBeNull();
  });

  it('switching method after a run re-merges it without starting a new run, and the composite shows that method', async () => {
    const api = createFakeApi();
    await startDemo(api);
    act(() => api.finish());
    await settle();
    fireEvent.change(screen.getByRole('combobox', { name: 'Merge method' }), { target: { value: 'smooth' } });
    await settle();
    expect(api.remerges).toEqual([{ jobId: 'job-1', method: 'smooth' }]);
    expect(api.started).toHaveLength(1);
    // The image swaps to the new URL once it has loaded (never in this DOM): the layer is named for it.
    expect(screen.getByRole('img', { name: 'Composite (smooth)' })).toBeTruthy();
  });

  it('the split view compares two methods side by side on the same viewport', async () => {
    const api = createFakeApi();
    await startDemo(api);
    act(() => api.finish());
    await settle();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Split view' }));
    fireEvent.change(screen.getByRole('combobox', { name: 'Right-hand view' }), { target: { value: 'composite' } });
    fireEvent.change(screen.getByRole('combobox', { name: 'Right-hand method' }), { target: { value: 'pyramid' } });
    await settle();
    expect(api.remerges).toEqual([{ jobId: 'job-1', method: 'pyramid' }]);
    expect(screen.getByRole('img', { name: 'Composite' })).toBeTruthy();
    expect(screen.getByRole('img', { name: 'Composite (pyramid)' })).toBeTruthy();
    // Both stages share one transform: the same style on both layers.
    const [left, right] = screen.getAllByRole('img', { name: /^Composite/ });
    expect(left.parentElement!.getAttribute('style')).toBe(right.parentElement!.getAttribute('style'));
  });

  it('shows the confidence map as its own view', async () => {
    const api = createFakeApi();
    await startDemo(api);
    act(() => api.finish());
    await settle();
    fireEvent.keyDown(window, { key: '5' });
    expect(screen.getByRole('tab', { name: 'Confidence' }).getAttribute('aria-selected')).toBe('true');
    expect(screen.getByRole('img', { name: 'Confidence map' }).getAttribute('src')).toContain('/confidence.png');
  });

  it('the export dialog sends every chosen output in one request and says where the folder went', async () => {
    const api = createFakeApi({ sliceCount: 4 });
    await startDemo(api);
    act(() => api.finish());
    await settle();
    fireEvent.click(screen.getByRole('button', { name: 'Export ▾' }));
    fireEvent.click(screen.getByRole('button', { name: 'More outputs…' }));
    const dialog = screen.getByRole('dialog', { name: 'Export outputs' });
    fireEvent.change(within(dialog).getByRole('combobox', { name: 'Composite format' }), { target: { value: 'tiff' } });
    fireEvent.change(within(dialog).getByRole('combobox', { name: 'Bit depth' }), { target: { value: '16' } });
    fireEvent.click(within(dialog).getByRole('checkbox', { name: 'Height map (32-bit float TIFF)' }));
    fireEvent.change(within(dialog).getByRole('textbox', { name: 'Z-step' }), { target: { value: '0.5' } });
    fireEvent.click(within(dialog).getByRole('checkbox', { name: 'Heatmaps of all slices (shared scale)' }));
    fireEvent.change(within(dialog).getByRole('textbox', { name: 'In-focus slices' }), { target: { value: '1, 3-4' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Export files' }));
    await settle();
    expect(api.exports).toHaveLength(1);
    expect(api.exports[0]).toMatchObject({
      kind: 'outputs',
      outputs: { composite: { format: 'tiff', depth: 16, tiffCompression: 'deflate' }, indexMap: true, depthMap: true, heightMap: true, zStep: '0.5um', heatmaps: true, maskedSlices: [0, 2, 3] },
    });
    expect(screen.getByText('Saved 1 files to /data/exports/pcb-export')).toBeTruthy();
  });

  it('the export dialog names a bad slice list and sends nothing', async () => {
    const api = createFakeApi({ sliceCount: 4 });
    await startDemo(api);
    act(() => api.finish());
    await settle();
    fireEvent.click(screen.getByRole('button', { name: 'Export ▾' }));
    fireEvent.click(screen.getByRole('button', { name: 'More outputs…' }));
    const dialog = screen.getByRole('dialog', { name: 'Export outputs' });
    fireEvent.change(within(dialog).getByRole('textbox', { name: 'In-focus slices' }), { target: { value: '7' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Export files' }));
    await settle();
    expect(api.exports).toEqual([]);
    expect(within(dialog).getByRole('alert').textContent).toMatch(/from 1 to 4 .* received "7"/);
  });
});
