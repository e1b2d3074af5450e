// The worker-thread task: decode one slice, compute its focus map band by band and merge each
// band straight into the shared argmax state. Nothing of the slice outlives the task but its
// statistics and an optional small preview.
import sharp from 'sharp';
import { alignEstimate as estimate, alignPrepare as prepareCopies, decodeAligned, type AlignEstimateTask, type AlignPrepareTask } from '../align/tasks';
import type { PairResult } from '../align/estimate';
import type { AlignmentCopies } from '../align/prepare';
import type { PixelData } from '../input/decode';
import { measureFocusBands } from '../focus/focus-variance-kernel';
import { FocusPreviewBuilder } from '../focus/focus-preview';
import { fillPeakNeighbours, ProfileMerger, type ProfileBuffers } from '../merge/profile';
import { composeSlice } from '../merge/merge-stage';
import { collectGarbage } from '../collect-garbage';
import type { MeasureTask, SliceTask, SliceTaskResult } from './slice-task';

// One libvips thread per worker: the pool already has one worker per core.
sharp.concurrency(1);
sharp.cache(false);

// A decoded slice is a Buffer whose pixels (72 MB at 24 MP) belong to libvips until V8 collects
// the small JS object holding them, and an idle worker does not collect: without a collection
// after each task, every worker keeps one or two dead slices alive (measured: ~190 MB per worker
// instead of ~75 MB).

export default async function processSlice(task: SliceTask): Promise<SliceTaskResult> {
  try {
    return await runSliceTask(task);
  } finally {
    collectGarbage();
  }
}

async function runSliceTask(task: SliceTask): Promise<SliceTaskResult> {
  const { layout } = task;
  const pixels = await decodeAligned(task.slice, layout, task.align);
  switch (task.kind) {
    case 'compose':
      composeSlice(task.state, layout, task.index, pixels);
      return { meanVariance: 0, maxVariance: 0 };
    case 'peaks': {
      const { profile } = task;
      const fill = (y0: number, _y1: number, variance: Float32Array) => fillPeakNeighbours(profile, layout.width, task.index, y0, variance);
      measureFocusBands(pixels, layout, task.sigma, fill, profile.bandRows, profile.arena, undefined, staggerBy(profile, task.index));
      return { meanVariance: 0, maxVariance: 0 };
    }
    case 'measure':
      return measureSlice(task, pixels);
  }
}

/**
 * Where slice `index`'s bands start (measureFocusBands): staggered from slice to slice, except
 * where the merge takes its turns in slice order. Both passes over a slice start alike, so the
 * peaks pass sees the very map the first pass merged.
 */
function staggerBy(profile: ProfileBuffers, index: number): number | undefined {
  return profile.turns === undefined ? index : undefined;
}

function measureSlice(task: MeasureTask, pixels: PixelData): SliceTaskResult {
  const { layout, profile } = task;
  const merger = new ProfileMerger(profile, layout);
  const preview = task.previewSize > 0 ? new FocusPreviewBuilder(layout.width, layout.height, task.previewSize) : undefined;
  const { sum, max, tiles, fallbackTiles } = measureFocusBands(
    pixels,
    layout,
    task.sigma,
    (y0, _y1, variance, kernelMerge) => {
      preview?.addBand(y0, variance);
      merger.mergeBand(task.index, y0, variance, pixels, kernelMerge);
    },
    profile.bandRows,
    profile.arena,
    undefined,
    staggerBy(profile, task.index),
  );
  return { meanVariance: sum / (layout.width * layout.height), maxVariance: max, preview: preview?.build(), focusTiles: tiles, fallbackTiles };
}

// The alignment pre-pass's tasks collect too: their dead copies and estimation buffers stayed
// resident into the focus pass otherwise (benchmark JPEG stack, 10 slices: peak RSS 650-670 MB
// without, against 530-550 MB with and with align off).
export async function alignPrepare(task: AlignPrepareTask): Promise<AlignmentCopies> {
  try {
    return await prepareCopies(task);
  } finally {
    collectGarbage();
  }
}

export function alignEstimate(task: AlignEstimateTask): PairResult {
  try {
    return estimate(task);
  } finally {
    collectGarbage();
  }
}
