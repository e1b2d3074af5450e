// The session service: everything the app does between the renderer's API and the engine, in
// plain Node so the desktop app (over IPC), the browser host (over HTTP) and the tests share it.
// Per job it keeps the composite, the index map, one small focus preview per slice and the
// statistics; never a full-resolution focus map per slice (profiles and heatmap exports decode
// again what they need). A finished job also keeps the engine's StackResult, stacked remergeable
// with its confidence and peak summaries, so the app can switch merge method, show the
// confidence map and export height maps without measuring focus a second time.
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ExportRequest, ExportResult, FolderListing, ImageKind, ImageUrlOptions, JobEvent, JobSummary, RemergeResult, RetouchResult, SliceRange, StackSource } from '../../shared/api';
import { RETOUCH_VERSION, type Retouch, type RetouchStroke } from '../../shared/retouch';
import { colourLut } from '../../shared/colour-maps';
import { parseStackOptions, type MergeMethod, type StackOptions, type StackOptionsInput } from '../../shared/options';
import type { FocusPreview, PixelLayout, SkippedFile, SliceRef } from '../../shared/types';
import { computeFocusMap, decodeAligned, DeepfieldError, writeDepthColourMap, type Engine, findSliceFiles, isAbortError, type PixelData, probeSlices, retouchResult, scaleTo8Bit, type SliceAlign, type StackResult } from '../engine';
import type { SyntheticStackSpec } from '../demo/synthetic-stack';
import { ensureDemoStack } from './demo';
import { defaultExportName, exportComposite, heatmapRgb, indexMapWriter, rgbWriter, writeOutputsUnique, writeUnique, type ImageWriter } from './exports';
import { focusProfile } from './focus-profile';
import { listFolder } from './folders';
import { AccessDeniedError, NotFoundError, type RootFolder } from './paths';
import { RecentStacks } from './recent';
import { colourise, indexTo8Bit, renderDepth, renderPixels, renderSlice, type RenderedImage } from './render-image';

export interface SessionConfig {
  engine: Engine;
  /** Where recent-stacks.json lives. */
  configDir: string;
  /** Browser host: every user-given path must lie inside this folder. */
  root?: RootFolder;
  /** Browser host: where exports go (there is no save dialog). */
  exportDir?: string;
  /** Longest side of the per-slice focus previews kept for heatmaps. */
  previewSize?: number;
  /** Finished jobs kept in memory (their composite and index map); older ones are dropped. */
  keepJobs?: number;
  demo?: { spec?: SyntheticStackSpec; parent?: string };
}

type JobState = 'running' | 'done' | 'failed' | 'cancelled';

interface Job {
  id: string;
  source: StackSource;
  /** For export names: the folder's name, or "demo". */
  name: string;
  state: JobState;
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
}

interface MergedResult {
  result: StackResult;
  composite8?: Uint8Array;
  index8?: Uint8Array;
  /** This method's result with the job's strokes, as of `revision` (the latest only). */
  retouched?: { revision: number; merged: Promise<MergedResult> };
}

const IMAGE_CACHE_BYTES = 96 * 1024 * 1024;
const MAX_IMAGE_SIZE = 16384;

export class Session {
  private readonly jobs = new Map<string, Job>();
  private readonly listeners = new Set<(event: JobEvent) => void>();
  private readonly recent: RecentStacks;
  private readonly imageCache = new Map<string, RenderedImage>();
  private imageCacheBytes = 0;
  private finishedCount = 0;

  constructor(private readonly config: SessionConfig) {
    this.recent = new RecentStacks(config.configDir);
  }

  get root(): RootFolder | undefined {
    return this.config.root;
  }

  get exportDir(): string | undefined {
    return this.config.exportDir;
  }

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

  /** A user-given path, absolute and, with a root, checked to lie inside it. */
  async resolvePath(requested: string): Promise<string> {
    return this.config.root ? this.config.root.resolve(requested) : path.resolve(requested);
  }

  async listFolder(requested?: string): Promise<FolderListing> {
    const folder = requested === undefined ? (this.config.root?.path ?? process.cwd()) : await this.resolvePath(requested);
    try {
      return await listFolder(folder, this.config.root);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT') throw new NotFoundError(`${folder} does not exist`, folder);
      if (code === 'ENOTDIR') throw new DeepfieldError(`${folder} is a file, not a folder`, folder);
      throw new DeepfieldError(`Cannot list ${folder}: ${(error as Error).message}`, folder);
    }
  }

  async recentStacks(): Promise<string[]> {
    const out: string[] = [];
    for (const folder of await this.recent.list()) {
      if (this.config.root ? await this.config.root.contains(folder) : await exists(folder)) out.push(folder);
    }
    return out;
  }

  async startStack(source: StackSource, optionsInput: StackOptionsInput = {}, range?: SliceRange): Promise<{ jobId: string }> {
    if (range && !(Number.isInteger(range.from) && Number.isInteger(range.to) && range.from >= 1 && range.from <= range.to)) {
      throw new DeepfieldError(`Expected slices from 1 up to a number not below it for range but received ${JSON.stringify(range)}`);
    }
    const options = parseStackOptions({ ...optionsInput, previewSize: this.config.previewSize ?? 1024 });
    // Resolve the folder before answering, so a refused path fails the call itself.
    const folder = source.kind === 'folder' ? await this.resolvePath(source.path) : undefined;
    const job: Job = {
      id: randomUUID(),
      source: folder ? { kind: 'folder', path: folder } : { kind: 'demo' },
      name: folder ? path.basename(folder) : 'demo',
      state: 'running',
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
    void this.run(job, folder);
    return { jobId: job.id };
  }

  private async run(job: Job, folder: string | undefined): Promise<void> {
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
      if (job.range) {
        // The range counts the folder's slices in their natural order, as the strip numbers them.
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
      const { slices, layout } = await probeSlices(files, signal, job.options);
      job.slices = slices;
      job.layout = layout;
      job.skipped = found.skipped;
      this.emit({ type: 'started', jobId: job.id, source: job.source, layout, slices: slices.map((s, index) => ({ index, name: s.name })), skipped: job.skipped });

      const result = await this.config.engine.stack({
        inputs: files,
        options: job.options,
        signal,
        // Kept so remerge() can switch to any method and confidence()/subsliceDepth() answer
        // without a second focus pass; plain argmax output is unchanged by keeping them.
        remergeable: true,
        keep: { confidence: true, peaks: true },
        onProgress: (p) => {
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
      };
      this.finish(job, 'done');
      if (folder) await this.recent.add(folder).catch(() => undefined); // a read-only config folder only loses the recent list
      this.emit({ type: 'done', jobId: job.id, summary: job.summary });
    } catch (error) {
      if (signal.aborted || isAbortError(error)) {
        this.finish(job, 'cancelled');
        this.emit({ type: 'cancelled', jobId: job.id });
      } else {
        this.finish(job, 'failed');
        const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
        const file = error instanceof DeepfieldError ? error.file : undefined;
        this.emit({ type: 'error', jobId: job.id, message, ...(file ? { file } : {}) });
      }
    }
  }

  /** Marks a job finished and drops the oldest finished jobs beyond the limit. */
  private finish(job: Job, state: JobState): void {
    job.state = state;
    job.finished = ++this.finishedCount;
    if (state !== 'done') {
      job.previews = [];
      job.merged.clear();
      job.result = undefined;
    }
    const finished = [...this.jobs.values()].filter((j) => j.state !== 'running').sort((a, b) => b.finished! - a.finished!);
    for (const old of finished.slice(this.config.keepJobs ?? 2)) {
      this.jobs.delete(old.id);
      for (const key of [...this.imageCache.keys()]) if (key.startsWith(old.id + '/')) this.dropCached(key);
    }
  }

  cancel(jobId: string): void {
    this.job(jobId).controller.abort();
  }

  private job(jobId: string): Job {
    const job = this.jobs.get(jobId);
    if (!job) throw new NotFoundError(`No job ${jobId} (finished jobs are kept only until newer ones finish)`);
    return job;
  }

  private finishedJob(jobId: string): Job & Required<Pick<Job, 'slices' | 'layout' | 'composite' | 'indexMap' | 'summary'>> {
    const job = this.job(jobId);
    if (job.state !== 'done') throw new DeepfieldError(job.state === 'running' ? 'The stack is still being computed' : `The job ${job.state === 'failed' ? 'failed' : 'was cancelled'}: nothing to show`);
    return job as ReturnType<Session['finishedJob']>;
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

  async renderImage(jobId: string, kind: ImageKind, options: ImageUrlOptions = {}): Promise<RenderedImage> {
    const job = kind === 'slice' ? this.job(jobId) : this.finishedJob(jobId);
    if (!job.layout || !job.slices) throw new DeepfieldError('The stack is still being read');
    const { width, height } = job.layout;
    const format = options.format ?? 'png';
    const maxSize = options.maxSize === undefined ? undefined : Math.min(MAX_IMAGE_SIZE, Math.max(1, Math.round(options.maxSize)));
    const region = options.region;
    if (region) {
      const ok = [region.x, region.y, region.width, region.height].every(Number.isInteger) && region.x >= 0 && region.y >= 0 && region.width > 0 && region.height > 0 && region.x + region.width <= width && region.y + region.height <= height;
      if (!ok) throw new DeepfieldError(`Expected a region inside ${width}x${height} for region but received ${JSON.stringify(region)}`);
    }
    const slice = kind === 'slice' ? options.slice ?? -1 : undefined;
    if (slice !== undefined && !(Number.isInteger(slice) && slice >= 0 && slice < job.slices.length)) {
      throw new DeepfieldError(`Expected a slice number from 0 to ${job.slices.length - 1} for slice but received ${options.slice}`);
    }
    // Slices of an aligned job are shown in the composite's frame once the alignment is known.
    const align = slice !== undefined && job.state === 'done' ? job.aligns?.[slice] : undefined;
    const method = kind === 'slice' || kind === 'confidence' ? '' : (options.method ?? job.options.method);
    // Strokes show from any revision on; 0 (or none) asks for the merged result, for before/after.
    const retouched = kind !== 'slice' && kind !== 'confidence' && (options.retouch ?? 0) > 0 && job.retouch.strokes.length > 0;
    const key = `${job.id}/${kind}/${slice ?? ''}/${align ? 'aligned' : ''}/${maxSize ?? ''}/${format}/${region ? Object.values(region).join(',') : ''}/${method}/${retouched ? job.retouchRevision : 0}`;
    const cached = this.imageCache.get(key);
    if (cached) {
      this.imageCache.delete(key); // re-insert: the Map's order is the recency order
      this.imageCache.set(key, cached);
      return cached;
    }
    const render = { format, maxSize, region };
    let image: RenderedImage;
    if (kind === 'slice' && align) {
      const pixels = await decodeAligned(job.slices[slice!], job.layout, align);
      const pixels8 = job.layout.bitDepth === 16 ? scaleTo8Bit(pixels as Uint16Array, job.layout) : (pixels as Uint8Array);
      image = await renderPixels(pixels8, width, height, job.layout.channels, render);
    } else if (kind === 'slice') {
      image = await renderSlice(job.slices[slice!], job.layout, render);
    } else {
      const done = this.finishedJob(jobId);
      if (kind === 'confidence') {
        image = await renderPixels(this.confidence8(done), width, height, 3, render);
      } else {
        const unretouched = await this.mergedResult(done, options.method, false);
        const merged = retouched ? await this.retouchedResult(done, unretouched) : unretouched;
        if (kind === 'composite') {
          image = await renderPixels(this.composite8(done, merged), width, height, done.layout.channels, render);
        } else if (kind === 'index') {
          image = await renderPixels(this.index8(done, merged), width, height, 1, render, true);
        } else {
          image = await renderDepth(this.index8(done, merged), width, height, done.slices.length, render);
        }
      }
    }
    this.cache(key, image);
    return image;
  }

  private composite8(job: Job & { layout: PixelLayout }, merged: MergedResult): Uint8Array {
    const composite = merged.result.composite;
    merged.composite8 ??= job.layout.bitDepth === 16 ? scaleTo8Bit(composite as Uint16Array, job.layout) : (composite as Uint8Array);
    return merged.composite8;
  }

  private index8(job: Job & { slices: SliceRef[] }, merged: MergedResult): Uint8Array {
    merged.index8 ??= indexTo8Bit(merged.result.indexMap, job.slices.length);
    return merged.index8;
  }

  /** The confidence map (0..1 per pixel) through the inferno map: dark where the focus peak is ambiguous. */
  private confidence8(job: Job & { slices: SliceRef[] }): Uint8Array {
    if (!job.confidence8) {
      if (!job.result) throw new DeepfieldError('This job kept no focus profile: run it again to see its confidence');
      const confidence = job.result.confidence();
      const levels = new Uint8Array(confidence.length);
      for (let i = 0; i < confidence.length; i++) levels[i] = Math.round(Math.min(1, Math.max(0, confidence[i])) * 255);
      job.confidence8 = colourise(levels, colourLut('inferno'));
    }
    return job.confidence8;
  }

  /**
   * The finished job merged with `method` (default: the stacked one). A method not merged yet is
   * merged now from the kept focus profile (StackResult.remerge) only when `create` is set, so
   * an image request cannot start a re-merge by itself.
   */
  private mergedResult(job: Job, method: MergeMethod | undefined, create: boolean): Promise<MergedResult> {
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
  private retouchedResult(job: Job, merged: MergedResult): Promise<MergedResult> {
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

  private cache(key: string, image: RenderedImage): void {
    if (image.data.length > IMAGE_CACHE_BYTES / 4) return;
    this.imageCache.set(key, image);
    this.imageCacheBytes += image.data.length;
    for (const oldest of this.imageCache.keys()) {
      if (this.imageCacheBytes <= IMAGE_CACHE_BYTES) break;
      this.dropCached(oldest);
    }
  }

  private dropCached(key: string): void {
    const image = this.imageCache.get(key);
    if (!image) return;
    this.imageCacheBytes -= image.data.length;
    this.imageCache.delete(key);
  }

  /**
   * Writes an export as a new file: into `target`'s folder under its name (desktop: the save
   * dialog's choice) or into the export folder under the default name (browser host), with
   * -2, -3, ... appended when the name is taken.
   */
  async exportImage(request: ExportRequest, target?: string): Promise<ExportResult> {
    const job = this.finishedJob(request.jobId);
    // What was painted is what is saved: the strokes are part of the job (and of the export's sidecar).
    const merged = await this.retouchedResult(job, await this.mergedResult(job, request.method, false));
    // Every name says the method, as the command line's users name their outputs.
    const method = merged.result.options.method;
    const safeName = job.name.replace(/[^\w.-]+/g, '_') || 'stack';
    if (request.kind === 'outputs') {
      if (!request.outputs) throw new DeepfieldError('Expected outputs for an export of kind "outputs"');
      // A new folder under the export folder (or the folder the user chose) holds every file.
      const parent = target ?? this.requireExportDir();
      return writeOutputsUnique(merged.result, path.join(parent, `${safeName}-${method}-export`), request.outputs, `${safeName}-${method}`);
    }
    const file = target ?? path.join(this.requireExportDir(), defaultExportName(job.name, { ...request, method }));
    const { width, height } = job.layout;
    let writer: ImageWriter;
    switch (request.kind) {
      case 'composite':
        // The command line's writer: the reference slice's metadata and the provenance sidecar.
        return exportComposite(merged.result, file, request.format, request.quality);
      case 'indexMap':
        writer = indexMapWriter(merged.result.indexMap, width, height, request.format);
        break;
      case 'depthColour':
        if (request.format !== 'png') throw new DeepfieldError('The depth map in colour is exported as PNG (its legend is text, which JPEG blurs)');
        // The same picture "More outputs" and --depth-map write: the map with its legend.
        writer = (temporary) => writeDepthColourMap(temporary, merged.result.indexMap, job.layout, job.slices.length);
        break;
      case 'heatmap': {
        const k = request.slice;
        if (k === undefined || !Number.isInteger(k) || k < 0 || k >= job.slices.length) {
          throw new DeepfieldError(`Expected a slice number from 0 to ${job.slices.length - 1} for slice but received ${k}`);
        }
        // Full resolution again, one slice at a time: decoded now rather than kept from the run.
        const focusMap = computeFocusMap(await decodeAligned(job.slices[k], job.layout, job.aligns?.[k]), job.layout, job.options.sigma);
        writer = rgbWriter(heatmapRgb(focusMap, job.summary.maxVariance, request.scale ?? 'linear', request.colourMap ?? 'viridis'), width, height, request.format, request.quality);
        break;
      }
    }
    return { path: await writeUnique(file, writer) };
  }

  private requireExportDir(): string {
    if (!this.config.exportDir) throw new AccessDeniedError('This host has no export folder: choose where to save');
    return this.config.exportDir;
  }

  /** Cancels running jobs (the engine's pool is the caller's to close). */
  close(): void {
    for (const job of this.jobs.values()) job.controller.abort();
  }
}

function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}
