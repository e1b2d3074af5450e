// The session's jobs: a first-in, first-out queue of whole stack jobs run one at a time on the
// engine, their events to every subscriber, the jobs kept once finished (the newest few) and the
// results each holds under every merge method asked for, with the strokes painted on them
// (Retouch mode). One at a time because the engine already spreads one job over every core, and
// two at once would only hold two jobs' slices in memory (twenty posted at once to the browser
// host peaked near 3 GB). Rendering and exporting read finished jobs from here
// (image-renderer.ts, job-exporter.ts).
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { JobEvent, JobState, JobSummary, QueuedJob, RemergeResult, RetouchResult, SliceRange, StackSource } from '../../shared/api';
import { type MergeMethod, type StackOptions, type StackOptionsInput, withDefaults } from '../../shared/options';
import { RETOUCH_VERSION, type Retouch, type RetouchStroke } from '../../shared/retouch';
import type { FocusPreview, PixelLayout, SkippedFile, SliceRef } from '../../shared/types';
import { collectGarbage, DeepfieldError, type Engine, findSliceFiles, isAbortError, type PixelData, probeSlices, retouchResult, type SliceAlign, type StackResult } from '../engine';
import type { SyntheticStackSpec } from '../demo/synthetic-stack';
import { ensureDemoStack } from './demo';
import { focusProfile } from './focus-profile';
import { NotFoundError, type RootFolder } from './paths';
import type { RecentStacks } from './recent';

export interface JobRegistryConfig {
  engine: Engine;
  /** Browser host: a job's slices must lie inside this folder. */
  root?: RootFolder;
  /** A user-given path, absolute and, with a root, checked to lie inside it. */
  resolvePath(requested: string): Promise<string>;
  /** Folders stacked to the end are added here. */
  recent: RecentStacks;
  /** Longest side of the per-slice focus previews kept for heatmaps. */
  previewSize?: number;
  /** Finished jobs kept in memory (their composite and index map); older ones are dropped. */
  keepJobs?: number;
  demo?: { spec?: SyntheticStackSpec; parent?: string };
  /** A finished job was dropped: whatever was kept for it elsewhere can go. */
  onDropped(jobId: string): void;
}

/** Failed and cancelled jobs hold no result; this many are still listed (with their reason). */
const LISTED_UNFINISHED = 50;

export interface Job {
  id: string;
  source: StackSource;
  /** For export names: the folder's name, or "demo". */
  name: string;
  state: JobState;
  /** The folder as resolved when the job was submitted (undefined: the demo). */
  folder?: string;
  controller: AbortController;
  options: StackOptions;
  slices?: SliceRef[];
  layout?: PixelLayout;
  skipped: SkippedFile[];
  previews: Array<FocusPreview | undefined>;
  composite?: PixelData;
  indexMap?: Uint16Array;
  /** For an aligned job: how each slice is brought onto the composite's frame. */
  aligns?: SliceAlign[];
  summary?: JobSummary;
  /** The folder's slices that were stacked, when the user limited them. */
  range?: SliceRange;
  /**
   * The job's result under each merge method asked for so far (the stacked method first); each
   * carries lazily made 8-bit copies for display. Re-merges reuse the focus profile kept in the
   * first result.
   */
  merged: Map<MergeMethod, Promise<MergedResult>>;
  /** The engine's result of the run itself: its focus profile answers confidence() and remerge(). */
  result?: StackResult;
  /** The confidence map painted for display, made on first request. */
  confidence8?: Uint8Array;
  /** The strokes painted on the composite (Retouch mode), and how many times they changed. */
  retouch: Retouch;
  retouchRevision: number;
  finished?: number;
  /** While running: the last progress reported. */
  progress?: { phase: string; done: number; total: number };
  /** When failed: the one-line reason. */
  error?: string;
}

export interface MergedResult {
  result: StackResult;
  composite8?: Uint8Array;
  index8?: Uint8Array;
  /** This method's result with the job's strokes, as of `revision` (the latest only). */
  retouched?: { revision: number; merged: Promise<MergedResult> };
}

/** A job that finished with a result: what rendering and exporting may read. */
export type FinishedJob = Job & Required<Pick<Job, 'slices' | 'layout' | 'composite' | 'indexMap' | 'summary'>>;

export class JobRegistry {
  private readonly jobs = new Map<string, Job>();
  private readonly listeners = new Set<(event: JobEvent) => void>();
  /** Jobs waiting their turn, in the order they were submitted. */
  private readonly waiting: Job[] = [];
  private running: Job | null = null;
  private finishedCount = 0;

  constructor(private readonly config: JobRegistryConfig) {}

  onEvent(listener: (event: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: JobEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // One broken subscriber (a closed connection) must not stop the others or the job.
      }
    }
  }

  /** Queues a stack job; it runs once every job submitted before it has finished. */
  async startStack(source: StackSource, optionsInput: StackOptionsInput = {}, range?: SliceRange): Promise<{ jobId: string }> {
    if (range && !(Number.isInteger(range.from) && Number.isInteger(range.to) && range.from >= 1 && range.from <= range.to)) {
      throw new DeepfieldError(`Expected slices from 1 up to a number not below it for range but received ${JSON.stringify(range)}`);
    }
    // Checked at the API boundary (shared/api.ts) and again by the engine, not here.
    const options = withDefaults({ ...optionsInput, previewSize: this.config.previewSize ?? 1024 });
    // Resolve the folder before answering, so a refused path fails the call itself.
    const folder = source.kind === 'folder' ? await this.config.resolvePath(source.path) : undefined;
    const job: Job = {
      id: randomUUID(),
      source: folder ? { kind: 'folder', path: folder, ...(source.kind === 'folder' && source.exclude?.length ? { exclude: source.exclude } : {}) } : { kind: 'demo' },
      name: folder ? path.basename(folder) : 'demo',
      state: 'queued',
      folder,
      controller: new AbortController(),
      options,
      skipped: [],
      previews: [],
      range,
      merged: new Map(),
      retouch: { version: RETOUCH_VERSION, strokes: [] },
      retouchRevision: 0,
    };
    this.jobs.set(job.id, job);
    this.waiting.push(job);
    this.emitQueued(job);
    this.startNext();
    return { jobId: job.id };
  }

  /** Jobs ahead of a waiting one: the running one and those queued before it. */
  private position(job: Job): number {
    return (this.running ? 1 : 0) + this.waiting.indexOf(job);
  }

  private emitQueued(job: Job): void {
    this.emit({ type: 'queued', jobId: job.id, source: job.source, name: job.name, position: this.position(job) });
  }

  /** Runs the next waiting job when none is running; each waiting job hears its new place. */
  private startNext(): void {
    if (this.running) return;
    const job = this.waiting.shift();
    if (!job) return;
    this.running = job;
    job.state = 'running';
    job.progress = { phase: 'probe', done: 0, total: 0 };
    this.emit({ type: 'progress', jobId: job.id, phase: 'probe', done: 0, total: 0, elapsedMs: 0 });
    for (const waiting of this.waiting) this.emitQueued(waiting);
    // A failed or cancelled job does not stop the queue (run() catches everything).
    void this.run(job).finally(() => this.startNext());
  }

  private async run(job: Job): Promise<void> {
    const { folder } = job;
    const signal = job.controller.signal;
    try {
      const stackFolder = folder ?? (await ensureDemoStack(this.config.demo?.spec, this.config.demo?.parent));
      signal.throwIfAborted();
      const found = await findSliceFiles([stackFolder]);
      const files: string[] = [];
      for (const file of found.files) {
        if (!this.config.root || folder === undefined || (await this.config.root.contains(file))) files.push(file);
        else found.skipped.push({ file, reason: 'a link to a file outside the root folder' });
      }
      if (files.length === 0) throw new DeepfieldError(`No readable images in ${stackFolder}`, stackFolder);
      const exclude = chooseSlices(job, files, stackFolder);
      const { slices, layout, microscope } = await probeSlices(files, signal, job.options);
      job.slices = slices;
      job.layout = layout;
      job.skipped = found.skipped;
      this.emit({ type: 'started', jobId: job.id, source: job.source, layout, slices: slices.map((s, index) => ({ index, name: s.name })), skipped: job.skipped, ...(microscope ? { microscope } : {}) });

      const result = await this.config.engine.stack({
        inputs: files,
        options: job.options,
        signal,
        // Kept so remerge() can switch to any method and confidence()/subsliceDepth() answer
        // without a second focus pass; plain argmax output is unchanged by keeping them.
        remergeable: true,
        keep: { confidence: true, peaks: true },
        onProgress: (p) => {
          job.progress = { phase: p.phase, done: p.done, total: p.total };
          if (p.slice?.preview) job.previews[p.slice.index] = p.slice.preview;
          const slice = p.slice && { index: p.slice.index, name: p.slice.name, meanVariance: p.slice.meanVariance, maxVariance: p.slice.maxVariance };
          this.emit({ type: 'progress', jobId: job.id, phase: p.phase, done: p.done, total: p.total, elapsedMs: p.elapsedMs, ...(slice ? { slice } : {}) });
        },
      });
      job.slices = result.slices;
      job.layout = result.layout;
      job.composite = result.composite;
      job.indexMap = result.indexMap;
      job.aligns = result.sliceAligns;
      job.result = result;
      job.merged.set(result.options.method, Promise.resolve({ result }));
      job.summary = {
        jobId: job.id,
        source: job.source,
        layout: result.layout,
        slices: result.slices.map((s, index) => ({ index, name: s.name })),
        stats: result.stats,
        skipped: [...job.skipped, ...result.skipped.filter((s) => !job.skipped.some((k) => k.file === s.file))],
        maxVariance: result.stats.reduce((m, s) => Math.max(m, s.maxVariance), 0),
        timings: { totalMs: result.timings.totalMs },
        method: result.options.method,
        ...(result.alignment ? { alignment: result.alignment } : {}),
        ...(job.range ? { range: job.range } : {}),
        ...(exclude.size > 0 ? { excluded: [...exclude].sort() } : {}),
      };
      this.finish(job, 'done');
      if (folder) await this.config.recent.add(folder).catch(() => undefined); // a read-only config folder only loses the recent list
      this.emit({ type: 'done', jobId: job.id, summary: job.summary });
    } catch (error) {
      if (signal.aborted || isAbortError(error)) {
        this.finish(job, 'cancelled');
        this.emit({ type: 'cancelled', jobId: job.id });
      } else {
        const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
        job.error = message;
        this.finish(job, 'failed');
        const file = error instanceof DeepfieldError ? error.file : undefined;
        this.emit({ type: 'error', jobId: job.id, message, ...(file ? { file } : {}) });
      }
    }
  }

  /**
   * Marks a job finished and lets go of what older ones hold: beyond the newest `keepJobs` done
   * jobs, a result is dropped (and its subscribers told: 'released'); failed and cancelled jobs
   * hold nothing but their reason, and only the newest few stay listed.
   */
  private finish(job: Job, state: JobState): void {
    job.state = state;
    job.finished = ++this.finishedCount;
    job.progress = undefined;
    if (this.running === job) this.running = null;
    if (state !== 'done') release(job);
    const newestFirst = [...this.jobs.values()].filter((j) => j.finished !== undefined).sort((a, b) => b.finished! - a.finished!);
    const done = newestFirst.filter((j) => j.state === 'done');
    const dropped = done.slice(this.config.keepJobs ?? 2);
    for (const old of dropped) {
      this.jobs.delete(old.id);
      release(old);
      this.config.onDropped(old.id);
      this.emit({ type: 'released', jobId: old.id });
    }
    // A result's ~100 MB of buffers hang off a few small JS objects, which V8 may leave alone for
    // many jobs: collect now, so a released result's memory is gone before the next job needs its own.
    if (dropped.length > 0 || state !== 'done') collectGarbage();
    for (const old of newestFirst.filter((j) => j.state !== 'done').slice(LISTED_UNFINISHED)) this.jobs.delete(old.id);
  }

  /** Cancels a running job; a queued one leaves the queue at once, never having started. */
  cancel(jobId: string): void {
    const job = this.job(jobId);
    const place = this.waiting.indexOf(job);
    if (place < 0) {
      job.controller.abort();
      return;
    }
    this.waiting.splice(place, 1);
    job.controller.abort();
    this.jobs.delete(job.id);
    this.emit({ type: 'cancelled', jobId: job.id });
    for (const waiting of this.waiting.slice(place)) this.emitQueued(waiting);
  }

  /** The queue in order: the running job, the waiting ones, then the finished ones still kept (newest first). */
  list(): QueuedJob[] {
    const finished = [...this.jobs.values()].filter((j) => j.finished !== undefined).sort((a, b) => b.finished! - a.finished!);
    const ordered = [...(this.running ? [this.running] : []), ...this.waiting, ...finished];
    return ordered.map((job) => ({
      jobId: job.id,
      source: job.source,
      name: job.name,
      state: job.state,
      ...(job.state === 'queued' ? { position: this.position(job) } : {}),
      ...(job.state === 'running' && job.progress ? { progress: { ...job.progress } } : {}),
      ...(job.error ? { error: job.error } : {}),
    }));
  }

  job(jobId: string): Job {
    const job = this.jobs.get(jobId);
    if (!job) throw new NotFoundError(`No job ${jobId} (finished jobs are kept only until newer ones finish)`);
    return job;
  }

  finishedJob(jobId: string): FinishedJob {
    const job = this.job(jobId);
    if (job.state !== 'done') throw new DeepfieldError(FINISHED_JOB_REFUSAL[job.state]);
    return job as FinishedJob;
  }

  summary(jobId: string): JobSummary {
    return this.finishedJob(jobId).summary;
  }

  focusPreview(jobId: string, slice: number): FocusPreview {
    const preview = this.job(jobId).previews[slice];
    if (!preview) throw new NotFoundError(`No focus preview for slice ${slice} (not computed yet?)`);
    return preview;
  }

  /** Exact raw variance of every slice at (x, y), and the slice that won the pixel. */
  async focusProfile(jobId: string, x: number, y: number): Promise<{ values: number[]; winner: number }> {
    const job = this.finishedJob(jobId);
    const { width, height } = job.layout;
    if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= width || y >= height) {
      throw new DeepfieldError(`Expected a pixel inside ${width}x${height} for focusProfile but received (${x}, ${y})`);
    }
    const values = await focusProfile(job.slices, job.layout, job.options.sigma, x, y, job.aligns);
    return { values, winner: job.indexMap[y * width + x] };
  }

  /**
   * The finished job merged with `method` (default: the stacked one). A method not merged yet is
   * merged now from the kept focus profile (StackResult.remerge) only when `create` is set, so
   * an image request cannot start a re-merge by itself.
   */
  mergedResult(job: Job, method: MergeMethod | undefined, create: boolean): Promise<MergedResult> {
    const wanted = method ?? job.options.method;
    const known = job.merged.get(wanted);
    if (known) return known;
    if (!create) return Promise.reject(new DeepfieldError(`The job has not been merged with ${wanted}: re-merge it first`));
    const first = job.result;
    if (!first) return Promise.reject(new DeepfieldError('This job kept no focus profile: run it again to switch method'));
    const merging = first.remerge(wanted).then((result) => ({ result }));
    // A failed re-merge is forgotten, so asking again tries again.
    merging.catch(() => job.merged.delete(wanted));
    job.merged.set(wanted, merging);
    return merging;
  }

  /** Merges a finished job with another method, without progress events or a new focus pass. */
  async remerge(jobId: string, method: MergeMethod): Promise<RemergeResult> {
    const job = this.finishedJob(jobId);
    const started = performance.now();
    const had = job.merged.has(method);
    const { result } = await this.mergedResult(job, method, true);
    return { jobId, method, pixelsWon: result.stats.map((s) => s.pixelsWon), ms: had ? 0 : performance.now() - started };
  }

  /**
   * Sets a finished job's strokes (the whole list) and applies them to its own method's result
   * now (other methods when asked for). A list that extends the last one is painted from where
   * that one ended.
   */
  async retouch(jobId: string, strokes: RetouchStroke[]): Promise<RetouchResult> {
    const job = this.finishedJob(jobId);
    const started = performance.now();
    job.retouch = { version: RETOUCH_VERSION, strokes };
    const revision = ++job.retouchRevision;
    const { result } = await this.retouchedResult(job, await this.mergedResult(job, undefined, false));
    return { jobId, revision, pixelsWon: result.stats.map((s) => s.pixelsWon), ms: performance.now() - started };
  }

  /** `merged` with the job's current strokes (itself when there are none). */
  retouchedResult(job: Job, merged: MergedResult): Promise<MergedResult> {
    if (job.retouch.strokes.length === 0) return Promise.resolve(merged);
    const known = merged.retouched;
    if (known?.revision === job.retouchRevision) return known.merged;
    const retouch = job.retouch;
    const painting = (async () => {
      const previous = await known?.merged.catch(() => undefined);
      return { result: await retouchResult(merged.result, retouch, undefined, previous?.result) };
    })();
    // A failed application is forgotten, so the next request tries again.
    painting.catch(() => {
      if (merged.retouched?.merged === painting) merged.retouched = undefined;
    });
    merged.retouched = { revision: job.retouchRevision, merged: painting };
    return painting;
  }

  /** Empties the queue and cancels the running job (the engine's pool is the caller's to close). */
  close(): void {
    for (const job of this.waiting.splice(0)) job.controller.abort();
    this.running?.controller.abort();
  }
}

const FINISHED_JOB_REFUSAL: Record<Exclude<JobState, 'done'>, string> = {
  queued: 'The stack is waiting in the queue: nothing to show yet',
  running: 'The stack is still being computed',
  failed: 'The job failed: nothing to show',
  cancelled: 'The job was cancelled: nothing to show',
};

/** Drops everything a job holds beyond its description, so the memory can be collected. */
function release(job: Job): void {
  job.previews = [];
  job.merged.clear();
  job.result = undefined;
  job.composite = undefined;
  job.indexMap = undefined;
  job.aligns = undefined;
  job.confidence8 = undefined;
}

/**
 * Narrows a folder's files (in natural order, in place) to the ones the job stacks: first less
 * the files the user left out, then the range, which counts what is left as the strip numbers it.
 * Returns the names left out. Both happen before anything is read.
 */
function chooseSlices(job: Job, files: string[], stackFolder: string): Set<string> {
  const exclude = new Set(job.source.kind === 'folder' ? job.source.exclude : []);
  if (exclude.size > 0) {
    const kept = files.filter((file) => !exclude.has(path.basename(file)));
    if (kept.length < 2) throw new DeepfieldError(`A stack needs two or more slices: ${kept.length} of ${files.length} are left once ${exclude.size} are left out`, stackFolder);
    files.splice(0, files.length, ...kept);
  }
  if (job.range) {
    // A "to" past the end means "to the last slice" (the app's blank end field).
    const from = job.range.from;
    const to = Math.min(job.range.to, files.length);
    if (from > files.length) {
      throw new DeepfieldError(`Expected a first slice from 1 to ${files.length} for range but received ${from}`, stackFolder);
    }
    if (to - from < 1) throw new DeepfieldError(`A stack needs two or more slices: the range ${from} to ${to} holds one`, stackFolder);
    job.range = { from, to };
    files.splice(to);
    files.splice(0, from - 1);
  }
  return exclude;
}
