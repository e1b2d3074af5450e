// Exports of the finished job: the menu's single files and the dialog's set of outputs. Each
// follows the merge method on show, so what is saved is what the user compared.
import type { Dispatch } from 'react';
import type { DeepfieldApi } from '../../../shared/api';
import type { ExportChoice } from '../components/ExportMenu';
import { exportOutputsFrom, type ExportChoices } from '../settings';
import type { Action, AppState } from '../state/app-state';
import { describeError } from './describe-error';

const EXPORT_NAMES: Record<ExportChoice['kind'], string> = {
  composite: 'composite',
  indexMap: 'index map',
  depthColour: 'depth map',
  heatmap: 'heatmap',
  outputs: 'outputs',
};

export interface ExportControls {
  exportFile: (choice: ExportChoice) => void;
  /** Resolves once written (a toast says where); rejects with the reason, for the dialog to show. */
  exportOutputs: (choices: ExportChoices) => Promise<void>;
}

export function useExports(api: DeepfieldApi, state: AppState, dispatch: Dispatch<Action>): ExportControls {
  const job = state.job;
  // Named always, so the desktop's save dialog can propose a name that says it (pcb-pyramid.png).
  const method = state.shownMethod ?? state.summary?.method;
  const exportMethod = method ? { method } : {};
  const failed = (error: unknown) => dispatch({ type: 'toast', message: `Export failed: ${describeError(error)}`, tone: 'error' });

  const exportFile = (choice: ExportChoice) => {
    if (!job) return;
    const request = { jobId: job.jobId, ...choice, ...exportMethod, ...(choice.kind === 'heatmap' ? { scale: state.heatmap.scaleMode, colourMap: 'viridis' as const } : {}) };
    api.exportImage(request).then((result) => result && dispatch({ type: 'toast', message: `Saved ${EXPORT_NAMES[choice.kind]} to ${result.path}` }), failed);
  };

  const exportOutputs = async (choices: ExportChoices) => {
    if (!job || !state.summary) return;
    const outputs = exportOutputsFrom(choices, state.summary.slices.length);
    const result = await api.exportImage({ jobId: job.jobId, kind: 'outputs', format: 'png', outputs, ...exportMethod });
    if (result) dispatch({ type: 'toast', message: `Saved ${result.files?.length ?? 0} files to ${result.path}` });
  };

  return { exportFile, exportOutputs };
}
