// The top bar: where a stack comes from (open, demo, recent), how it is stacked (sigma, method,
// alignment, slice range), run, export, and the theme.
import { useId } from 'react';
import { ALIGN_METHODS, MERGE_METHODS, type AlignMethod, type MergeMethod } from '../../../shared/options';
import type { ExportChoices } from '../settings';
import type { Theme } from '../state/app-state';
import { ExportMenu, type ExportChoice } from './ExportMenu';
import { fileName } from './Notices';

/** The alignment and range fields as typed (numbers stay text until Run, so errors can quote them). */
export interface StackFields {
  align: AlignMethod;
  reference: string;
  brightness: boolean;
  keepSize: boolean;
  rangeFrom: string;
  rangeTo: string;
}

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
  onHelp: () => void;
  fields: StackFields;
  onFields: (fields: Partial<StackFields>) => void;
  /** Set when the fields cannot be used (shown beside them, announced). */
  fieldsError?: string | null;
  /** Why the open stack looks like a microscope z-stack, which align 'auto' leaves unaligned. */
  microscope?: string;
  sliceCount: number;
  /** Said beside Run when it will not stack the whole folder ("Stacking 5 of 8 slices"). */
  runNote?: string | null;
  exportChoices: ExportChoices;
  onExportChoices: (choices: ExportChoices) => void;
  onExportOutputs: (choices: ExportChoices) => Promise<void>;
  knownZStep?: string;
}

/** Alignment (issue 6) and the slice range (issue 5): passed to the engine with the next Run. */
function StackFieldsGroup({ fields, onFields, error, microscope }: { fields: StackFields; onFields: (f: Partial<StackFields>) => void; error?: string | null; microscope?: string }) {
  const errorId = useId();
  const noteId = useId();
  const aligned = fields.align !== 'off';
  // auto leaves a microscope z-stack as it is: said where the choice is made, not only afterwards.
  const note = fields.align === 'auto' && microscope ? `microscope z-stack (${microscope}): auto leaves it unaligned; choose similarity to align it` : undefined;
  return (
    <div className="stack-fields" role="group" aria-label="Alignment and range" aria-describedby={error ? errorId : undefined}>
      <label title="How each slice is aligned to the reference before merging: auto (a similarity, applied only where the slices really moved; microscope TIFF z-stacks are left as they are), off, or a model forced: translation, similarity (shift, rotation, scale) or affine">
        align
        <select aria-label="Alignment" aria-describedby={note ? noteId : undefined} value={fields.align} onChange={(e) => onFields({ align: e.target.value as AlignMethod })}>
          {ALIGN_METHODS.map((align) => (
            <option key={align}>{align}</option>
          ))}
        </select>
      </label>
      {/* Short on the toolbar (it must stay one row at 1440 px); the whole sentence is its title and description. */}
      {note && (
        <span id={noteId} className="muted" role="note" title={note}>
          z-stack: not aligned
        </span>
      )}
      <label title="The slice the others are aligned to (1-based among the stacked slices); blank for the middle one">
        ref
        <input
          className="small-number"
          type="text"
          inputMode="numeric"
          aria-label="Reference slice"
          placeholder="mid"
          disabled={!aligned}
          value={fields.reference}
          onChange={(e) => onFields({ reference: e.target.value })}
        />
      </label>
      <label title="Match each slice's gain and offset per channel to the reference">
        <input type="checkbox" aria-label="Match brightness" checked={fields.brightness} disabled={!aligned} onChange={(e) => onFields({ brightness: e.target.checked })} />
        gain
      </label>
      <label title="Keep the full frame (edges filled) instead of cropping to the area every slice covers">
        <input type="checkbox" aria-label="Keep full size" checked={fields.keepSize} disabled={!aligned} onChange={(e) => onFields({ keepSize: e.target.checked })} />
        keep size
      </label>
      <label title="Stack only slices from..to of the folder (1-based, inclusive); blank for all">
        slices
        <input
          className="small-number"
          type="text"
          inputMode="numeric"
          aria-label="First slice"
          placeholder="1"
          value={fields.rangeFrom}
          onChange={(e) => onFields({ rangeFrom: e.target.value })}
        />
      </label>
      <label>
        to
        <input
          className="small-number"
          type="text"
          inputMode="numeric"
          aria-label="Last slice"
          placeholder="last"
          value={fields.rangeTo}
          onChange={(e) => onFields({ rangeTo: e.target.value })}
        />
      </label>
      {error && (
        <span id={errorId} className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

/** Where a stack comes from: a folder, the demo, or one of the recent stacks. */
function StackSourceButtons({ recent, onOpen, onDemo, onRecent }: Pick<ToolbarProps, 'recent' | 'onOpen' | 'onDemo' | 'onRecent'>) {
  return (
    <>
      <button type="button" onClick={onOpen} title="Open a folder of focus slices">
        Open folder
      </button>
      {/* Short on screen so the options and Run fit one row at 1440 px; the full name for screen readers. */}
      <button type="button" onClick={onDemo} aria-label="Try a demo stack" title="Try a demo stack: a synthetic scene with a known depth">
        Demo
      </button>
      <select
        className="recent"
        aria-label="Recent stacks"
        value=""
        disabled={recent.length === 0}
        onChange={(e) => {
          if (e.target.value) onRecent(e.target.value);
        }}
      >
        <option value="">{recent.length === 0 ? 'No recent stacks' : 'Recent stacks'}</option>
        {recent.map((path) => (
          <option key={path} value={path} title={path}>
            {fileName(path)} — {path}
          </option>
        ))}
      </select>
    </>
  );
}

/** Sigma as typed; Enter in it runs, and a refusal is shown under it. */
function SigmaField({ sigma, sigmaError, canRun, onSigma, onRun }: Pick<ToolbarProps, 'sigma' | 'sigmaError' | 'canRun' | 'onSigma' | 'onRun'>) {
  const sigmaId = useId();
  const sigmaErrorId = useId();
  return (
    <>
      <label htmlFor={sigmaId}>sigma</label>
      <span className="field-with-error">
        <input
          id={sigmaId}
          className="sigma"
          type="text"
          inputMode="decimal"
          aria-label="Sigma"
          aria-invalid={sigmaError ? true : undefined}
          aria-describedby={sigmaError ? sigmaErrorId : undefined}
          value={sigma}
          onChange={(e) => onSigma(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && canRun) onRun();
          }}
          title="Gaussian sigma of the focus measure, in pixels"
        />
        {/* Under the field, over the page: the toolbar stays one row. */}
        {sigmaError && (
          <span id={sigmaErrorId} className="field-error" role="alert">
            {sigmaError}
          </span>
        )}
      </span>
    </>
  );
}

export function Toolbar(props: ToolbarProps) {
  return (
    <header className="toolbar" role="toolbar" aria-label="Stack">
      <StackSourceButtons recent={props.recent} onOpen={props.onOpen} onDemo={props.onDemo} onRecent={props.onRecent} />
      <SigmaField sigma={props.sigma} sigmaError={props.sigmaError} canRun={props.canRun} onSigma={props.onSigma} onRun={props.onRun} />
      <label title="argmax: each pixel from its sharpest slice; smooth: the same, regularised; pyramid: multi-scale blend">
        method
        <select aria-label="Merge method" value={props.method} onChange={(e) => props.onMethod(e.target.value as MergeMethod)}>
          {MERGE_METHODS.map((method) => (
            <option key={method}>{method}</option>
          ))}
        </select>
      </label>
      <StackFieldsGroup fields={props.fields} onFields={props.onFields} error={props.fieldsError} microscope={props.microscope} />
      <button type="button" className="primary" onClick={props.onRun} disabled={!props.canRun || props.running} title="Stack the open folder (Enter in sigma)">
        Run
      </button>
      {props.runNote && (
        <span className="run-note" role="status" title="The slice range (or slices left out in the strip) limits what Run stacks">
          {props.runNote}
        </span>
      )}
      <span className="separator" aria-hidden="true" />
      <ExportMenu
        disabled={!props.canExport}
        currentSlice={props.currentSlice}
        onExport={props.onExport}
        sliceCount={props.sliceCount}
        choices={props.exportChoices}
        onChoices={props.onExportChoices}
        onExportOutputs={props.onExportOutputs}
        knownZStep={props.knownZStep}
      />
      <span className="spacer" />
      <button type="button" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" onClick={props.onHelp}>
        ?
      </button>
      {/* A symbol, so the toolbar's options and Run fit one row at 1440 px; named for screen readers. */}
      <button type="button" aria-label="Light theme" title="Light theme" aria-pressed={props.theme === 'light'} onClick={() => props.onTheme(props.theme === 'light' ? 'dark' : 'light')}>
        ◐
      </button>
    </header>
  );
}
