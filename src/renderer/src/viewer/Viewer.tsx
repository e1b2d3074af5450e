// The main viewer: view tabs, zoom controls, one or two stages sharing one viewport, and the
// view's key (heatmap colour bar, depth legend).
import { useRef, useState, type KeyboardEvent } from 'react';
import type { DeepfieldApi } from '../../../shared/api';
import type { VarianceScale } from '../../../shared/colour-scale';
import { MERGE_METHODS, type MergeMethod } from '../../../shared/options';
import type { FocusPreview } from '../../../shared/types';
import { RetouchPanel } from '../components/RetouchPanel';
import { ColourBar } from '../heatmap/ColourBar';
import type { RetouchControls } from '../hooks/use-retouch';
import { VIEW_ORDER, type ViewName } from '../keyboard';
import { formatScore } from '../format';
import type { Action, AppState, HeatmapSettings, JobStatus } from '../state/app-state';
import { ConfidenceLegend } from './ConfidenceLegend';
import { DepthLegend, type ZStep } from './DepthLegend';
import { DisplayControls } from './DisplayControls';
import { IDENTITY_WINDOW, isIdentity, scaleBarLength, windowTable, type DisplayWindow } from './display';
import { Stage } from './Stage';
import { ViewLayers, viewPlaceholder, type DecodedIndexMap } from './ViewLayers';
import type { Point, Size, Viewport } from './viewport';

export const VIEW_LABELS: Record<ViewName, string> = { slice: 'Slice', heatmap: 'Heatmap', composite: 'Composite', depth: 'Depth', confidence: 'Confidence' };

export interface ViewerProps {
  state: AppState;
  dispatch: (action: Action) => void;
  api: DeepfieldApi;
  viewport: Viewport;
  onViewport: (update: (viewport: Viewport) => Viewport) => void;
  onStageSize: (size: Size) => void;
  onFit: () => void;
  onScale: (scale: number) => void;
  onZoomStep: (direction: 'in' | 'out') => void;
  onPixel: (pixel: Point) => void;
  previewFor: (slice: number) => FocusPreview | undefined;
  varianceScale: VarianceScale;
  indexMap: DecodedIndexMap | null;
  /** Picks the right-hand stage's merge method (the caller re-merges, then shows it). */
  onCompareMethod: (method: MergeMethod) => void;
  retouch: RetouchControls;
  /** The distance between slices when known: the depth legend then reads in µm. */
  zStep?: ZStep | null;
}

/** The slice whose focus profile peaks at the clicked pixel: what retouching there should paint from. */
function sharpestAt(profile: AppState['profile']): { slice: number; x: number; y: number } | null {
  if (!profile || profile.values.length === 0) return null;
  let best = 0;
  profile.values.forEach((v, k) => {
    if (v > profile.values[best]) best = k;
  });
  return { slice: best, x: profile.x, y: profile.y };
}

/** A bar of a round length in micrometres at the current zoom, bottom left of the view. */
function ScaleBar({ micronsPerPixel, scale }: { micronsPerPixel: number; scale: number }) {
  const perScreenPixel = micronsPerPixel / scale;
  const length = scaleBarLength(perScreenPixel);
  const text = length >= 1000 ? `${Number((length / 1000).toPrecision(3))} mm` : `${Number(length.toPrecision(3))} µm`;
  return (
    <div className="scale-bar" role="img" aria-label={`Scale bar: ${text}`}>
      <div style={{ width: length / perScreenPixel }} />
      {text}
    </div>
  );
}

/** Picks the compared view (split view's right side, or the view wiped in). */
function ViewSelect({ label, value, onChange }: { label: string; value: ViewName; onChange: (view: ViewName) => void }) {
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value as ViewName)}>
      {VIEW_ORDER.map((view) => (
        <option key={view} value={view}>
          {VIEW_LABELS[view]}
        </option>
      ))}
    </select>
  );
}

function emptyStageText(status: JobStatus | undefined): string {
  switch (status) {
    case 'running':
      return 'Reading the stack…';
    case 'error':
      return 'Nothing to show: the stack stopped with the error above.';
    case 'cancelled':
      return 'Cancelled before any slice was read.';
    default:
      return 'Open a folder of focus slices, drop one here, or try the demo stack.';
  }
}

function HeatmapControls({
  settings,
  dispatch,
  winnerAvailable,
  varianceScale,
}: {
  settings: HeatmapSettings;
  dispatch: (action: Action) => void;
  winnerAvailable: boolean;
  varianceScale: VarianceScale;
}) {
  const set = (partial: Partial<HeatmapSettings>) => dispatch({ type: 'setHeatmap', settings: partial });
  return (
    <div className="heatmap-controls" role="group" aria-label="Heatmap settings">
      <label>
        Style
        <select aria-label="Heatmap style" value={settings.style} onChange={(e) => set({ style: e.target.value as HeatmapSettings['style'] })}>
          <option value="colour">Colour map (viridis)</option>
          <option value="overlay">Overlay on slice</option>
          <option value="inverted">Inverted grey focus map</option>
          <option value="masked">In-focus areas on white</option>
        </select>
      </label>
      <label>
        Scale
        <select aria-label="Heatmap scale" value={settings.scaleMode} onChange={(e) => set({ scaleMode: e.target.value as HeatmapSettings['scaleMode'] })}>
          <option value="linear">Linear</option>
          <option value="log">Log</option>
        </select>
      </label>
      {settings.style === 'overlay' && (
        <label>
          Opacity
          <input
            type="range"
            aria-label="Overlay opacity"
            min={0}
            max={1}
            step={0.05}
            value={settings.overlayOpacity}
            onChange={(e) => set({ overlayOpacity: Number(e.target.value) })}
          />
        </label>
      )}
      {settings.style === 'masked' && (
        <>
          <label>
            In focus where
            <select aria-label="In-focus rule" value={settings.maskRule} onChange={(e) => set({ maskRule: e.target.value as HeatmapSettings['maskRule'] })}>
              <option value="winner">{winnerAvailable ? 'this slice won the pixel' : 'this slice won the pixel (when done)'}</option>
              <option value="threshold">variance above threshold</option>
            </select>
          </label>
          {(settings.maskRule === 'threshold' || !winnerAvailable) && (
            <label>
              Threshold
              <input
                type="range"
                aria-label="Focus threshold"
                min={0}
                max={1}
                step={0.01}
                value={settings.maskThreshold}
                onChange={(e) => set({ maskThreshold: Number(e.target.value) })}
              />
              <output aria-label="Threshold variance">≥ {formatScore(varianceScale.fromUnit(settings.maskThreshold))}</output>
            </label>
          )}
        </>
      )}
    </div>
  );
}

export function Viewer(props: ViewerProps) {
  const { state, dispatch, api, viewport, varianceScale } = props;
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);
  /** Where the wipe's divider is, 0..1 of the stage's width. */
  const [wipePosition, setWipePosition] = useState(0.5);
  const [displayWindow, setDisplayWindow] = useState<DisplayWindow>(IDENTITY_WINDOW);
  /** Micrometres per pixel as typed; a scale bar is drawn when it is a positive number. */
  const [pixelSize, setPixelSize] = useState('');
  const job = state.job;
  const layout = job?.layout ?? state.summary?.layout ?? null;

  const onTabKey = (event: KeyboardEvent, index: number) => {
    // The ARIA tabs pattern: arrows move between tabs and select them.
    let next = -1;
    if (event.key === 'ArrowRight') next = (index + 1) % VIEW_ORDER.length;
    else if (event.key === 'ArrowLeft') next = (index + VIEW_ORDER.length - 1) % VIEW_ORDER.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = VIEW_ORDER.length - 1;
    if (next < 0) return;
    event.preventDefault();
    dispatch({ type: 'showView', view: VIEW_ORDER[next] });
    tabRefs.current[next]?.focus();
  };

  const views: ViewName[] = state.splitView ? [state.view, state.splitView] : [state.view];
  /** Every view on screen, the wiped-in one included: their keys (colour bar, legends) are shown. */
  const onScreen = state.wipeView ? [...views, state.wipeView] : views;
  const showsHeatmap = onScreen.includes('heatmap');
  const slice = state.currentSlice;
  const sliceEntry = state.slices[slice];

  // Index 1 is the compared side: the split view's right stage or the view wiped in.
  const methodOf = (i: number) => (i === 1 ? (state.compareMethod ?? state.shownMethod) : state.shownMethod) ?? state.summary?.method;
  const captionOf = (view: ViewName, i: number) => `${VIEW_LABELS[view]}${(view === 'composite' || view === 'depth') && methodOf(i) ? ` · ${methodOf(i)}` : ''}`;
  const layersOf = (view: ViewName, i: number) =>
    job && layout ? (
      <ViewLayers
        view={view}
        api={api}
        jobId={job.jobId}
        natural={layout}
        scale={viewport.scale}
        slice={slice}
        heatmap={state.heatmap}
        preview={props.previewFor(slice)}
        varianceScale={varianceScale}
        indexMap={props.indexMap}
        method={(i === 1 ? (state.compareMethod ?? state.shownMethod) : state.shownMethod) ?? undefined}
        retouch={props.retouch.shownRevision}
        windowed={!isIdentity(displayWindow)}
      />
    ) : null;
  const wipe = state.wipeView && job?.status === 'done' ? { children: layersOf(state.wipeView, 1), position: wipePosition, caption: captionOf(state.wipeView, 1) } : undefined;
  const compared = state.splitView ?? state.wipeView;
  const stages =
    job && layout ? (
      views.map((view, i) => (
        <Stage
          caption={state.splitView || wipe ? captionOf(view, i) : undefined}
          key={`${i}-${view}`}
          label={`${VIEW_LABELS[view]} view`}
          natural={layout}
          viewport={viewport}
          onViewport={props.onViewport}
          onSize={props.onStageSize}
          onPixel={props.onPixel}
          marker={state.profile ? { x: state.profile.x, y: state.profile.y } : null}
          paint={props.retouch.active && (view === 'composite' || view === 'depth') ? { size: props.retouch.brush.size, onStroke: (points) => props.retouch.paint(points, slice) } : null}
          placeholder={viewPlaceholder(view, {
            sliceKnown: sliceEntry?.name !== undefined,
            jobDone: job.status === 'done',
            hasPreview: props.previewFor(slice) !== undefined,
          })}
          wipe={i === 0 ? wipe : undefined}
        >
          {layersOf(view, i)}
        </Stage>
      ))
    ) : (
      <div className="stage empty">
        <p>{emptyStageText(job?.status)}</p>
      </div>
    );

  return (
    <main className="viewer">
      <div className="viewer-bar">
        <div role="tablist" aria-label="Views">
          {VIEW_ORDER.map((view, index) => (
            <button
              key={view}
              ref={(element) => {
                tabRefs.current[index] = element;
              }}
              role="tab"
              id={`tab-${view}`}
              aria-selected={state.view === view}
              aria-controls="view-panel"
              tabIndex={state.view === view ? 0 : -1}
              title={`${VIEW_LABELS[view]} (${index + 1})`}
              onClick={() => dispatch({ type: 'showView', view })}
              onKeyDown={(event) => onTabKey(event, index)}
            >
              {VIEW_LABELS[view]}
            </button>
          ))}
        </div>
        <div className="zoom-controls" role="group" aria-label="Zoom">
          <button type="button" onClick={props.onFit} title="Fit (F)">
            Fit
          </button>
          <button type="button" onClick={() => props.onScale(1)} title="100% (0)">
            100%
          </button>
          <button type="button" onClick={() => props.onScale(2)}>
            200%
          </button>
          <button type="button" aria-label="Zoom out" title="Zoom out (-)" onClick={() => props.onZoomStep('out')}>
            −
          </button>
          <button type="button" aria-label="Zoom in" title="Zoom in (+)" onClick={() => props.onZoomStep('in')}>
            +
          </button>
          <output aria-label="Zoom level">{Math.round(viewport.scale * 100)}%</output>
        </div>
        <label className="split-toggle">
          <input
            type="checkbox"
            checked={state.splitView !== null}
            onChange={(e) => dispatch({ type: 'setSplitView', view: e.target.checked ? (state.view === 'composite' ? 'slice' : 'composite') : null })}
          />
          Split view
        </label>
        {state.splitView && (
          <label>
            Right
            <ViewSelect label="Right-hand view" value={state.splitView} onChange={(view) => dispatch({ type: 'setSplitView', view })} />
          </label>
        )}
        <label className="split-toggle" title="Before and after on one image: a second view wiped in from the right">
          <input
            type="checkbox"
            checked={state.wipeView !== null}
            onChange={(e) => dispatch({ type: 'setWipeView', view: e.target.checked ? (state.view === 'composite' ? 'slice' : 'composite') : null })}
          />
          Wipe
        </label>
        {state.wipeView && (
          <>
            <label>
              with
              <ViewSelect label="Wipe view" value={state.wipeView} onChange={(view) => dispatch({ type: 'setWipeView', view })} />
            </label>
            <input
              className="wipe-position"
              type="range"
              aria-label="Wipe position"
              min={0}
              max={1}
              step={0.01}
              value={wipePosition}
              onChange={(e) => setWipePosition(Number(e.target.value))}
            />
          </>
        )}
        {compared && (compared === 'composite' || compared === 'depth') && job?.status === 'done' && (
          <label title="Merge the same focus maps with another method and show it on the right: no new focus pass">
            Right method
            <select
              aria-label="Right-hand method"
              value={state.compareMethod ?? state.shownMethod ?? state.summary?.method ?? 'argmax'}
              onChange={(e) => props.onCompareMethod(e.target.value as MergeMethod)}
            >
              {MERGE_METHODS.map((method) => (
                <option key={method}>{method}</option>
              ))}
            </select>
          </label>
        )}
        {job?.status === 'done' && (views.includes('composite') || views.includes('depth')) && (
          <RetouchPanel
            retouch={props.retouch}
            slices={state.summary?.slices ?? []}
            source={slice}
            offered={sharpestAt(state.profile)}
            onSource={(k) => dispatch({ type: 'selectSlice', slice: k })}
          />
        )}
        {job && (state.view === 'slice' || state.view === 'composite') && (
          <DisplayControls
            window={displayWindow}
            onWindow={setDisplayWindow}
            histogramUrl={
              state.view === 'slice'
                ? sliceEntry?.name
                  ? api.imageUrl(job.jobId, 'slice', { slice, maxSize: 256, format: 'png' })
                  : null
                : job.status === 'done'
                  ? api.imageUrl(job.jobId, 'composite', { maxSize: 256, format: 'png', ...(state.shownMethod ? { method: state.shownMethod } : {}) })
                  : null
            }
            pixelSize={pixelSize}
            onPixelSize={setPixelSize}
          />
        )}
        {showsHeatmap && (
          <HeatmapControls settings={state.heatmap} dispatch={dispatch} winnerAvailable={props.indexMap !== null} varianceScale={varianceScale} />
        )}
      </div>
      <div id="view-panel" role="tabpanel" aria-labelledby={`tab-${state.view}`} className={state.splitView ? 'stages split' : 'stages'}>
        {stages}
        {Number(pixelSize) > 0 && layout && <ScaleBar micronsPerPixel={Number(pixelSize)} scale={viewport.scale} />}
      </div>
      {!isIdentity(displayWindow) && (
        <svg className="filters" width="0" height="0" aria-hidden="true">
          <filter id="display-window" colorInterpolationFilters="sRGB">
            <feComponentTransfer>
              {(['feFuncR', 'feFuncG', 'feFuncB'] as const).map((Func) => (
                <Func key={Func} type="table" tableValues={windowTable(displayWindow).join(' ')} />
              ))}
            </feComponentTransfer>
          </filter>
        </svg>
      )}
      <div className="viewer-key">
        {showsHeatmap && varianceScale.max > 0 && (state.heatmap.style === 'colour' || state.heatmap.style === 'overlay' || state.heatmap.style === 'inverted') && (
          <ColourBar scale={varianceScale} inverted={state.heatmap.style === 'inverted'} />
        )}
        {onScreen.includes('depth') && state.summary && <DepthLegend sliceCount={state.summary.slices.length} zStep={props.zStep} />}
        {onScreen.includes('confidence') && <ConfidenceLegend />}
        {job && layout && (
          <span className="image-info">
            {onScreen.includes('slice') || onScreen.includes('heatmap') ? `Slice ${slice + 1}${sliceEntry?.name ? `: ${sliceEntry.name}` : ''} · ` : ''}
            {layout.width}×{layout.height}, {layout.bitDepth}-bit
          </span>
        )}
      </div>
    </main>
  );
}
