// What the engine sends a worker for one slice, one kind per pass, each with only what that pass
// reads (a task is structured-cloned into the worker, so a field it does not need still costs a
// copy or a shared-memory handle). sliceTask() is the one place tasks are made.
import type { FocusPreview, PixelLayout, SliceRef } from '../../../shared/types';
import type { SliceAlign } from '../align/tasks';
import type { MergeState } from '../merge/method';
import type { ProfileBuffers } from '../merge/profile';

interface SliceTaskBase {
  slice: SliceRef;
  index: number;
  /** The frame the pass works in: the stack's, or the aligned (cropped) one. */
  layout: PixelLayout;
  /** For an aligned job: how to bring the decoded slice onto `layout` (align/tasks.ts). */
  align?: SliceAlign;
}

/** The first pass: focus measure, merged into the shared profile, and a small preview. */
export interface MeasureTask extends SliceTaskBase {
  kind: 'measure';
  sigma: number;
  /** Longest side of the focus preview; 0 for none. */
  previewSize: number;
  profile: ProfileBuffers;
}

/** A merge method's second pass over the decoded pixels, no focus measure. */
export interface ComposeTask extends SliceTaskBase {
  kind: 'compose';
  /** The method's shared state (merge/method.ts). */
  state: MergeState;
}

/** The focus measure again, only to complete the values beside each pixel's peak (merge/profile.ts). */
export interface PeaksTask extends SliceTaskBase {
  kind: 'peaks';
  sigma: number;
  profile: ProfileBuffers;
}

export type SliceTask = MeasureTask | ComposeTask | PeaksTask;

export interface SliceTaskResult {
  meanVariance: number;
  maxVariance: number;
  preview?: FocusPreview;
  /** The focus kernel's float32 tiles, and how many fell back to float64 (measure pass only). */
  focusTiles?: number;
  fallbackTiles?: number;
}

/** The job a pass runs over: everything a task takes from it. */
export interface TaskSource {
  slices: SliceRef[];
  layout: PixelLayout;
  sigma: number;
  profile: ProfileBuffers;
  aligns?: SliceAlign[];
}

export type TaskPass = { kind: 'measure'; previewSize: number } | { kind: 'compose'; state: MergeState } | { kind: 'peaks' };

export function sliceTask(job: TaskSource, index: number, pass: TaskPass): SliceTask {
  const base = { slice: job.slices[index], index, layout: job.layout, align: job.aligns?.[index] };
  switch (pass.kind) {
    case 'measure':
      return { ...base, kind: 'measure', sigma: job.sigma, previewSize: pass.previewSize, profile: job.profile };
    case 'compose':
      return { ...base, kind: 'compose', state: pass.state };
    case 'peaks':
      return { ...base, kind: 'peaks', sigma: job.sigma, profile: job.profile };
  }
}
