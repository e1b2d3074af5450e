// Test hooks: stable accessible names the end-to-end tests select by (role "name").
//   toolbar "Stack":     button "Open folder", button "Try a demo stack", combobox "Recent stacks",
//                        textbox "Sigma", combobox "Merge method" (after a finished run: re-merges it,
//                        no new progress), group "Alignment and range" (combobox "Alignment",
//                        textbox "Reference slice", checkboxes "Match brightness", "Keep full size",
//                        a note "microscope z-stack: auto leaves it unaligned" when it applies,
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
//   alert: engine errors, naming the file. status "Notifications": toasts ("Saved … to <path>").
// Keys: Left/Right slices, 1-5 views, F fit, 0 100%, +/- zoom, Esc cancel.
import { useCallback, useEffect, useMemo, useReducer, useRef, useState, type DragEvent } from 'react';
import type { DeepfieldApi, HostInfo, JobEvent, JobSummary, StackSource } from '../../shared/api';
import { createVarianceScale } from '../../shared/colour-scale';
import { parseStackOptions, type MergeMethod } from '../../shared/options';
import type { FocusPreview } from '../../shared/types';
import { AlignmentPanel } from './components/AlignmentPanel';
import { ErrorBoundary } from './components/ErrorBoundary';
import type { ExportChoice } from './components/ExportMenu';
import { FocusPanel } from './components/FocusPanel';
import { FolderBrowser } from './components/FolderBrowser';
import { ErrorBanner, fileName, Toasts } from './components/Notices';
import { ProgressBar } from './components/ProgressBar';
import { SliceStrip } from './components/SliceStrip';
import { Toolbar, type StackFields } from './components/Toolbar';
import { decodeIndexImage, maxOverPreviews } from './heatmap/paint';
import { commandForKey, keysTakenBy } from './keyboard';
import { exportOutputsFrom, loadSettings, saveSettings, sliceRangeFrom, type ExportChoices, type Settings } from './settings';
import { initialState, reducer } from './state/app-state';
import { Viewer } from './viewer/Viewer';
import type { DecodedIndexMap } from './viewer/ViewLayers';
import { fitViewport, scaleTo, zoomAt, ZOOM_STEP, type Point, type Size, type Viewport } from './viewer/viewport';

/** The index map is only needed for the in-focus mask, which is drawn at preview resolution. */
const INDEX_MAP_SIZE = 1024;

const EXPORT_NAMES: Record<ExportChoice['kind'], string> = {
  composite: 'composite',
  indexMap: 'index map',
  depthColour: 'depth map',
  heatmap: 'heatmap',
  outputs: 'outputs',
};

/** localStorage, or nothing where the page may not use it (sandboxed, some private windows). */
function settingsStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/** The alignment fields as stack options; a typed reference is 1-based, the engine's 0-based. */
function alignOptions(fields: StackFields): { align: StackFields['align']; reference?: number; brightness: boolean; keepSize: boolean } {
  const reference = fields.reference.trim();
  const n = Number(reference);
  if (reference !== '' && !(Number.isInteger(n) && n >= 1)) {
    throw new Error(`Expected a slice number from 1 for reference slice but received ${JSON.stringify(reference)}`);
  }
  return { align: fields.align, ...(reference === '' ? {} : { reference: n - 1 }), brightness: fields.brightness, keepSize: fields.keepSize };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads the host's 8-bit 'index' image into slice numbers; null where pixels cannot be read. */
function loadIndexMap(url: string, sliceCount: number): Promise<DecodedIndexMap | null> {
  return new Promise((resolve) => {
    const image = new Image();
    image.onload = () => {
      try {
        const canvas = document.createElement('canvas');
        canvas.width = image.naturalWidth;
        canvas.height = image.naturalHeight;
        const context = canvas.getContext('2d', { willReadFrequently: true });
        if (!context) return resolve(null);
        context.drawImage(image, 0, 0);
        const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
        resolve({ width: canvas.width, height: canvas.height, indexMap: decodeIndexImage(data, sliceCount) });
      } catch {
        // A canvas tainted by a cross-origin image: the masked view falls back to the threshold rule.
        resolve(null);
      }
    };
    image.onerror = () => resolve(null);
    image.src = url;
  });
}

/** Sigma as typed, passed to the shared schema as a number when it is one, so errors quote it. */
function sigmaValue(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const number = Number(trimmed);
  return Number.isNaN(number) ? trimmed : number;
}

export function App({ api }: { api: DeepfieldApi }) {
  const [state, dispatch] = useReducer(reducer, initialState);
  const [hostInfo, setHostInfo] = useState<HostInfo | null>(null);
  const [recent, setRecent] = useState<string[]>([]);
  const [source, setSource] = useState<StackSource | null>(null);
  // Last-used choices, remembered between sessions (issue 5).
  const [settings, setSettings] = useState<Settings>(() => loadSettings(settingsStorage()));
  useEffect(() => saveSettings(settingsStorage(), settings), [settings]);
  const updateSettings = useCallback((partial: Partial<Settings>) => setSettings((s) => ({ ...s, ...partial })), []);
  const { sigma, method } = settings;
  const setSigma = useCallback((text: string) => updateSettings({ sigma: text }), [updateSettings]);
  const [sigmaError, setSigmaError] = useState<string | null>(null);
  const [fieldsError, setFieldsError] = useState<string | null>(null);
  const fields: StackFields = settings;
  const [browsing, setBrowsing] = useState(false);
  const [viewport, setViewport] = useState<Viewport>({ scale: 1, centreX: 0, centreY: 0 });
  const [indexMap, setIndexMap] = useState<DecodedIndexMap | null>(null);

  const stageSize = useRef<Size>({ width: 0, height: 0 });
  const previews = useRef(new Map<number, FocusPreview>());
  const jobIdRef = useRef<string | null>(null);
  /** Events that arrive while startStack has not yet told us the new job's id. */
  const pendingEvents = useRef<JobEvent[] | null>(null);
  const lastEventAt = useRef(Date.now());
  /** "width x height" of the image last fitted: a re-run of the same stack keeps the zoom. */
  const fittedLayout = useRef('');
  /** The view still shows the fitted image (no zoom or pan since): it refits when the stage resizes. */
  const followsFit = useRef(true);

  const job = state.job;
  const layout = job?.layout ?? null;

  const refreshRecent = useCallback(() => {
    api.recentStacks().then(setRecent, () => setRecent([]));
  }, [api]);

  useEffect(() => {
    api.hostInfo().then(setHostInfo, (error: unknown) => dispatch({ type: 'failed', error: { message: `Cannot reach the Deepfield host: ${describeError(error)}` } }));
    refreshRecent();
  }, [api, refreshRecent]);

  useEffect(() => {
    document.documentElement.dataset.theme = state.theme;
  }, [state.theme]);

  const fetchPreview = useCallback(
    (jobId: string, slice: number) => {
      api.getFocusPreview(jobId, slice).then(
        (preview) => {
          if (jobIdRef.current !== jobId) return;
          previews.current.set(slice, preview);
          dispatch({ type: 'previewLoaded', jobId, slice });
        },
        (error: unknown) => console.warn(`Deepfield: no heatmap for slice ${slice + 1}: ${describeError(error)}`),
      );
    },
    [api],
  );

  const onFinished = useCallback(
    (summary: JobSummary) => {
      for (const slice of summary.slices) if (!previews.current.has(slice.index)) fetchPreview(summary.jobId, slice.index);
      loadIndexMap(api.imageUrl(summary.jobId, 'index', { maxSize: INDEX_MAP_SIZE }), summary.slices.length).then((decoded) => {
        if (jobIdRef.current === summary.jobId) setIndexMap(decoded);
      });
      refreshRecent();
    },
    [api, fetchPreview, refreshRecent],
  );

  const handleEvent = useCallback(
    (event: JobEvent) => {
      if (jobIdRef.current === null || event.jobId !== jobIdRef.current) {
        pendingEvents.current?.push(event);
        return;
      }
      lastEventAt.current = Date.now();
      dispatch({ type: 'jobEvent', event });
      if (event.type === 'progress' && event.slice) fetchPreview(event.jobId, event.slice.index);
      if (event.type === 'done') onFinished(event.summary);
    },
    [fetchPreview, onFinished],
  );

  useEffect(() => api.onJobEvent(handleEvent), [api, handleEvent]);

  const run = useCallback(
    async (stackSource: StackSource) => {
      let options;
      try {
        options = parseStackOptions({ sigma: sigmaValue(sigma), method });
        setSigmaError(null);
      } catch (error) {
        setSigmaError(describeError(error));
        return;
      }
      let aligned;
      let range;
      try {
        aligned = alignOptions(fields);
        range = stackSource.kind === 'folder' ? sliceRangeFrom(fields.rangeFrom, fields.rangeTo) : undefined;
        setFieldsError(null);
      } catch (error) {
        setFieldsError(describeError(error));
        return;
      }
      const previous = jobIdRef.current;
      if (previous && state.job?.status === 'running') api.cancel(previous).catch(() => undefined);
      setSource(stackSource);
      jobIdRef.current = null;
      pendingEvents.current = [];
      previews.current = new Map();
      setIndexMap(null);
      try {
        const { jobId } = await api.startStack(stackSource, { sigma: options.sigma, method: options.method, ...aligned }, range);
        jobIdRef.current = jobId;
        lastEventAt.current = Date.now();
        dispatch({ type: 'jobStarted', jobId, source: stackSource });
        const early = pendingEvents.current ?? [];
        pendingEvents.current = null;
        early.filter((event) => event.jobId === jobId).forEach(handleEvent);
      } catch (error) {
        pendingEvents.current = null;
        dispatch({ type: 'failed', error: { message: describeError(error), file: stackSource.kind === 'folder' ? stackSource.path : undefined } });
      }
    },
    [api, sigma, method, fields, state.job?.status, handleEvent],
  );

  const openFolder = useCallback(
    (path: string) => {
      setBrowsing(false);
      void run({ kind: 'folder', path });
    },
    [run],
  );

  const onOpen = () => {
    if (hostInfo?.kind === 'browser') {
      setBrowsing(true);
      return;
    }
    api.chooseFolder().then(
      (path) => path && openFolder(path),
      (error: unknown) => dispatch({ type: 'toast', message: `Cannot open a folder: ${describeError(error)}`, tone: 'error' }),
    );
  };

  const cancel = useCallback(() => {
    const jobId = jobIdRef.current;
    if (jobId && state.job?.status === 'running') api.cancel(jobId).catch((error: unknown) => dispatch({ type: 'toast', message: `Cancel failed: ${describeError(error)}`, tone: 'error' }));
  }, [api, state.job?.status]);

  // Exports follow the method on show, so what is saved is what the user compared.
  const exportMethod = state.shownMethod ? { method: state.shownMethod } : {};

  const onExport = (choice: ExportChoice) => {
    if (!job) return;
    const request = { jobId: job.jobId, ...choice, ...exportMethod, ...(choice.kind === 'heatmap' ? { scale: state.heatmap.scaleMode, colourMap: 'viridis' as const } : {}) };
    api.exportImage(request).then(
      (result) => result && dispatch({ type: 'toast', message: `Saved ${EXPORT_NAMES[choice.kind]} to ${result.path}` }),
      (error: unknown) => dispatch({ type: 'toast', message: `Export failed: ${describeError(error)}`, tone: 'error' }),
    );
  };

  const onExportOutputs = (choices: ExportChoices) => {
    if (!job || !state.summary) return;
    let outputs;
    try {
      outputs = exportOutputsFrom(choices, state.summary.slices.length);
    } catch (error) {
      dispatch({ type: 'toast', message: `Export failed: ${describeError(error)}`, tone: 'error' });
      return;
    }
    api.exportImage({ jobId: job.jobId, kind: 'outputs', format: 'png', outputs, ...exportMethod }).then(
      (result) => result && dispatch({ type: 'toast', message: `Saved ${result.files?.length ?? 0} files to ${result.path}` }),
      (error: unknown) => dispatch({ type: 'toast', message: `Export failed: ${describeError(error)}`, tone: 'error' }),
    );
  };

  /** Re-merges the finished job with `chosen` (no new focus pass, no progress run) and shows it. */
  const remerge = (chosen: MergeMethod, side: 'main' | 'compare') => {
    if (!job || job.status !== 'done') return;
    const jobId = job.jobId;
    api.remerge(jobId, chosen).then(
      (result) => {
        if (jobIdRef.current !== jobId) return;
        dispatch({ type: 'remerged', jobId, method: chosen, side, pixelsWon: result.pixelsWon });
        if (result.ms > 0) dispatch({ type: 'toast', message: `Merged with ${chosen} in ${(result.ms / 1000).toFixed(1)} s from the same focus maps` });
      },
      (error: unknown) => dispatch({ type: 'toast', message: `Cannot merge with ${chosen}: ${describeError(error)}`, tone: 'error' }),
    );
  };

  const onMethod = (chosen: MergeMethod) => {
    updateSettings({ method: chosen });
    remerge(chosen, 'main');
  };

  // Fit whenever a stack of a new size appears (and the stage has been measured).
  const fitIfNew = useCallback(() => {
    if (!layout || stageSize.current.width === 0) return;
    const key = `${layout.width}x${layout.height}`;
    if (fittedLayout.current === key) return;
    fittedLayout.current = key;
    followsFit.current = true;
    setViewport(fitViewport(layout, stageSize.current));
  }, [layout]);
  useEffect(fitIfNew, [fitIfNew]);

  const fit = useCallback(() => {
    if (!layout) return;
    followsFit.current = true;
    setViewport(fitViewport(layout, stageSize.current));
  }, [layout]);

  const onStageSize = useCallback(
    (size: Size) => {
      const changed = size.width !== stageSize.current.width || size.height !== stageSize.current.height;
      stageSize.current = size;
      fitIfNew();
      if (changed && followsFit.current && layout) setViewport(fitViewport(layout, size));
    },
    [fitIfNew, layout],
  );

  /** Every zoom and pan by the user goes through here. */
  const moveViewport = useCallback((update: (viewport: Viewport) => Viewport) => {
    followsFit.current = false;
    setViewport(update);
  }, []);

  const zoomStep = useCallback(
    (direction: 'in' | 'out') => {
      const size = stageSize.current;
      moveViewport((v) => zoomAt(v, size, { x: size.width / 2, y: size.height / 2 }, direction === 'in' ? ZOOM_STEP : 1 / ZOOM_STEP));
    },
    [moveViewport],
  );

  const onPixel = (pixel: Point) => {
    if (!job || job.status !== 'done') {
      dispatch({ type: 'toast', message: 'Pixel profiles are available once the stack is done.' });
      return;
    }
    const jobId = job.jobId;
    api.focusProfile(jobId, pixel.x, pixel.y).then(
      (profile) => jobIdRef.current === jobId && dispatch({ type: 'profileLoaded', profile: { ...pixel, ...profile } }),
      (error: unknown) => dispatch({ type: 'toast', message: `No profile for pixel (${pixel.x}, ${pixel.y}): ${describeError(error)}`, tone: 'error' }),
    );
  };

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (browsing || event.defaultPrevented) return;
      const command = commandForKey({
        key: event.key,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
        altKey: event.altKey,
        targetTakes: keysTakenBy(event.target instanceof Element ? event.target : null),
      });
      if (!command) return;
      event.preventDefault();
      switch (command.type) {
        case 'stepSlice':
          dispatch({ type: 'stepSlice', delta: command.delta });
          break;
        case 'showView':
          dispatch({ type: 'showView', view: command.view });
          break;
        case 'fit':
          fit();
          break;
        case 'actualSize':
          moveViewport((v) => scaleTo(v, 1));
          break;
        case 'zoom':
          zoomStep(command.direction);
          break;
        case 'escape':
          cancel();
          break;
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [browsing, cancel, fit, zoomStep, moveViewport]);

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    const file = event.dataTransfer.files[0];
    if (!file) return;
    api.droppedFolder(file).then(
      (path) => {
        if (path) openFolder(path);
        else dispatch({ type: 'toast', message: `The browser does not tell where ${file.name} is: use Open folder instead.` });
      },
      (error: unknown) => dispatch({ type: 'toast', message: `Cannot open the dropped ${file.name}: ${describeError(error)}`, tone: 'error' }),
    );
  };

  // One shared scale for every heatmap: its top is the largest value among the previews actually
  // drawn (block means, so lower than the full-resolution maximum, which would leave every
  // heatmap dim), or the largest reported maximum until the first preview arrives.
  const readyCount = state.slices.filter((s) => s.previewReady).length;
  const scaleTop = useMemo(
    () => (readyCount > 0 ? maxOverPreviews(previews.current.values()) : state.reportedMaxVariance),
    // previews.current changes only together with readyCount.
    [readyCount, state.reportedMaxVariance],
  );
  const varianceScale = useMemo(() => createVarianceScale(scaleTop, state.heatmap.scaleMode), [scaleTop, state.heatmap.scaleMode]);
  const previewFor = useCallback((slice: number) => previews.current.get(slice), []);

  const dismissToast = useCallback((id: number) => dispatch({ type: 'dismissToast', id }), []);
  const running = job?.status === 'running';
  // A limited run says which of the folder's slices it holds: the strip numbers them from 1.
  const range = state.summary?.range;
  const title = source ? `${source.kind === 'demo' ? 'Demo stack' : fileName(source.path)}${range ? ` · slices ${range.from}–${range.to} of the folder` : ''}` : null;

  return (
    <div className={`app theme-${state.theme}`} onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
      <Toolbar
        recent={recent}
        sigma={sigma}
        sigmaError={sigmaError}
        method={method}
        canRun={source !== null}
        running={running}
        canExport={job?.status === 'done'}
        currentSlice={state.currentSlice}
        theme={state.theme}
        onOpen={onOpen}
        onDemo={() => void run({ kind: 'demo' })}
        onRecent={openFolder}
        onSigma={setSigma}
        onMethod={onMethod}
        onRun={() => source && void run(source)}
        onExport={onExport}
        onTheme={(theme) => dispatch({ type: 'setTheme', theme })}
        fields={fields}
        onFields={(partial) => {
          setFieldsError(null);
          updateSettings(partial);
        }}
        fieldsError={fieldsError}
        microscope={job?.microscope}
        sliceCount={state.summary?.slices.length ?? 0}
        exportChoices={settings.export}
        onExportChoices={(choices) => updateSettings({ export: choices })}
        onExportOutputs={onExportOutputs}
      />
      <div className="workspace">
        <ErrorBoundary area="slice strip">
          <SliceStrip
            api={api}
            jobId={job?.jobId ?? null}
            slices={state.slices}
            current={state.currentSlice}
            totalPixels={layout ? layout.width * layout.height : 0}
            previewFor={previewFor}
            varianceScale={varianceScale}
            onSelect={(slice) => dispatch({ type: 'selectSlice', slice })}
          />
        </ErrorBoundary>
        <div className="centre">
          {title && (
            <h1 className="stack-title" title={source?.kind === 'folder' ? source.path : undefined}>
              {title}
            </h1>
          )}
          {state.error && <ErrorBanner error={state.error} onDismiss={() => dispatch({ type: 'dismissError' })} />}
          {job && job.skipped.length > 0 && (
            <p className="notice">
              Skipped {job.skipped.length} file{job.skipped.length === 1 ? '' : 's'}: {job.skipped.map((s) => `${fileName(s.file)} (${s.reason})`).join('; ')}
            </p>
          )}
          <ErrorBoundary area="viewer">
            <Viewer
              state={state}
              dispatch={dispatch}
              api={api}
              viewport={viewport}
              onViewport={moveViewport}
              onStageSize={onStageSize}
              onFit={fit}
              onScale={(scale) => moveViewport((v) => scaleTo(v, scale))}
              onZoomStep={zoomStep}
              onPixel={onPixel}
              previewFor={previewFor}
              varianceScale={varianceScale}
              indexMap={indexMap}
              onCompareMethod={(chosen) => remerge(chosen, 'compare')}
            />
          </ErrorBoundary>
        </div>
        <ErrorBoundary area="focus panel">
          <FocusPanel slices={state.slices} current={state.currentSlice} profile={state.profile} onSelect={(slice) => dispatch({ type: 'selectSlice', slice })}>
            <AlignmentPanel
              alignment={state.summary?.alignment}
              done={job?.status === 'done'}
              current={state.currentSlice}
              onSelect={(slice) => dispatch({ type: 'selectSlice', slice })}
            />
          </FocusPanel>
        </ErrorBoundary>
      </div>
      <ProgressBar job={job} lastEventAt={lastEventAt.current} onCancel={cancel} />
      <Toasts toasts={state.toasts} onDismiss={dismissToast} />
      {browsing && <FolderBrowser api={api} onOpen={openFolder} onClose={() => setBrowsing(false)} />}
    </div>
  );
}
