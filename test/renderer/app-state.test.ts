import { describe, expect, it } from 'vitest';
import type { JobSummary } from '../../src/shared/api';
import { initialState, reducer, type AppState } from '../../src/renderer/src/state/app-state';

function started(): AppState {
  return reducer(initialState, { type: 'jobStarted', jobId: 'job-1', source: { kind: 'demo' }, aligned: true });
}

function progress(state: AppState, index: number, total = 3, jobId = 'job-1'): AppState {
  return reducer(state, {
    type: 'jobEvent',
    event: {
      type: 'progress', jobId, phase: 'focus', done: index + 1, total, elapsedMs: 1000 * (index + 1),
      slice: { index, name: `s${index}.png`, meanVariance: 10 + index, maxVariance: 100 * (index + 1) },
    },
  });
}

const summary: JobSummary = {
  jobId: 'job-1',
  source: { kind: 'demo' },
  layout: { width: 10, height: 10, channels: 3, bitDepth: 8 },
  slices: [0, 1, 2].map((index) => ({ index, name: `s${index}.png` })),
  stats: [0, 1, 2].map((index) => ({ index, name: `s${index}.png`, meanVariance: 10 + index, maxVariance: 50, pixelsWon: 30 + index })),
  skipped: [],
  maxVariance: 321,
  timings: { totalMs: 2500 },
};

describe('app state', () => {
  it('lists placeholders for all slices as soon as the total is known', () => {
    const state = progress(started(), 1);
    expect(state.slices).toHaveLength(3);
    expect(state.slices[0].name).toBeUndefined();
    expect(state.slices[1]).toMatchObject({ name: 's1.png', meanVariance: 11 });
  });

  it('names every slice and knows the image size from the started event', () => {
    const state = reducer(started(), {
      type: 'jobEvent',
      event: { type: 'started', jobId: 'job-1', source: { kind: 'demo' }, layout: summary.layout, slices: summary.slices, skipped: [] },
    });
    expect(state.slices.map((s) => s.name)).toEqual(['s0.png', 's1.png', 's2.png']);
    expect(state.job?.layout).toEqual(summary.layout);
    expect(state.job?.total).toBe(3);
  });

  it('keeps the largest maxVariance reported so far as the top of the shared scale', () => {
    const state = progress(progress(started(), 1), 0);
    expect(state.reportedMaxVariance).toBe(200);
  });

  it('ignores events of an earlier job', () => {
    const state = progress(started(), 0, 3, 'job-0');
    expect(state).toEqual(started());
  });

  it('takes slice statistics and the final maximum from the summary when done', () => {
    const state = reducer(progress(started(), 0), { type: 'jobEvent', event: { type: 'done', jobId: 'job-1', summary } });
    expect(state.job?.status).toBe('done');
    expect(state.slices.map((s) => s.pixelsWon)).toEqual([30, 31, 32]);
    expect(state.reportedMaxVariance).toBe(321);
  });

  it('keeps the engine error with the file it names', () => {
    const state = reducer(started(), { type: 'jobEvent', event: { type: 'error', jobId: 'job-1', message: 'Cannot decode', file: '/x/bad.jpg' } });
    expect(state.job?.status).toBe('error');
    expect(state.error).toEqual({ message: 'Cannot decode', file: '/x/bad.jpg' });
  });

  it('steps through slices without running past either end', () => {
    let state = progress(started(), 2);
    state = reducer(state, { type: 'stepSlice', delta: -1 });
    expect(state.currentSlice).toBe(0);
    state = reducer(reducer(reducer(state, { type: 'stepSlice', delta: 1 }), { type: 'stepSlice', delta: 1 }), { type: 'stepSlice', delta: 1 });
    expect(state.currentSlice).toBe(2);
  });

  it('marks a slice preview ready only for the current job', () => {
    let state = progress(started(), 0);
    state = reducer(state, { type: 'previewLoaded', jobId: 'job-0', slice: 0 });
    expect(state.slices[0].previewReady).toBe(false);
    state = reducer(state, { type: 'previewLoaded', jobId: 'job-1', slice: 0 });
    expect(state.slices[0].previewReady).toBe(true);
  });

  it('clears the previous run when a new one starts', () => {
    let state = reducer(progress(started(), 0), { type: 'jobEvent', event: { type: 'done', jobId: 'job-1', summary } });
    state = reducer(state, { type: 'jobStarted', jobId: 'job-2', source: { kind: 'demo' }, aligned: true });
    expect(state.summary).toBeNull();
    expect(state.slices).toEqual([]);
  });

  it('shows the heatmaps while a stack runs and the composite when it is done', () => {
    let state = started();
    expect(state.view).toBe('heatmap');
    state = reducer(state, { type: 'jobEvent', event: { type: 'done', jobId: 'job-1', summary } });
    expect(state.view).toBe('composite');
  });

  it('leaves the view alone at the end of a run when the user chose one during it', () => {
    let state = reducer(started(), { type: 'showView', view: 'slice' });
    state = reducer(state, { type: 'jobEvent', event: { type: 'done', jobId: 'job-1', summary } });
    expect(state.view).toBe('slice');
  });

  it('keeps at most five toasts, dropping the oldest', () => {
    let state = initialState;
    for (let i = 0; i < 7; i++) state = reducer(state, { type: 'toast', message: `m${i}` });
    expect(state.toasts.map((t) => t.message)).toEqual(['m2', 'm3', 'm4', 'm5', 'm6']);
  });
});
