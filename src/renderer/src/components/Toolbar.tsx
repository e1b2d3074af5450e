// The top bar: where a stack comes from (open, demo, recent), how it is stacked (sigma), run,
// export, and the theme.
import { useId } from 'react';
import { MERGE_METHODS, type MergeMethod } from '../../../shared/options';
import type { Theme } from '../state/app-state';
import { ExportMenu, type ExportChoice } from './ExportMenu';

export interface ToolbarProps {
  recent: string[];
  sigma: string;
  sigmaError: string | null;
  method: MergeMethod;
  canRun: boolean;
  running: boolean;
  canExport: boolean;
  currentSlice: number;
  theme: Theme;
  onOpen: () => void;
  onDemo: () => void;
  onRecent: (path: string) => void;
  onSigma: (text: string) => void;
  onMethod: (method: MergeMethod) => void;
  onRun: () => void;
  onExport: (choice: ExportChoice) => void;
  onTheme: (theme: Theme) => void;
}

export function Toolbar(props: ToolbarProps) {
  const sigmaId = useId();
  const sigmaErrorId = useId();
  return (
    <header className="toolbar" role="toolbar" aria-label="Stack">
      <span className="brand" aria-hidden="true">
        Deepfield
      </span>
      <button type="button" onClick={props.onOpen} title="Open a folder of focus slices">
        Open folder
      </button>
      <button type="button" onClick={props.onDemo}>
        Try a demo stack
      </button>
      <select
        aria-label="Recent stacks"
        value=""
        disabled={props.recent.length === 0}
        onChange={(e) => {
          if (e.target.value) props.onRecent(e.target.value);
        }}
      >
        <option value="">{props.recent.length === 0 ? 'No recent stacks' : 'Recent stacks…'}</option>
        {props.recent.map((path) => (
          <option key={path} value={path}>
            {path}
          </option>
        ))}
      </select>
      <span className="separator" aria-hidden="true" />
      <label htmlFor={sigmaId}>sigma</label>
      <input
        id={sigmaId}
        className="sigma"
        type="text"
        inputMode="decimal"
        aria-label="Sigma"
        aria-invalid={props.sigmaError ? true : undefined}
        aria-describedby={props.sigmaError ? sigmaErrorId : undefined}
        value={props.sigma}
        onChange={(e) => props.onSigma(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && props.canRun) props.onRun();
        }}
        title="Gaussian sigma of the focus measure, in pixels"
      />
      {props.sigmaError && (
        <span id={sigmaErrorId} className="error-text" role="alert">
          {props.sigmaError}
        </span>
      )}
      <label title="argmax: each pixel from its sharpest slice; smooth: the same, regularised; pyramid: multi-scale blend">
        method
        <select aria-label="Merge method" value={props.method} onChange={(e) => props.onMethod(e.target.value as MergeMethod)}>
          {MERGE_METHODS.map((method) => (
            <option key={method}>{method}</option>
          ))}
        </select>
      </label>
      <button type="button" className="primary" onClick={props.onRun} disabled={!props.canRun || props.running} title="Stack the open folder (Enter in sigma)">
        Run
      </button>
      <span className="separator" aria-hidden="true" />
      <ExportMenu disabled={!props.canExport} currentSlice={props.currentSlice} onExport={props.onExport} />
      <span className="spacer" />
      <button type="button" aria-pressed={props.theme === 'light'} onClick={() => props.onTheme(props.theme === 'light' ? 'dark' : 'light')}>
        Light theme
      </button>
    </header>
  );
}
