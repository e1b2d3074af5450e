// One stacking job at a time, from Run to its finished summary: starts it with the toolbar's
// options, follows its events, fetches each measured slice's focus preview and, once done, the
// index map; cancels, re-merges with another method and asks for a pixel's focus profile.
// Bulky data (previews, the decoded index map) lives here in refs and state, keyed by job, so the
// reducer's state stays cheap to copy.
import { useCallback, useEffect, useMemo, useRef, useState, type Dispatch, type MutableRefObject } from 'react';
import type { DeepfieldApi, JobEvent, JobSummary, SliceRange, StackSource } from '../../../shared/api';
import { createVarianceScale, type VarianceScale } from '../../../shared/colour-scale';
import { parseStackOptions, type MergeMethod, type StackOptionsInput } from '../../../shared/options';
import type { FocusPreview } from '../../../shared/types';
import type { StackFields } from '../components/Toolbar';
import { decodeIndexImage, maxOverPreviews } from '../heatmap/paint';
import { rangeForFolder, type Settings } from '../settings';
import type { Action, AppState } from '../state/app-state';
import { imagePixels } from '../viewer/image-pixels';
import type { DecodedIndexMap } from '../viewer/ViewLayers';
import type { Point } from '../viewer/viewport';
import { describeError } from './describe-error';

/** The index map is only needed for the in-focus mask, which is drawn at preview resolution. */
const INDEX_MAP_SIZE = 1024;

/** The alignment fields as stack options; a typed reference is 1-based, the engine's 0-based. */
export function alignOptions(fields: StackFields): { align: StackFields['align']; reference?: number; brightness: boolean; keepSize: boolean } {
  const reference = fields.reference.trim();
  const n = Number(reference);
  if (reference !== '' && !(Number.isInteger(n) && n >= 1)) {
    throw new Error(`Expected a slice number from 1 for reference slice but received ${JSON.stringify(reference)}`);
  }
  return { align: fields.align, ...(reference === '' ? {} : { reference: n - 1 }), brightness: fields.brightness, keepSize: fields.keepSize };
}

/**
 * Reads the host's 8-bit 'index' image into slice numbers; null where pixels cannot be read (the
 * masked view then falls back to the threshold rule).
 */
async function loadIndexMap(url: string, sliceCount: number): Promise<DecodedIndexMap | null> {
  const pixels = await imagePixels(url);
  return pixels && { width: pixels.width, height: pixels.height, indexMap: decodeIndexImage(pixels.data, sliceCount) };
}

/** Sigma as typed, as the stack options' number; throws a message in the user's words when it is not one. */
export function sigmaFrom(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const sigma = Number(trimmed);
  const problem = Number.isNaN(sigma) ? `"${trimmed}" is not a number` : null;
  try {
    if (problem === null) return parseStackOptions({ sigma }).sigma;
  } catch {
    // The schema's own message is for developers; the toolbar says what to type.
  }
  throw new Error(`Sigma is the size of the focus measure in pixels: type a number such as 2 or 1.5 (${problem ?? `${trimmed} is too ${sigma > 2 ? 'large' : 'small'}`}).`);
}

/** A job that has not ended: running, or waiting in the host's queue. */
function unfinished(job: AppState['job']): boolean {
  return job?.status === 'running' || job?.status === 'queued';
}

/**
 * The options Run reads from the toolbar, each checked where it was typed: sigma and method, then
 * alignment and the slice range. A refusal is kept beside its field and Run stops (null).
 */
function useRunFields(settings: Settings, updateSettings: (partial: Partial<Settings>) => void) {
  const [sigmaError, setSigmaError] = useState<string | null>(null);
  const [fieldsError, setFieldsError] = useState<string | null>(null);
  const readFields = useCallback(
    (stackSource: StackSource): { options: StackOptionsInput; range?: SliceRange } | null => {
      let options;
      try {
        options = parseStackOptions({ sigma: sigmaFrom(settings.sigma), method: settings.method });
        setSigmaError(null);
      } catch (error) {
        setSigmaError(describeError(error));
        return null;
      }
      try {
        const aligned = alignOptions(settings);
        let range;
        if (stackSource.kind === 'folder') {
          const forFolder = rangeForFolder(settings, stackSource.path);
          range = forFolder.range;
          // A range typed for another folder is dropped, not applied to this one (issue 17).
          if (forFolder.forget) updateSettings({ rangeFrom: '', rangeTo: '', rangeFolder: '' });
          else if (range && settings.rangeFolder !== stackSource.path) updateSettings({ rangeFolder: stackSource.path });
        }
        setFieldsError(null);
        return { options: { sigma: options.sigma, method: options.method, ...aligned, rawColour: settings.rawColour }, range };
      } catch (error) {
        setFieldsError(describeError(error));
        return null;
      }
    },
    [settings, updateSettings],
  );
  const clearFieldsError = useCallback(() => setFieldsError(null), []);
  return { readFields, sigmaError, fieldsError, clearFieldsError };
}

/**
 * Each measured slice's focus preview for the shown job, fetched as its slice is measured, and the
 * one colour scale every heatmap is painted on.
 */
function useFocusPreviews(api: DeepfieldApi, dispatch: Dispatch<Action>, state: AppState, jobIdRef: MutableRefObject<string | null>) {
  const previews = useRef(new Map<number, FocusPreview>());
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
    [api, dispatch, jobIdRef],
  );
  /** A finished job's slices whose previews did not arrive while it ran (or a job shown from the queue). */
  const fetchMissing = useCallback(
    (summary: JobSummary) => {
      for (const slice of summary.slices) if (!previews.current.has(slice.index)) fetchPreview(summary.jobId, slice.index);
    },
    [fetchPreview],
  );
  const forget = useCallback(() => {
    previews.current = new Map();
  }, []);

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
  return { fetchPreview, fetchMissing, forget, varianceScale, previewFor };
}

/**
 * Follows the shown job's events. startStack may answer after the new job's first events, so
 * between asking and the answer every event is held, and those of the new job are replayed once
 * its id is known.
 */
function useShownJobEvents(api: DeepfieldApi, jobIdRef: MutableRefObject<string | null>, onEvent: (event: JobEvent) => void) {
  const pendingEvents = useRef<JobEvent[] | null>(null);
  const lastEventAt = useRef(Date.now());
  const handleEvent = useCallback(
    (event: JobEvent) => {
      if (jobIdRef.current === null || event.jobId !== jobIdRef.current) {
        pendingEvents.current?.push(event);
        return;
      }
      lastEventAt.current = Date.now();
      onEvent(event);
    },
    [jobIdRef, onEvent],
  );
  useEffect(() => api.onJobEvent(handleEvent), [api, handleEvent]);
  return useMemo(
    () => ({
      lastEventAt,
      /** Before startStack: no job is shown, and events are held until its answer. */
      awaitNewJob: () => {
        jobIdRef.current = null;
        pendingEvents.current = [];
      },
      /** startStack answered: `jobId` is shown and its early events are replayed. */
      follow: (jobId: string) => {
        jobIdRef.current = jobId;
        lastEventAt.current = Date.now();
        const early = pendingEvents.current ?? [];
        pendingEvents.current = null;
        early.filter((event) => event.jobId === jobId).forEach(handleEvent);
      },
      /** Nothing to wait for (startStack failed, or an earlier job is shown). */
      stopHolding: () => {
        pendingEvents.current = null;
      },
    }),
    [jobIdRef, handleEvent],
  );
}

/** What can be asked of a finished job: another merge method, a pixel's focus profile. */
function useFinishedJobActions(api: DeepfieldApi, dispatch: Dispatch<Action>, job: AppState['job'], jobIdRef: MutableRefObject<string | null>) {
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

  const pickPixel = (pixel: Point) => {
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
  return { remerge, pickPixel };
}

export interface JobControls {
  /** The stack Run re-runs: the folder or demo last started. */
  source: StackSource | null;
  run: (source: StackSource) => Promise<void>;
  /** Shows a job that finished earlier (a row of the batch queue) as if it had just been run. */
  show: (jobId: string) => Promise<void>;
  cancel: () => void;
  /** Re-merges the finished job with `method` (no new focus pass, no progress run) and shows it. */
  remerge: (method: MergeMethod, side: 'main' | 'compare') => void;
  /** Asks for the focus profile of a pixel of the finished job. */
  pickPixel: (pixel: Point) => void;
  sigmaError: string | null;
  fieldsError: string | null;
  clearFieldsError: () => void;
  /** When the last event of the running job arrived: the progress clock ticks on from there. */
  lastEventAt: number;
  previewFor: (slice: number) => FocusPreview | undefined;
  /** The one shared scale every heatmap is painted on. */
  varianceScale: VarianceScale;
  indexMap: DecodedIndexMap | null;
}

export interface JobInputs {
  api: DeepfieldApi;
  state: AppState;
  dispatch: Dispatch<Action>;
  settings: Settings;
  /** The folder a typed range belongs to is kept in the settings. */
  updateSettings: (partial: Partial<Settings>) => void;
  /** Called once a job's summary has arrived (the recent stacks change). */
  onFinished: () => void;
}

/** The index map of the job on show, read once it is done; only the in-focus mask needs it. */
function useIndexMap(api: DeepfieldApi, jobIdRef: MutableRefObject<string | null>) {
  const [indexMap, setIndexMap] = useState<DecodedIndexMap | null>(null);
  const load = useCallback(
    (summary: JobSummary) => {
      loadIndexMap(api.imageUrl(summary.jobId, 'index', { maxSize: INDEX_MAP_SIZE }), summary.slices.length).then((decoded) => {
        if (jobIdRef.current === summary.jobId) setIndexMap(decoded);
      });
    },
    [api, jobIdRef],
  );
  const clear = useCallback(() => setIndexMap(null), []);
  return { indexMap, load, clear };
}

export function useJob({ api, state, dispatch, settings, updateSettings, onFinished: onJobFinished }: JobInputs): JobControls {
  const [source, setSource] = useState<StackSource | null>(null);
  /** The job on show; results of any other job that arrive late are dropped. */
  const jobIdRef = useRef<string | null>(null);
  const job = state.job;
  const { readFields, sigmaError, fieldsError, clearFieldsError } = useRunFields(settings, updateSettings);
  const previews = useFocusPreviews(api, dispatch, state, jobIdRef);
  const { remerge, pickPixel } = useFinishedJobActions(api, dispatch, job, jobIdRef);
  const indexMap = useIndexMap(api, jobIdRef);

  const onFinished = useCallback(
    (summary: JobSummary) => {
      previews.fetchMissing(summary);
      indexMap.load(summary);
      onJobFinished();
    },
    [previews.fetchMissing, indexMap.load, onJobFinished],
  );

  const onEvent = useCallback(
    (event: JobEvent) => {
      dispatch({ type: 'jobEvent', event });
      if (event.type === 'progress' && event.slice) previews.fetchPreview(event.jobId, event.slice.index);
      if (event.type === 'done') onFinished(event.summary);
      if (event.type === 'released') dispatch({ type: 'toast', message: 'The stack on show was let go to make room for newer results: Run it again to zoom or export.', tone: 'error' });
    },
    [dispatch, previews.fetchPreview, onFinished],
  );
  const events = useShownJobEvents(api, jobIdRef, onEvent);

  const run = useCallback(
    async (stackSource: StackSource) => {
      // The stack is the open one even when its options are refused, so Run works once they are fixed.
      setSource(stackSource);
      const read = readFields(stackSource);
      if (!read) return;
      const previous = jobIdRef.current;
      if (previous && unfinished(job)) api.cancel(previous).catch(() => undefined);
      events.awaitNewJob();
      previews.forget();
      indexMap.clear();
      try {
        const { jobId } = await api.startStack(stackSource, read.options, read.range);
        dispatch({ type: 'jobStarted', jobId, source: stackSource, aligned: read.options.align !== 'off', autoAlign: read.options.align === 'auto' });
        events.follow(jobId);
      } catch (error) {
        events.stopHolding();
        dispatch({ type: 'failed', error: { message: describeError(error), file: stackSource.kind === 'folder' ? stackSource.path : undefined } });
      }
    },
    [api, dispatch, readFields, job?.status, events, previews.forget, indexMap.clear],
  );

  const show = useCallback(
    async (jobId: string) => {
      try {
        const summary = await api.jobSummary(jobId);
        // A stack still running from the toolbar goes on (it stays in the queue panel to open later).
        jobIdRef.current = jobId;
        events.stopHolding();
        previews.forget();
        indexMap.clear();
        setSource(summary.source);
        dispatch({ type: 'jobShown', summary, aligned: summary.alignment !== undefined });
        onFinished(summary);
      } catch (error) {
        dispatch({ type: 'toast', message: `Cannot show that stack: ${describeError(error)}`, tone: 'error' });
      }
    },
    [api, dispatch, onFinished, events, previews.forget, indexMap.clear],
  );

  const cancel = useCallback(() => {
    const jobId = jobIdRef.current;
    if (jobId && unfinished(job)) api.cancel(jobId).catch((error: unknown) => dispatch({ type: 'toast', message: `Cancel failed: ${describeError(error)}`, tone: 'error' }));
  }, [api, dispatch, job]);

  const { varianceScale, previewFor } = previews;
  return { source, run, show, cancel, remerge, pickPixel, sigmaError, fieldsError, clearFieldsError, lastEventAt: events.lastEventAt.current, previewFor, varianceScale, indexMap: indexMap.indexMap };
}
