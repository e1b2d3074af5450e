// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ProgressBar } from '../../src/renderer/src/components/ProgressBar';
import { initialState, reducer, type AppState, type JobState } from '../../src/renderer/src/state/app-state';
import { remainingMs } from '../../src/renderer/src/state/job-progress';
import type { StackPhase } from '../../src/shared/types';

afterEach(cleanup);

const job = (over: Partial<JobState>): JobState => ({
  jobId: 'j1', source: { kind: 'folder', path: '/stack' }, status: 'running', phase: 'probe',
  done: 0, total: 0, elapsedMs: 1200, layout: null, skipped: [], aligned: true, fraction: 0, ...over,
});

describe('the progress bar', () => {
  it('says how many jobs are ahead while the shown job waits in the host’s queue, lets it be cancelled, then follows it', () => {
    const submitted = reducer(initialState, { type: 'jobStarted', jobId: 'j1', source: { kind: 'demo' }, aligned: true });
    const waiting = reducer(submitted, { type: 'jobEvent', event: { type: 'queued', jobId: 'j1', source: { kind: 'demo' }, name: 'demo', position: 2 } });
    const { rerender } = render(<ProgressBar job={waiting.job} lastEventAt={Date.now()} onCancel={() => {}} />);
    expect(screen.getByText('Waiting in the queue: 2 jobs ahead')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Cancel' }) as HTMLButtonElement).disabled).toBe(false);
    const running = reducer(waiting, { type: 'jobEvent', event: { type: 'progress', jobId: 'j1', phase: 'probe', done: 0, total: 0, elapsedMs: 0 } });
    rerender(<ProgressBar job={running.job} lastEventAt={Date.now()} onCancel={() => {}} />);
    expect(running.job?.status).toBe('running');
    expect(screen.getByText(/^Reading the stack/)).toBeTruthy();
  });

  it('names the alignment pre-pass and counts slices estimated, then slices measured', () => {
    const { rerender } = render(<ProgressBar job={job({ phase: 'align', done: 3, total: 9 })} lastEventAt={Date.now()} onCancel={() => {}} />);
    expect(screen.getByText(/Aligning the slices: 3 of 9 estimated/)).toBeTruthy();
    rerender(<ProgressBar job={job({ phase: 'focus', done: 2, total: 10 })} lastEventAt={Date.now()} onCancel={() => {}} />);
    expect(screen.getByText(/slice 3 of 10/)).toBeTruthy();
    expect(screen.queryByText(/Aligning/)).toBeNull();
  });

  it('says a run cancelled in the pre-pass was cancelled while aligning, not after some slices', () => {
    const { rerender } = render(<ProgressBar job={job({ status: 'cancelled', phase: 'align', done: 2, total: 6 })} lastEventAt={0} onCancel={() => {}} />);
    expect(screen.getByText('Cancelled while aligning the slices (2 of 6 estimated)')).toBeTruthy();
    rerender(<ProgressBar job={job({ status: 'cancelled', phase: 'focus', done: 4, total: 7 })} lastEventAt={0} onCancel={() => {}} />);
    expect(screen.getByText('Cancelled after 4 of 7 slices')).toBeTruthy();
    rerender(<ProgressBar job={job({ status: 'cancelled', phase: 'probe', done: 0, total: 0 })} lastEventAt={0} onCancel={() => {}} />);
    expect(screen.getByText('Cancelled before the slices were read')).toBeTruthy();
  });
});

describe('one progress bar for the whole job', () => {
  /** The reducer fed a job's progress events; returns the bar's value after each. */
  function run(events: { phase: StackPhase; done: number; total: number; elapsedMs: number }[], aligned = true): AppState[] {
    let state = reducer(initialState, { type: 'jobStarted', jobId: 'j1', source: { kind: 'demo' }, aligned });
    return events.map((e) => (state = reducer(state, { type: 'jobEvent', event: { type: 'progress', jobId: 'j1', ...e } })));
  }

  it('never runs backwards between phases: aligning 5 of 9, then slice 3 of 10, is further on', () => {
    const states = run([
      { phase: 'probe', done: 0, total: 10, elapsedMs: 50 },
      { phase: 'align', done: 5, total: 9, elapsedMs: 2000 },
      { phase: 'align', done: 9, total: 9, elapsedMs: 3600 },
      { phase: 'focus', done: 2, total: 10, elapsedMs: 4400 },
      { phase: 'focus', done: 10, total: 10, elapsedMs: 7000 },
    ]);
    const values = states.map((s) => s.job!.fraction);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
    render(<ProgressBar job={states[3].job} lastEventAt={Date.now()} onCancel={() => {}} />);
    const bar = screen.getByRole('progressbar', { name: 'Stacking progress' });
    expect(Number(bar.getAttribute('aria-valuenow'))).toBeGreaterThan(Math.round(values[1] * 100));
    expect(bar.getAttribute('aria-valuemax')).toBe('100');
  });

  it('keeps a steady estimate on a job whose phases take their usual share of the time', () => {
    // pcb with alignment: about 10 s estimating 6 slices, 8 s measuring 7, then the merge.
    const events = [
      ...[1, 2, 3, 4, 5, 6].map((k) => ({ phase: 'align' as const, done: k, total: 6, elapsedMs: 300 + k * 1700 })),
      ...[1, 2, 3, 4, 5, 6, 7].map((k) => ({ phase: 'focus' as const, done: k, total: 7, elapsedMs: 10_500 + k * 1150 })),
    ];
    const totalMs = 20_000;
    const estimates = run(events).map((s) => remainingMs(s.job!.elapsedMs, s.job!.fraction)! + s.job!.elapsedMs);
    // The finishing time each estimate implies stays within a fifth of the truth once it starts.
    for (const finish of estimates) expect(Math.abs(finish - totalMs) / totalMs).toBeLessThan(0.2);
  });
});
