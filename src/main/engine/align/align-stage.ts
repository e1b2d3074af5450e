// Stage "align", orchestration on the main thread: the estimation pre-pass over the stack (reduced
// copies decoded in workers, each neighbour pair estimated as soon as both copies exist, copies
// dropped once both their pairs are done, so memory holds a few reduced copies at most), then the
// plan: per-slice transforms and gains towards the reference and the output frame. Cancelling or
// the first failure stops the tasks not yet run and aborts the running ones.
import type { StackOptions } from '../../../shared/options';
import type { PixelLayout, SliceRef, StackAlignment } from '../../../shared/types';
import type { PairResult } from './estimate';
import type { AlignModel } from './gauss-newton';
import { planAlignment } from './plan';
import type { AlignmentCopies } from './prepare';
import type { AlignEstimateTask, AlignPrepareTask, SliceAlign } from './tasks';
import { CancelledError, DeepfieldError, isAbortError } from '../errors';
import { collectGarbage } from '../collect-garbage';
import { describeExpected } from '../../../shared/options';

export type RunTask = <T>(name: 'alignPrepare' | 'alignEstimate', task: AlignPrepareTask | AlignEstimateTask, signal: AbortSignal) => Promise<T>;

export interface AlignStackHooks {
  signal?: AbortSignal;
  /** After each estimate: slices estimated so far, of every slice but the reference. */
  onProgress?: (done: number, total: number) => void;
}

export interface StackAlignmentResult {
  alignment: StackAlignment;
  /** The output frame's layout (cropped unless keepSize). */
  layout: PixelLayout;
  /** Per slice, what its tasks apply; empty when nothing needs applying. */
  tasks: SliceAlign[];
}

/** Runs at most `lanes` tasks at once, estimates before new decodes so copies do not pile up. */
function createLimiter(lanes: number) {
  let running = 0;
  const urgent: Array<() => void> = [];
  const normal: Array<() => void> = [];
  const pump = () => {
    while (running < lanes && (urgent.length || normal.length)) {
      running++;
      (urgent.shift() ?? normal.shift())!();
    }
  };
  return <T>(work: () => Promise<T>, isUrgent: boolean): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      (isUrgent ? urgent : normal).push(() => {
        work()
          .then(resolve, reject)
          .finally(() => {
            running--;
            pump();
          });
      });
      pump();
    });
}

/**
 * The alignment pre-pass and plan. `microscope` (input/slices.ts) says why the stack is a
 * microscope z-stack, which 'auto' leaves unaligned without estimating: a motorised stage does
 * not move between slices, and microscopists compare composites pixel for pixel.
 */
export async function alignStack(
  run: RunTask,
  lanes: number,
  slices: SliceRef[],
  layout: PixelLayout,
  options: StackOptions,
  microscope: string | undefined,
  { signal, onProgress }: AlignStackHooks = {},
): Promise<StackAlignmentResult | undefined> {
  if (options.align === 'off' || slices.length < 2) return undefined;
  const started = performance.now();
  const n = slices.length;
  const reference = options.reference ?? Math.floor((n - 1) / 2);
  if (reference >= n) {
    throw new DeepfieldError(describeExpected(`a slice index from 0 to ${n - 1}`, 'reference', reference));
  }
  if (signal?.aborted) throw new CancelledError();
  const auto = options.align === 'auto';
  const model: AlignModel = options.align === 'auto' ? 'similarity' : options.align;
  if (auto && microscope) return leftAsItIs(layout, reference, microscope);
  const pairs = await estimateNeighbourPairs(run, lanes, slices, layout, { model, auto, reference }, { signal, onProgress });
  const colourChannels = layout.channels === 2 || layout.channels === 4 ? layout.channels - 1 : layout.channels;
  const plan = planAlignment(slices, pairs, {
    method: model,
    auto,
    reference,
    brightness: options.brightness,
    keepSize: options.keepSize,
    width: layout.width,
    height: layout.height,
    colourChannels,
    maxValue: layout.bitDepth === 16 ? 65535 : 255,
  });
  return {
    alignment: { ...plan.alignment, estimateMs: performance.now() - started },
    layout: { ...layout, width: plan.width, height: plan.height },
    // Nothing to apply (an aligned, evenly lit stack): the slice tasks decode as if unaligned.
    tasks: plan.alignment.applied ? plan.warps.map((warp) => ({ source: layout, warp })) : [],
  };
}

/** How each neighbour pair is estimated: the motion model, whether to measure its uncertainty, towards which slice. */
interface PairEstimation {
  model: AlignModel;
  /** 'auto' applies only real motion, so it needs each estimate's uncertainty. */
  auto: boolean;
  reference: number;
}

/**
 * The pre-pass: decodes a reduced copy of every slice and estimates each neighbour pair as soon as
 * both its copies exist. Returns, per slice, the estimate against its neighbour towards the
 * reference. Throws the first failure, or CancelledError.
 */
async function estimateNeighbourPairs(
  run: RunTask,
  lanes: number,
  slices: SliceRef[],
  layout: PixelLayout,
  { model, auto, reference }: PairEstimation,
  { signal, onProgress }: AlignStackHooks,
): Promise<Array<PairResult | undefined>> {
  const n = slices.length;
  // One controller for the whole pre-pass: the user's cancel and the first failure both stop it.
  const job = new AbortController();
  const forwardAbort = () => job.abort();
  signal?.addEventListener('abort', forwardAbort, { once: true });
  const limiter = createLimiter(lanes);
  const limit: Limit = (work, isUrgent) => limiter(() => (job.signal.aborted ? Promise.reject(new CancelledError()) : work()), isUrgent);
  const copies = decodeReducedCopies(run, slices, layout, limit, job.signal);
  // Each copy serves the pairs on both its sides; drop it after the second.
  const uses = new Array<number>(n).fill(2);
  uses[0] = 1;
  uses[n - 1] = 1;
  const release = (k: number) => {
    if (--uses[k] === 0) copies[k] = undefined;
  };
  const pairs: Array<PairResult | undefined> = new Array(n);
  let estimated = 0;
  let firstError: unknown;
  onProgress?.(0, n - 1);
  try {
    await Promise.all(
      Array.from({ length: n - 1 }, async (_, i) => {
        try {
          // The pair (i, i+1): the slice nearer the reference is the template.
          const far = i + 1 <= reference ? i : i + 1;
          const near = far === i ? i + 1 : i;
          const [a, b] = await Promise.all([copies[near]!, copies[far]!]);
          const task: AlignEstimateTask = { near: a, far: b, model, width: layout.width, height: layout.height, measureUncertainty: auto };
          pairs[far] = await limit(() => run<PairResult>('alignEstimate', task, job.signal), true);
          release(i);
          release(i + 1);
          // An estimate that lands as the job is cancelled is not reported: nothing after cancel.
          if (!job.signal.aborted) onProgress?.(++estimated, n - 1);
        } catch (error) {
          if (firstError === undefined && !isAbortError(error)) firstError = error;
          job.abort();
        }
      }),
    );
  } finally {
    signal?.removeEventListener('abort', forwardAbort);
  }
  // The copies are spent: free them now, not whenever this thread next collects (they are
  // shared with the workers, so one copy per slice estimated would stay resident meanwhile).
  copies.fill(undefined);
  collectGarbage();
  if (firstError !== undefined) throw firstError;
  if (job.signal.aborted) throw new CancelledError();
  return pairs;
}

type Limit = <T>(work: () => Promise<T>, isUrgent: boolean) => Promise<T>;

/** Queues the decode of every slice's reduced copy (behind the estimates, which free copies). */
function decodeReducedCopies(
  run: RunTask,
  slices: SliceRef[],
  layout: PixelLayout,
  limit: Limit,
  signal: AbortSignal,
): Array<Promise<AlignmentCopies> | undefined> {
  const copies: Array<Promise<AlignmentCopies> | undefined> = slices.map((slice) =>
    limit(
      () =>
        run<AlignmentCopies>('alignPrepare', { slice, layout }, signal).catch((error: unknown) => {
          // Errors lose their class crossing the thread boundary: name the slice again here.
          if (isAbortError(error)) throw error;
          throw new DeepfieldError(error instanceof Error ? error.message : String(error), slice.file);
        }),
      false,
    ),
  );
  // A failed decode surfaces through the pair that awaits it; this keeps the others quiet.
  for (const copy of copies) copy?.catch(() => undefined);
  return copies;
}

/** A microscope z-stack under 'auto': reported, not estimated, not touched. */
function leftAsItIs(layout: PixelLayout, reference: number, microscope: string): StackAlignmentResult {
  return {
    alignment: {
      method: 'similarity',
      mode: 'auto',
      microscope,
      applied: false,
      largestMotion: { slice: reference, motion: 0 },
      summary: `microscope z-stack (${microscope}): not aligned; --align similarity aligns it`,
      reference,
      crop: { x: 0, y: 0, width: layout.width, height: layout.height },
      slices: [],
      estimateMs: 0,
    },
    layout,
    tasks: [],
  };
}
