// The merge methods by name, for the orchestrator (main thread) and the worker (second pass).
import type { MergeMethod } from '../../../shared/options';
import type { PixelLayout } from '../../../shared/types';
import type { PixelData } from '../input/decode';
import { argmaxStage } from './argmax';
import type { MergeStage, MergeState } from './method';
import { pyramidStage } from './pyramid';
import { smoothStage } from './smooth';

const STAGES = { argmax: argmaxStage, smooth: smoothStage, pyramid: pyramidStage } as const satisfies {
  [M in MergeMethod]: MergeStage<MergeState & { method: M }>;
};

export function mergeStage(method: MergeMethod): MergeStage<MergeState> {
  return STAGES[method] as MergeStage<MergeState>;
}

/** Worker side of the second pass: hands a decoded slice to the state's method. */
export function composeSlice(state: MergeState, layout: PixelLayout, sliceIndex: number, pixels: PixelData): void {
  mergeStage(state.method).composeSlice?.(state, layout, sliceIndex, pixels);
}
