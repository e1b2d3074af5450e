// One progress figure for a whole job, 0..1, from its phases: reading, the alignment pre-pass
// (aligned jobs only), measuring focus, then merging. Each phase gets a share of the bar close to
// its share of the time on real stacks (pcb and microtubules with alignment: estimating takes
// about half, measuring about 40%; without alignment measuring is nearly all of it), so the bar
// moves at a steady pace and the time left extrapolated from it does not jump between phases.
import type { StackPhase } from '../../../shared/types';

/** Shares of the bar, in phase order; what is left after 'focus' is the merge after the last slice. */
const WEIGHTS: Record<'aligned' | 'unaligned', Record<StackPhase, number>> = {
  aligned: { probe: 0.02, align: 0.5, focus: 0.42, write: 0.06 },
  unaligned: { probe: 0.02, align: 0, focus: 0.9, write: 0.08 },
};
const ORDER: readonly StackPhase[] = ['probe', 'align', 'focus', 'write'];

/**
 * How far a job is, 0..1, at `done` of `total` in `phase`. Monotonic along the phases: any point
 * of a later phase is further than every point of an earlier one.
 */
export function jobFraction(phase: StackPhase, done: number, total: number, aligned: boolean): number {
  const weights = WEIGHTS[aligned ? 'aligned' : 'unaligned'];
  let before = 0;
  for (const p of ORDER) {
    if (p === phase) break;
    before += weights[p];
  }
  const within = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  return Math.min(1, before + weights[phase] * within);
}

/**
 * Time left, extrapolated from the time so far and the whole job's fraction; null until the job
 * is far enough (3%) and old enough (one second) for the rate to mean something.
 */
export function remainingMs(elapsedMs: number, fraction: number): number | null {
  if (fraction < 0.03 || elapsedMs < 1000 || fraction >= 1) return fraction >= 1 ? 0 : null;
  return (elapsedMs * (1 - fraction)) / fraction;
}
