// The renderer's state and every way it can change, as one reducer: what job is shown, how far it
// got, which slice and view the user looks at, and how heatmaps are drawn. Bulky data (focus
// previews, decoded index maps) lives outside, in refs keyed by job, so state stays cheap to copy.
import type { JobEvent, JobSummary, StackSource } from '../../../shared/api';
import type { ScaleMode } from '../../../shared/colour-scale';
import type { MergeMethod } from '../../../shared/options';
import type { PixelLayout, SkippedFile, StackPhase } from '../../../shared/types';
import type { ViewName } from '../keyboard';
import { jobFraction } from './job-progress';

export type Theme = 'dark' | 'light';

export interface SliceEntry {
  index: number;
  /** Undefined until the slice has been measured. */
  name?: string;
  meanVariance?: number;
  maxVariance?: number;
  /** Known once the job is done. */
  pixelsWon?: number;
  previewReady: boolean;
}

/** 'queued': waiting in the host's queue behind other jobs (a batch, say). */
export type JobStatus = 'queued' | 'running' | 'done' | 'error' | 'cancelled';

export interface JobState {
  jobId: string;
  source: StackSource;
  status: JobStatus;
  /** While queued: how many jobs are ahead of it. */
  position?: number;
  /** Set when the host let go of the finished result to make room for newer ones. */
  released?: boolean;
  phase: StackPhase;
  done: number;
  total: number;
  elapsedMs: number;
  /** Known from the 'started' event on. */
  layout: PixelLayout | null;
  skipped: SkippedFile[];
  /** Why the stack looks like a microscope z-stack (align 'auto' leaves those unaligned), from 'started'. */
  microscope?: string;
  /** The job runs the alignment pre-pass, which takes its share of the progress bar. */
  aligned: boolean;
  /** Aligned with 'auto', which skips the pre-pass for a microscope z-stack. */
  autoAlign?: boolean;
  /** The whole job's progress, 0..1 (job-progress.ts); it never goes back. */
  fraction: number;
}

/**
 * How the Heatmap view draws a slice. 'colour': viridis on the shared scale; 'overlay': the same
 * over the slice photo; 'inverted': the blog-style greyscale focus map (sharp = dark);
 * 'masked': the slice on white, showing only its in-focus areas.
 */
export type HeatmapStyle = 'colour' | 'overlay' | 'inverted' | 'masked';

/**
 * Which pixels count as in focus for the masked view. 'winner': the composite took the pixel from
 * this slice (exact, needs the finished index map); 'threshold': the slice's variance reaches a
 * fraction of the shared scale (available while the stack still runs, and shows overlap between
 * slices that 'winner' hides).
 */
export type MaskRule = 'winner' | 'threshold';

export interface HeatmapSettings {
  style: HeatmapStyle;
  scaleMode: ScaleMode;
  overlayOpacity: number;
  maskRule: MaskRule;
  /**
   * 0..1 on the shared scale as displayed (so it follows the linear/log choice and the colour
   * bar); 0.5 on the default log scale is 1% of the stack's maximum variance.
   */
  maskThreshold: number;
}

export interface PixelProfile {
  x: number;
  y: number;
  values: number[];
  winner: number;
}

export interface Toast {
  id: number;
  message: string;
  tone: 'info' | 'error';
}

export interface EngineError {
  message: string;
  file?: string;
}

export interface AppState {
  theme: Theme;
  job: JobState | null;
  summary: JobSummary | null;
  slices: SliceEntry[];
  /** Largest maxVariance reported so far, until the summary gives the final one. */
  reportedMaxVariance: number;
  currentSlice: number;
  view: ViewName;
  /**
   * The view was chosen by the app, not the user: a run starts on the heatmaps (the composite does
   * not exist yet) and moves to the composite when done, unless the user picked a view meanwhile.
   */
  viewChosenByApp: boolean;
  /** Second view of the split view, or null when the viewer shows one view. */
  splitView: ViewName | null;
  /**
   * The view wiped in over the main one (a before/after slider on one stage), or null. The wipe
   * and the split view are two ways to compare, one at a time.
   */
  wipeView: ViewName | null;
  /**
   * The merge method whose composite and depth the left (or only) stage shows, and the one the
   * right stage shows: both come from remerge() on the finished job, so comparing methods side by
   * side never measures focus again. Null: the method the job was stacked with.
   */
  shownMethod: MergeMethod | null;
  compareMethod: MergeMethod | null;
  heatmap: HeatmapSettings;
  profile: PixelProfile | null;
  error: EngineError | null;
  toasts: Toast[];
  nextToastId: number;
}

export const initialState: AppState = {
  theme: 'dark',
  job: null,
  summary: null,
  slices: [],
  reportedMaxVariance: 0,
  currentSlice: 0,
  view: 'composite',
  viewChosenByApp: true,
  splitView: null,
  wipeView: null,
  shownMethod: null,
  compareMethod: null,
  // Log by default: local variance is heavy-tailed (a few edges dwarf everything else), so on a
  // linear scale most of every heatmap is the bottom colour.
  heatmap: { style: 'colour', scaleMode: 'log', overlayOpacity: 0.6, maskRule: 'winner', maskThreshold: 0.5 },
  profile: null,
  error: null,
  toasts: [],
  nextToastId: 1,
};

export type Action =
  | { type: 'jobStarted'; jobId: string; source: StackSource; aligned: boolean; autoAlign?: boolean }
  /** A job that finished earlier (a row of the batch queue) is shown with its summary. */
  | { type: 'jobShown'; summary: JobSummary; aligned: boolean }
  | { type: 'jobEvent'; event: JobEvent }
  | { type: 'previewLoaded'; jobId: string; slice: number }
  | { type: 'selectSlice'; slice: number }
  | { type: 'stepSlice'; delta: number }
  | { type: 'showView'; view: ViewName }
  | { type: 'setSplitView'; view: ViewName | null }
  | { type: 'setWipeView'; view: ViewName | null }
  | { type: 'setHeatmap'; settings: Partial<HeatmapSettings> }
  | { type: 'profileLoaded'; profile: PixelProfile }
  | { type: 'failed'; error: EngineError }
  | { type: 'dismissError' }
  | { type: 'toast'; message: string; tone?: Toast['tone'] }
  | { type: 'dismissToast'; id: number }
  | { type: 'setTheme'; theme: Theme }
  /** The finished job now also exists merged with `method`; `side` says which stage shows it. */
  | { type: 'remerged'; jobId: string; method: MergeMethod; side: 'main' | 'compare'; pixelsWon: number[] };

function withSlice(slices: SliceEntry[], total: number, entry: Partial<SliceEntry> & { index: number }): SliceEntry[] {
  const length = Math.max(slices.length, total, entry.index + 1);
  const next: SliceEntry[] = [];
  for (let i = 0; i < length; i++) next.push(slices[i] ?? { index: i, previewReady: false });
  next[entry.index] = { ...next[entry.index], ...entry };
  return next;
}

function applyJobEvent(state: AppState, event: JobEvent): AppState {
  const job = state.job;
  // Events of an earlier job (a cancelled run still winding down) must not touch the new one.
  if (!job || event.jobId !== job.jobId) return state;
  switch (event.type) {
    case 'queued':
      // Position 0: it runs at once, and its first progress event follows.
      return event.position > 0 ? { ...state, job: { ...job, status: 'queued', position: event.position } } : state;
    case 'released':
      return { ...state, job: { ...job, released: true } };
    case 'started': {
      const slices = event.slices.map((slice) => ({ ...state.slices[slice.index], index: slice.index, name: slice.name, previewReady: false }));
      const aligned = job.aligned && !(job.autoAlign && event.microscope);
      return { ...state, job: { ...job, status: 'running', position: undefined, total: slices.length, layout: event.layout, skipped: event.skipped, microscope: event.microscope, aligned }, slices };
    }
    case 'progress': {
      const next: AppState = {
        ...state,
        job: {
          ...job,
          status: 'running',
          position: undefined,
          phase: event.phase,
          done: event.done,
          total: event.total,
          elapsedMs: event.elapsedMs,
          fraction: Math.max(job.fraction, jobFraction(event.phase, event.done, event.total, job.aligned)),
        },
      };
      if (!event.slice) {
        if (state.slices.length < event.total) next.slices = withSlice(state.slices, event.total, { index: 0 });
        return next;
      }
      const { index, name, meanVariance, maxVariance } = event.slice;
      next.slices = withSlice(state.slices, event.total, { index, name, meanVariance, maxVariance });
      next.reportedMaxVariance = Math.max(state.reportedMaxVariance, maxVariance);
      return next;
    }
    case 'done':
      return withSummary(state, job, event.summary);
    case 'error':
      return { ...state, job: { ...job, status: 'error' }, error: { message: event.message, file: event.file } };
    case 'cancelled':
      return { ...state, job: { ...job, status: 'cancelled' } };
  }
}

/** The state of a finished job whose summary has arrived. */
function withSummary(state: AppState, job: JobState, summary: JobSummary): AppState {
  const slices: SliceEntry[] = summary.slices.map((slice) => {
    const stats = summary.stats.find((s) => s.index === slice.index);
    return {
      index: slice.index,
      name: slice.name,
      meanVariance: stats?.meanVariance,
      maxVariance: stats?.maxVariance,
      pixelsWon: stats?.pixelsWon,
      previewReady: state.slices[slice.index]?.previewReady ?? false,
    };
  });
  return {
    ...state,
    job: {
      ...job,
      status: 'done',
      done: summary.slices.length,
      total: summary.slices.length,
      elapsedMs: summary.timings.totalMs,
      fraction: 1,
      layout: summary.layout,
      skipped: summary.skipped,
    },
    summary,
    slices,
    reportedMaxVariance: summary.maxVariance,
    view: state.viewChosenByApp ? 'composite' : state.view,
    currentSlice: Math.min(state.currentSlice, Math.max(0, slices.length - 1)),
  };
}

function addToast(state: AppState, message: string, tone: Toast['tone']): AppState {
  // Five at once is plenty; the oldest has been on screen longest.
  const toasts = [...state.toasts, { id: state.nextToastId, message, tone }].slice(-5);
  return { ...state, toasts, nextToastId: state.nextToastId + 1 };
}

export function reducer(state: AppState, action: Action): AppState {
  switch (action.type) {
    case 'jobStarted':
      return {
        ...state,
        job: { jobId: action.jobId, source: action.source, status: 'running', phase: 'probe', done: 0, total: 0, elapsedMs: 0, layout: null, skipped: [], aligned: action.aligned, autoAlign: action.autoAlign, fraction: 0 },
        summary: null,
        slices: [],
        reportedMaxVariance: 0,
        currentSlice: 0,
        shownMethod: null,
        compareMethod: null,
        profile: null,
        error: null,
        view: state.viewChosenByApp || state.view === 'composite' || state.view === 'depth' ? 'heatmap' : state.view,
        viewChosenByApp: state.viewChosenByApp || state.view === 'composite' || state.view === 'depth',
      };
    case 'jobEvent':
      return applyJobEvent(state, action.event);
    case 'jobShown': {
      const started = reducer(state, { type: 'jobStarted', jobId: action.summary.jobId, source: action.summary.source, aligned: action.aligned });
      return withSummary({ ...started, view: 'composite', viewChosenByApp: true }, started.job!, action.summary);
    }
    case 'previewLoaded':
      if (state.job?.jobId !== action.jobId) return state;
      return { ...state, slices: withSlice(state.slices, 0, { index: action.slice, previewReady: true }) };
    case 'selectSlice':
      if (action.slice < 0 || action.slice >= state.slices.length) return state;
      return { ...state, currentSlice: action.slice };
    case 'stepSlice': {
      if (state.slices.length === 0) return state;
      const slice = Math.min(state.slices.length - 1, Math.max(0, state.currentSlice + action.delta));
      return { ...state, currentSlice: slice };
    }
    case 'showView':
      return { ...state, view: action.view, viewChosenByApp: false };
    case 'setSplitView':
      return { ...state, splitView: action.view, wipeView: action.view ? null : state.wipeView };
    case 'setWipeView':
      return { ...state, wipeView: action.view, splitView: action.view ? null : state.splitView };
    case 'setHeatmap':
      return { ...state, heatmap: { ...state.heatmap, ...action.settings } };
    case 'profileLoaded':
      return { ...state, profile: action.profile };
    case 'failed':
      return { ...state, error: action.error };
    case 'dismissError':
      return { ...state, error: null };
    case 'toast':
      return addToast(state, action.message, action.tone ?? 'info');
    case 'dismissToast':
      return { ...state, toasts: state.toasts.filter((t) => t.id !== action.id) };
    case 'setTheme':
      return { ...state, theme: action.theme };
    case 'remerged': {
      if (state.job?.jobId !== action.jobId) return state;
      if (action.side === 'compare') return { ...state, compareMethod: action.method };
      // The strip's shares of pixels won follow the method on show.
      const slices = state.slices.map((s) => ({ ...s, pixelsWon: action.pixelsWon[s.index] ?? s.pixelsWon }));
      return { ...state, shownMethod: action.method, slices };
    }
  }
}
