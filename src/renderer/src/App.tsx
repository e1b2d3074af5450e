// Test hooks: stable accessible names the end-to-end tests select by (role "name").
//   toolbar "Stack":     button "Open folder", button "Try a demo stack", combobox "Recent stacks",
//                        textbox "Sigma", combobox "Merge method" (after a finished run: re-merges it,
//                        no new progress), group "Alignment and range" (combobox "Alignment",
//                        textbox "Reference slice", checkboxes "Match brightness", "Keep full size",
//                        a short note "z-stack: not aligned" (the full sentence in its title) when it applies,
//                        textboxes "First slice", "Last slice"), button "Run", button "Export" (opens group "Export options"
//                        with buttons "Composite as PNG", "Composite as 16-bit TIFF",
//                        "Composite as JPEG", spinbutton "JPEG quality", "Index map (PNG)",
//                        "Depth map in colour (PNG)", "Heatmap of slice N (PNG)", "More outputs…"),
//                        button "Light theme" (aria-pressed).
//   dialog "Export outputs": combobox "Composite format", "Bit depth", "TIFF compression",
//                        spinbutton "Quality", checkboxes "Keep metadata (EXIF, ICC, XMP)", "Index map (16-bit PNG)",
//                        "Depth map in colour, with legend", "Height map (32-bit float TIFF)", textbox "Z-step",
//                        combobox "Z-step unit", checkbox "Sub-slice refinement", "Heatmaps of all slices (shared scale)",
//                        comboboxes "Heatmap colour map", "Heatmap export scale", checkbox "Inverted focus map",
//                        textbox "In-focus slices", buttons "Export files", "Close".
//   dialog "Choose a stack folder" (browser host): list "Folders", buttons "Browse <name>",
//                        "Open stack <name>", "Parent folder", "Open this folder", "Close".
//   region "Batch queue" (right column): button "Add folders…" (browser host: dialog "Add stacks to
//                        the batch queue", the same with "Add stack <name>", "Add this folder" and a
//                        status "Added N: …"), combobox "Add a recent stack", list "Queued stacks" with
//                        a listitem per job: button "<name>: <status>" (status "ready", "queued, N ahead",
//                        "stacking P%", "done", "failed: <reason>", "cancelled"; enabled when done: opens
//                        it) and button "Stop <name>" (queued, running) / "Remove <name>"; button "Start queue".
//   region "Slices" (complementary): list with one listitem per slice; in each, button
//                        "Slice N: <file>" (aria-current on the shown one) and, once measured,
//                        img "Heatmap of slice N" (N is 1-based).
//   tablist "Views": tab "Slice", tab "Heatmap", tab "Composite", tab "Depth", tab "Confidence";
//                        tabpanel holds group "<View> view" stages (two with checkbox "Split view",
//                        combobox "Right-hand view", and for a composite/depth right side combobox
//                        "Right-hand method"); a stage is focusable, Enter picks the pixel at its centre.
//   img "Composite" (or "Composite (<method>)" once re-merged), img "Slice N", img "Depth map",
//                        img "Confidence map", img "Heatmap view, slice N", each an image
//                        layer with data-natural-width / data-natural-height = full-size pixels.
//   region "Alignment" (right column): the alignment's summary line ("aligned stack detected:
//                        nothing applied; largest motion ..."), and a table row per slice, named
//                        "Slice N: aligned|reference|left as it is|alignment failed: <reason>".
//   group "Zoom": buttons "Fit", "100%", "200%", "Zoom in", "Zoom out"; status output "Zoom level".
//   group "Heatmap settings": comboboxes "Heatmap style", "Heatmap scale", "In-focus rule";
//                        sliders "Overlay opacity", "Focus threshold". figure "Colour bar: …".
//   list "Depth legend". region "Focus curve" (img "Sharpness score by slice…"),
//                        region "Pixel profile" (text "Pixel (x, y): sharpest in slice N").
//   progressbar "Stacking progress" (aria-valuenow = slices done), button "Cancel" (also Esc).
//   combobox "RAW colour" (srgb, linear) beside the stack's title, only when its folder has camera RAW slices.
//   alert: engine errors, naming the file. status "Notifications": toasts ("Saved … to <path>").
//   group "Retouch" (composite/depth views of a finished job): button "Retouch" (aria-pressed);
//                        when on: combobox "Source slice", button "Use slice N (sharpest there)" after a
//                        pixel is picked (Alt+click while retouching), radiogroup "Tool" (radios "Brush",
//                        "Eraser"), spinbutton "Brush size", sliders "Brush hardness", "Brush opacity",
//                        buttons "Undo", "Redo", checkbox "Show before retouching", status "Strokes".
//                        While on, a left drag on the composite or depth stage paints (middle/right drag pans).
// Keys: Left/Right slices, 1-5 views, F fit, 0 100%, +/- zoom, Esc cancel; retouching: [ ] brush
// size, Ctrl+Z undo, Ctrl+Shift+Z (Ctrl+Y) redo.
import { type Dispatch, useCallback, useEffect, useReducer, useState } from 'react';
import type { DeepfieldApi, HostInfo, StackSource } from '../../shared/api';
import type { RawColour } from '../../shared/options';
import { AlignmentPanel } from './components/AlignmentPanel';
import { ErrorBoundary } from './components/ErrorBoundary';
import { FocusPanel } from './components/FocusPanel';
import { FolderBrowser } from './components/FolderBrowser';
import { KeyboardHelp } from './components/KeyboardHelp';
import { ErrorBanner, fileName, Toasts } from './components/Notices';
import { ProgressBar } from './components/ProgressBar';
import { QueuePanel } from './components/QueuePanel';
import { RawColourField } from './components/RawColourField';
import { SliceStrip } from './components/SliceStrip';
import { Toolbar } from './components/Toolbar';
import { type ExportControls, useExports } from './hooks/use-exports';
import { useFolderImages } from './hooks/use-folder-images';
import { useLeftOut } from './hooks/use-left-out';
import { useHost } from './hooks/use-host';
import { type JobControls, useJob } from './hooks/use-job';
import { useKeys } from './hooks/use-keys';
import { describeError } from './hooks/describe-error';
import { type OpenControls, useOpen } from './hooks/use-open';
import { type QueueControls, type QueueRow, useQueue } from './hooks/use-queue';
import { type RetouchControls, useRetouch } from './hooks/use-retouch';
import { useSettings } from './hooks/use-settings';
import { type ViewportControls, useViewport } from './hooks/use-viewport';
import { rangeForFolder, slicesInRange, type Settings } from './settings';
import { type Action, type AppState, initialState, reducer } from './state/app-state';
import type { ZStep } from './viewer/DepthLegend';
import { Viewer } from './viewer/Viewer';

/**
 * "Stacking 5 of 8 slices" when Run will leave some of the folder's `count` slices out (files
 * left out in the strip, then the range); null when it stacks them all.
 */
function stackingNote(settings: Settings, folder: string, count: number, leftOut: number): string | null {
  let stacked;
  try {
    stacked = slicesInRange(rangeForFolder(settings, folder).range, count - leftOut);
  } catch {
    return null; // a range that cannot be read is reported beside the fields at Run
  }
  return stacked < count ? `Stacking ${stacked} of ${count} slices` : null;
}

/** "Batch queue: stacking pcb, 2 waiting" while the queue works; null when it is idle. */
function queueNote(rows: QueueRow[]): string | null {
  const running = rows.find((r) => r.state === 'running');
  const waiting = rows.filter((r) => r.state === 'queued').length;
  if (!running && waiting === 0) return null;
  return `Batch queue: ${running ? `stacking ${running.name}` : 'starting'}${waiting > 0 ? `, ${waiting} waiting` : ''}`;
}

/** The z-step typed in the export dialog, when it is a positive number. */
function zStepOf(settings: Settings): ZStep | null {
  const value = Number(settings.export.zStep.trim());
  return settings.export.zStep.trim() !== '' && value > 0 ? { value, unit: settings.export.zUnit } : null;
}

/**
 * "Add folders…" of the batch queue: the browser host has no folder dialog, so it opens the folder
 * browser in its adding mode; the desktop app asks its dialog.
 */
function useAddToQueue(api: DeepfieldApi, hostInfo: HostInfo | null, queue: QueueControls, dispatch: Dispatch<Action>) {
  const [adding, setAdding] = useState(false);
  const addFolders = () => {
    if (hostInfo?.kind === 'browser') {
      setAdding(true);
      return;
    }
    api.chooseFolder().then(
      (path) => path && queue.add(path),
      (error: unknown) => dispatch({ type: 'toast', message: `Cannot open a folder: ${describeError(error)}`, tone: 'error' }),
    );
  };
  return { adding, addFolders, stopAdding: () => setAdding(false) };
}

/** The toolbar, its choices kept in the settings (issue 5) and its buttons wired to the job. */
function StackToolbar({
  state,
  dispatch,
  settings,
  updateSettings,
  jobs,
  open,
  exports,
  recent,
  runNote,
  onRun,
  onHelp,
}: {
  state: AppState;
  dispatch: Dispatch<Action>;
  settings: Settings;
  updateSettings: (partial: Partial<Settings>) => void;
  jobs: JobControls;
  open: OpenControls;
  exports: ExportControls;
  recent: string[];
  runNote: string | null;
  onRun: () => void;
  onHelp: () => void;
}) {
  const job = state.job;
  const source = jobs.source;
  return (
    <Toolbar
      recent={recent}
      sigma={settings.sigma}
      sigmaError={jobs.sigmaError}
      method={settings.method}
      canRun={source !== null}
      running={job?.status === 'running'}
      canExport={job?.status === 'done'}
      currentSlice={state.currentSlice}
      theme={state.theme}
      onOpen={open.chooseFolder}
      onDemo={() => void jobs.run({ kind: 'demo' })}
      onRecent={open.openFolder}
      onSigma={(text) => updateSettings({ sigma: text })}
      onMethod={(chosen) => {
        updateSettings({ method: chosen });
        jobs.remerge(chosen, 'main');
      }}
      onRun={onRun}
      onExport={exports.exportFile}
      onTheme={(theme) => dispatch({ type: 'setTheme', theme })}
      onHelp={onHelp}
      fields={settings}
      onFields={(partial) => {
        jobs.clearFieldsError();
        // A range is typed for the open folder (or, with none open, for the next one).
        const range = partial.rangeFrom !== undefined || partial.rangeTo !== undefined;
        updateSettings(range ? { ...partial, rangeFolder: source?.kind === 'folder' ? source.path : '' } : partial);
      }}
      fieldsError={jobs.fieldsError}
      microscope={job?.microscope}
      runNote={runNote}
      sliceCount={state.summary?.slices.length ?? 0}
      exportChoices={settings.export}
      onExportChoices={(choices) => updateSettings({ export: choices })}
      onExportOutputs={exports.exportOutputs}
    />
  );
}

/**
 * Above the viewer: which stack is on show (and which of its slices) with, when it has camera RAW
 * slices, how they are developed; its error; the files it skipped.
 */
function StackHeading({ state, source, dispatch, raw }: { state: AppState; source: StackSource | null; dispatch: Dispatch<Action>; raw: { rawColour: RawColour; onRawColour: (rawColour: RawColour) => void } | null }) {
  const job = state.job;
  // A limited run says which of the folder's slices it holds: the strip numbers them from 1.
  const range = state.summary?.range;
  const title = source ? `${source.kind === 'demo' ? 'Demo stack' : fileName(source.path)}${range ? ` · slices ${range.from}–${range.to} of the folder` : ''}` : null;
  return (
    <>
      {title && (
        <div className="stack-heading">
          <h1 className="stack-title" title={source?.kind === 'folder' ? source.path : undefined}>
            {title}
          </h1>
          {raw && <RawColourField rawColour={raw.rawColour} onRawColour={raw.onRawColour} />}
        </div>
      )}
      {state.error && <ErrorBanner error={state.error} onDismiss={() => dispatch({ type: 'dismissError' })} />}
      {job && job.skipped.length > 0 && (
        <p className="notice">
          Skipped {job.skipped.length} file{job.skipped.length === 1 ? '' : 's'}: {job.skipped.map((s) => `${fileName(s.file)} (${s.reason})`).join('; ')}
        </p>
      )}
    </>
  );
}

/** The viewer wired to the viewport, the job's previews and results, and retouching. */
function StackViewer({ api, state, dispatch, view, jobs, retouch, settings }: { api: DeepfieldApi; state: AppState; dispatch: Dispatch<Action>; view: ViewportControls; jobs: JobControls; retouch: RetouchControls; settings: Settings }) {
  return (
    <Viewer
      state={state}
      dispatch={dispatch}
      api={api}
      viewport={view.viewport}
      onViewport={view.moveViewport}
      onStageSize={view.onStageSize}
      onFit={view.fit}
      onScale={view.zoomTo}
      onZoomStep={view.zoomStep}
      onPixel={jobs.pickPixel}
      previewFor={jobs.previewFor}
      varianceScale={jobs.varianceScale}
      indexMap={jobs.indexMap}
      onCompareMethod={(chosen) => jobs.remerge(chosen, 'compare')}
      retouch={retouch}
      zStep={zStepOf(settings)}
    />
  );
}

/** The right column: the focus curve and pixel profile, the batch queue, the alignment report. */
function RightColumn({ state, queue, recent, jobs, onAddFolders, onSelect }: { state: AppState; queue: QueueControls; recent: string[]; jobs: JobControls; onAddFolders: () => void; onSelect: (slice: number) => void }) {
  const job = state.job;
  return (
    <FocusPanel slices={state.slices} current={state.currentSlice} profile={state.profile} onSelect={onSelect}>
      <QueuePanel
        rows={queue.rows}
        error={queue.error}
        sending={queue.sending}
        recent={recent}
        onAddFolders={onAddFolders}
        onAdd={queue.add}
        onRunAll={() => void queue.runAll()}
        onRemove={queue.remove}
        onOpen={(row) => (row.state === 'released' || !row.jobId ? void jobs.run(row.source) : void jobs.show(row.jobId))}
        shownJobId={job?.jobId ?? null}
      />
      <AlignmentPanel alignment={state.summary?.alignment} done={job?.status === 'done'} current={state.currentSlice} onSelect={onSelect} />
    </FocusPanel>
  );
}

/** The window: toolbar, slice strip, viewer, focus panel and progress line, wired to the hooks that hold each concern. */
export function App({ api }: { api: DeepfieldApi }) {
  const [state, dispatch] = useReducer(reducer, initialState);
  // Last-used choices, remembered between sessions (issue 5).
  const { settings, updateSettings } = useSettings();
  const { hostInfo, recent, refreshRecent } = useHost(api, dispatch);
  const jobs = useJob({ api, state, dispatch, settings, updateSettings, onFinished: refreshRecent });
  const open = useOpen({ api, hostInfo, dispatch, run: jobs.run });
  const queue = useQueue(api, settings);
  const adding = useAddToQueue(api, hostInfo, queue, dispatch);
  const job = state.job;
  const layout = job?.layout ?? null;
  const view = useViewport(layout);
  const [helpShown, setHelpShown] = useState(false);
  const toggleHelp = useCallback(() => setHelpShown((shown) => !shown), []);
  const retouch = useRetouch(api, job?.jobId ?? null, job?.status === 'done', dispatch);
  useKeys({ enabled: !open.browsing && !adding.adding && !helpShown, dispatch, viewport: view, cancel: jobs.cancel, toggleHelp, retouch });
  const exports = useExports(api, state, dispatch);

  useEffect(() => {
    document.documentElement.dataset.theme = state.theme;
  }, [state.theme]);

  const selectSlice = useCallback((slice: number) => dispatch({ type: 'selectSlice', slice }), []);
  const dismissToast = useCallback((id: number) => dispatch({ type: 'dismissToast', id }), []);
  const source = jobs.source;
  const folderImages = useFolderImages(api, source);
  const leftOut = useLeftOut(source);
  // The open folder has camera RAW slices (as the host counts them): how they are developed is offered.
  const rawStack = (folderImages?.rawCount ?? 0) > 0;
  const runNote = source?.kind === 'folder' && folderImages !== null ? stackingNote(settings, source.path, folderImages.names.length, leftOut.names.length) : null;

  return (
    <div className={`app theme-${state.theme}`} onDragOver={(e) => e.preventDefault()} onDrop={open.onDrop}>
      <StackToolbar
        state={state}
        dispatch={dispatch}
        settings={settings}
        updateSettings={updateSettings}
        jobs={jobs}
        open={open}
        exports={exports}
        recent={recent}
        runNote={runNote}
        onRun={() => leftOut.forRun && void jobs.run(leftOut.forRun)}
        onHelp={toggleHelp}
      />
      <div className="workspace">
        <ErrorBoundary area="slice strip">
          <SliceStrip
            api={api}
            jobId={job?.jobId ?? null}
            slices={state.slices}
            current={state.currentSlice}
            totalPixels={layout ? layout.width * layout.height : 0}
            previewFor={jobs.previewFor}
            varianceScale={jobs.varianceScale}
            onSelect={selectSlice}
            folderImages={folderImages?.names ?? null}
            leftOut={leftOut.names}
            onInclude={leftOut.setIncluded}
          />
        </ErrorBoundary>
        <div className="centre">
          <StackHeading state={state} source={source} dispatch={dispatch} raw={rawStack ? { rawColour: settings.rawColour, onRawColour: (rawColour) => updateSettings({ rawColour }) } : null} />
          <ErrorBoundary area="viewer">
            <StackViewer api={api} state={state} dispatch={dispatch} view={view} jobs={jobs} retouch={retouch} settings={settings} />
          </ErrorBoundary>
        </div>
        <ErrorBoundary area="focus panel">
          <RightColumn state={state} queue={queue} recent={recent} jobs={jobs} onAddFolders={adding.addFolders} onSelect={selectSlice} />
        </ErrorBoundary>
      </div>
      <ProgressBar job={job} lastEventAt={jobs.lastEventAt} onCancel={jobs.cancel} queueNote={queueNote(queue.rows)} />
      <Toasts toasts={state.toasts} onDismiss={dismissToast} />
      {open.browsing && <FolderBrowser api={api} onOpen={open.openFolder} onClose={open.closeBrowser} />}
      {adding.adding && <FolderBrowser api={api} onOpen={open.openFolder} onAdd={queue.add} onClose={adding.stopAdding} />}
      {helpShown && <KeyboardHelp onClose={() => setHelpShown(false)} />}
    </div>
  );
}
