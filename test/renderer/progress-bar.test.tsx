// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ProgressBar } from '../../src/renderer/src/components/ProgressBar';
import type { JobState } from '../../src/renderer/src/state/app-state';

afterEach(cleanup);

const job = (over: Partial<JobState>): JobState => ({
  jobId: 'j1', source: { kind: 'folder', path: '/stack' }, status: 'running', phase: 'probe',
  done: 0, total: 0, elapsedMs: 1200, layout: null, skipped: [], ...over,
});

describe('the progress bar', () => {
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
  });
});
