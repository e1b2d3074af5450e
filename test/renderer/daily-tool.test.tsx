// @vitest-environment happy-dom
// Issue 17, the app as a daily tool: what a user who reopens the app, mistypes a field or
// exports a height map meets, with a fake host.
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/renderer/src/App';
import { finishedDemo, settle } from './app-fixture';
import { createFakeApi } from './fake-api';

afterEach(() => {
  cleanup();
  localStorage.clear();
});

async function openStack(name: string): Promise<void> {
  fireEvent.click(screen.getByRole('button', { name: 'Open folder' }));
  await settle();
  fireEvent.click(screen.getByRole('button', { name: `Open stack ${name}` }));
  await settle();
}

describe('a slice range belongs to one folder', () => {
  it('says beside Run how many of the folder’s slices it stacks', async () => {
    const api = createFakeApi();
    render(<App api={api} />);
    await settle();
    fireEvent.change(screen.getByRole('textbox', { name: 'First slice' }), { target: { value: '3' } });
    fireEvent.change(screen.getByRole('textbox', { name: 'Last slice' }), { target: { value: '5' } });
    await openStack('pcb');
    expect(api.started[0].range).toEqual({ from: 3, to: 5 });
    await settle();
    expect(screen.getByText(/^Stacking \d+ of/).textContent).toBe('Stacking 3 of 7 slices');
    // Cleared: Run stacks the whole folder again, and the note goes.
    fireEvent.change(screen.getByRole('textbox', { name: 'First slice' }), { target: { value: '' } });
    fireEvent.change(screen.getByRole('textbox', { name: 'Last slice' }), { target: { value: '' } });
    expect(screen.queryByText(/^Stacking \d+ of/)).toBeNull();
  });

  it('is dropped, not applied, when the next session opens another folder', async () => {
    render(<App api={createFakeApi()} />);
    await settle();
    fireEvent.change(screen.getByRole('textbox', { name: 'First slice' }), { target: { value: '3' } });
    fireEvent.change(screen.getByRole('textbox', { name: 'Last slice' }), { target: { value: '7' } });
    await openStack('pcb');
    cleanup();
    // The browser closed and opened again: the range is still there, for pcb.
    const api = createFakeApi();
    render(<App api={api} />);
    await settle();
    expect((screen.getByRole('textbox', { name: 'First slice' }) as HTMLInputElement).value).toBe('3');
    await openStack('other');
    expect(api.started).toEqual([expect.not.objectContaining({ range: expect.anything() })]);
    expect((screen.getByRole('textbox', { name: 'First slice' }) as HTMLInputElement).value).toBe('');
    expect((screen.getByRole('textbox', { name: 'Last slice' }) as HTMLInputElement).value).toBe('');
    expect(screen.queryByText(/^Stacking \d+ of/)).toBeNull();
  });
});

describe('an invalid sigma', () => {
  it('is explained in the user’s words, and Run works again once it is fixed', async () => {
    const api = createFakeApi();
    render(<App api={api} />);
    await settle();
    fireEvent.change(screen.getByRole('textbox', { name: 'Sigma' }), { target: { value: 'abc' } });
    await openStack('pcb');
    expect(api.started).toEqual([]);
    const message = screen.getByRole('alert').textContent!;
    expect(message).not.toMatch(/Expected|of type|received/);
    expect(message).toContain('"abc" is not a number');
    fireEvent.change(screen.getByRole('textbox', { name: 'Sigma' }), { target: { value: '2' } });
    const run = screen.getByRole('button', { name: 'Run' }) as HTMLButtonElement;
    expect(run.disabled).toBe(false);
    fireEvent.click(run);
    await settle();
    expect(api.started).toHaveLength(1);
    expect(api.started[0]).toMatchObject({ source: { kind: 'folder', path: '/data/pcb' }, options: { sigma: 2 } });
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('the export dialog', () => {
  it('asks for the z-step of a height map in the dialog, and sends nothing without it', async () => {
    const api = createFakeApi();
    await finishedDemo(api);
    fireEvent.click(screen.getByRole('button', { name: 'Export ▾' }));
    fireEvent.click(screen.getByRole('button', { name: 'More outputs…' }));
    const dialog = screen.getByRole('dialog', { name: 'Export outputs' });
    const zStep = within(dialog).getByRole('textbox', { name: 'Z-step' }) as HTMLInputElement;
    // An empty field looks empty: no example value that could be taken for one.
    expect(zStep.placeholder).toBe('');
    fireEvent.click(within(dialog).getByRole('checkbox', { name: 'Height map (32-bit float TIFF)' }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Export files' }));
    await settle();
    expect(api.exports).toEqual([]);
    expect(screen.getByRole('dialog', { name: 'Export outputs' })).toBeTruthy();
    expect(within(dialog).getByRole('alert').textContent).toMatch(/height map needs the distance between slices: type the z-step/);
    expect(zStep.getAttribute('aria-invalid')).toBe('true');
  });

  it('stays open and says why when the host refuses the export', async () => {
    const api = createFakeApi();
    api.exportImage = async () => {
      throw new Error('Cannot export to /data/exports: the disk is full');
    };
    await finishedDemo(api);
    fireEvent.click(screen.getByRole('button', { name: 'Export ▾' }));
    fireEvent.click(screen.getByRole('button', { name: 'More outputs…' }));
    const dialog = screen.getByRole('dialog', { name: 'Export outputs' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Export files' }));
    await settle();
    expect(within(dialog).getByRole('alert').textContent).toBe('Cannot export to /data/exports: the disk is full');
  });
});

describe('the export popover', () => {
  it('closes on Esc with focus outside it, without cancelling anything', async () => {
    const api = createFakeApi();
    await finishedDemo(api);
    const button = screen.getByRole('button', { name: 'Export ▾' });
    fireEvent.click(button);
    expect(screen.getByRole('group', { name: 'Export options' })).toBeTruthy();
    fireEvent.keyDown(button, { key: 'Escape' });
    expect(screen.queryByRole('group', { name: 'Export options' })).toBeNull();
  });
});

describe('the slice strip', () => {
  it('moves focus with the selection, so only one slice is outlined', async () => {
    const api = createFakeApi({ sliceCount: 3 });
    await finishedDemo(api);
    const second = screen.getByRole('button', { name: /^Slice 2:/ });
    second.focus();
    fireEvent.click(second);
    fireEvent.keyDown(second, { key: 'ArrowRight' });
    const third = screen.getByRole('button', { name: /^Slice 3:/ });
    expect(third.getAttribute('aria-current')).toBe('true');
    expect(document.activeElement).toBe(third);
    // One tab stop for the strip.
    expect(screen.getAllByRole('button', { name: /^Slice \d:/ }).map((b) => b.tabIndex)).toEqual([-1, -1, 0]);
  });
});

describe('the keyboard help', () => {
  it('opens on "?", lists the shortcuts, and closes on Esc without cancelling the run', async () => {
    const api = createFakeApi();
    render(<App api={api} />);
    await settle();
    fireEvent.click(screen.getByRole('button', { name: 'Try a demo stack' }));
    await settle();
    act(() => api.step());
    fireEvent.keyDown(window, { key: '?' });
    const help = screen.getByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(within(help).getAllByRole('row').length).toBeGreaterThanOrEqual(8);
    expect(help.textContent).toContain('Previous / next slice');
    fireEvent.keyDown(help, { key: 'Escape' });
    expect(screen.queryByRole('dialog', { name: 'Keyboard shortcuts' })).toBeNull();
    expect(api.cancelled).toEqual([]);
  });
});

describe('the before/after wipe', () => {
  it('draws the composite over the slice right of a divider the slider moves, on one stage', async () => {
    const api = createFakeApi();
    await finishedDemo(api);
    fireEvent.click(screen.getByRole('tab', { name: 'Slice' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Wipe' }));
    expect(screen.getAllByRole('group', { name: /view$/ })).toHaveLength(1);
    expect(screen.getByRole('img', { name: 'Slice 1' })).toBeTruthy();
    const composite = screen.getByRole('img', { name: 'Composite' });
    const layer = composite.closest('.wipe-layer') as HTMLElement;
    expect(layer.style.clipPath).toBe('inset(0 0 0 50%)');
    fireEvent.change(screen.getByRole('slider', { name: 'Wipe position' }), { target: { value: '0.25' } });
    expect(layer.style.clipPath).toBe('inset(0 0 0 25%)');
    // The split view and the wipe are one comparison at a time.
    fireEvent.click(screen.getByRole('checkbox', { name: 'Split view' }));
    expect((screen.getByRole('checkbox', { name: 'Wipe' }) as HTMLInputElement).checked).toBe(false);
  });
});

describe('per-slice include / exclude', () => {
  it('lists the folder’s files in the folder chooser and opens it without the unticked ones', async () => {
    const api = createFakeApi();
    render(<App api={api} />);
    await settle();
    fireEvent.click(screen.getByRole('button', { name: 'Open folder' }));
    await settle();
    fireEvent.click(screen.getByRole('button', { name: 'Browse pcb' }));
    await settle();
    const files = screen.getByRole('list', { name: 'Images in this folder' });
    expect(within(files).getAllByRole('checkbox')).toHaveLength(7);
    fireEvent.click(within(files).getByRole('checkbox', { name: 'Include slice_007.png' }));
    fireEvent.click(screen.getByRole('button', { name: /^Open this folder/ }));
    await settle();
    expect(api.started[0].source).toEqual({ kind: 'folder', path: '/data/pcb', exclude: ['slice_007.png'] });
  });

  it('unticking a slice in the strip leaves it out of the next Run, which says so', async () => {
    const api = createFakeApi({ sliceCount: 7 });
    render(<App api={api} />);
    await settle();
    await openStack('pcb');
    act(() => api.finish());
    await settle();
    const strip = screen.getByRole('complementary', { name: 'Slices' });
    fireEvent.click(within(strip).getByRole('checkbox', { name: 'Include slice_002.png' }));
    expect(screen.getByText(/^Stacking \d+ of/).textContent).toBe('Stacking 6 of 7 slices');
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    await settle();
    expect(api.started[1].source).toEqual({ kind: 'folder', path: '/data/pcb', exclude: ['slice_002.png'] });
  });
});

describe('the depth view', () => {
  it('reads in micrometres once the z-step is known', async () => {
    const api = createFakeApi({ sliceCount: 3 });
    await finishedDemo(api);
    fireEvent.keyDown(window, { key: '4' });
    expect(within(screen.getByRole('list', { name: 'Depth legend' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['1', '2', '3']);
    fireEvent.click(screen.getByRole('button', { name: 'Export ▾' }));
    fireEvent.click(screen.getByRole('button', { name: 'More outputs…' }));
    fireEvent.change(screen.getByRole('textbox', { name: 'Z-step' }), { target: { value: '0.05' } });
    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(within(screen.getByRole('list', { name: 'Depth legend' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['0 µm', '0.05 µm', '0.1 µm']);
  });
});

describe('display controls for dim 16-bit data', () => {
  it('draw the slice and the composite through a min / max / gamma window, and a scale bar once the pixel size is known', async () => {
    const api = createFakeApi({ layout: { width: 512, height: 800, channels: 1, bitDepth: 16 } });
    await finishedDemo(api);
    fireEvent.click(screen.getByRole('tab', { name: 'Composite' }));
    const display = screen.getByRole('group', { name: 'Display' });
    expect(screen.getByRole('img', { name: 'Composite' }).style.filter).toBe('');
    fireEvent.change(within(display).getByRole('slider', { name: 'Display maximum' }), { target: { value: '64' } });
    fireEvent.change(within(display).getByRole('slider', { name: 'Gamma' }), { target: { value: '0.5' } });
    expect(screen.getByRole('img', { name: 'Composite' }).style.filter).toBe('url(#display-window)');
    const table = document.querySelector('#display-window feFuncR')!.getAttribute('tableValues')!.split(' ').map(Number);
    expect(table[0]).toBe(0);
    expect(table[64]).toBe(1);
    expect(table[32]).toBeCloseTo(0.25, 2);
    fireEvent.change(within(display).getByRole('textbox', { name: 'Pixel size in µm' }), { target: { value: '0.065' } });
    expect(screen.getByRole('img', { name: /^Scale bar: \d+(\.\d+)? µm$/ })).toBeTruthy();
    fireEvent.click(within(display).getByRole('button', { name: 'Reset' }));
    expect(screen.getByRole('img', { name: 'Composite' }).style.filter).toBe('');
  });
});

describe('camera RAW colour (issue 16)', () => {
  /** A new session of the app (a fresh fake host) with stack `name` opened, which runs it. */
  async function sessionWith(name: string) {
    const api = createFakeApi();
    render(<App api={api} />);
    await settle();
    await openStack(name);
    await settle();
    return api;
  }

  it('is offered only for a stack with RAW slices, reaches the job with Run and is remembered', async () => {
    const api = await sessionWith('pcb');
    expect(screen.queryByRole('combobox', { name: 'RAW colour' })).toBeNull();
    await openStack('bracket');
    await settle();
    const rawColour = screen.getByRole('combobox', { name: 'RAW colour' }) as HTMLSelectElement;
    expect(rawColour.value).toBe('srgb');
    expect(api.started[1].options).toMatchObject({ rawColour: 'srgb' });
    act(() => api.finish());
    fireEvent.change(rawColour, { target: { value: 'linear' } });
    fireEvent.click(screen.getByRole('button', { name: 'Run' }));
    await settle();
    expect(api.started[2].source).toEqual({ kind: 'folder', path: '/data/bracket' });
    expect(api.started[2].options).toMatchObject({ rawColour: 'linear' });
    cleanup();
    // The next session develops RAW the same way.
    const next = await sessionWith('bracket');
    expect((screen.getByRole('combobox', { name: 'RAW colour' }) as HTMLSelectElement).value).toBe('linear');
    expect(next.started[0].options).toMatchObject({ rawColour: 'linear' });
  });

  it('goes with the batch queue’s jobs too', async () => {
    const api = await sessionWith('bracket');
    fireEvent.change(screen.getByRole('combobox', { name: 'RAW colour' }), { target: { value: 'linear' } });
    fireEvent.change(screen.getByRole('combobox', { name: 'Add a recent stack' }), { target: { value: '/data/pcb' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start queue' }));
    await settle();
    expect(api.started.at(-1)).toMatchObject({ source: { kind: 'folder', path: '/data/pcb' }, options: { rawColour: 'linear' } });
  });
});
