// The session service: everything the app does between the renderer's API and the engine, in
// plain Node so the desktop app (over IPC), the browser host (over HTTP) and the tests share it.
// It composes three parts: the job registry (job-registry.ts: runs, events, results kept), the
// image renderer (image-renderer.ts) and the exporter (job-exporter.ts). Per job it keeps the
// composite, the index map, one small focus preview per slice and the statistics; never a
// full-resolution focus map per slice (profiles and heatmap exports decode again what they
// need). A finished job also keeps the engine's StackResult, stacked remergeable with its
// confidence and peak summaries, so the app can switch merge method, show the confidence map and
// export height maps without measuring focus a second time.
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { ExportRequest, ExportResult, FolderListing, ImageKind, ImageUrlOptions, JobEvent, JobSummary, QueuedJob, RemergeResult, RetouchResult, SliceRange, StackSource } from '../../shared/api';
import type { MergeMethod, StackOptionsInput } from '../../shared/options';
import type { RetouchStroke } from '../../shared/retouch';
import type { FocusPreview } from '../../shared/types';
import { DeepfieldError, type Engine } from '../engine';
import type { SyntheticStackSpec } from '../demo/synthetic-stack';
import { listFolder } from './folders';
import { ImageRenderer } from './image-renderer';
import { JobExporter } from './job-exporter';
import { JobRegistry } from './job-registry';
import { NotFoundError, type RootFolder } from './paths';
import { RecentStacks } from './recent';
import type { RenderedImage } from './render-image';

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

/**
 * What the API's handlers call (host/api-handlers.ts): the folders a user may open, and the three
 * parts behind a job: its registry (running, events, results), its images and its exports.
 */
export class Session {
  private readonly recent: RecentStacks;
  private readonly jobs: JobRegistry;
  private readonly images: ImageRenderer;
  private readonly exporter: JobExporter;

  constructor(private readonly config: SessionConfig) {
    this.recent = new RecentStacks(config.configDir);
    this.jobs = new JobRegistry({
      ...config,
      recent: this.recent,
      resolvePath: (requested) => this.resolvePath(requested),
      onDropped: (jobId) => this.images.forget(jobId),
    });
    this.images = new ImageRenderer(this.jobs);
    this.exporter = new JobExporter(this.jobs, config.exportDir);
  }

  get root(): RootFolder | undefined {
    return this.config.root;
  }

  get exportDir(): string | undefined {
    return this.config.exportDir;
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

  onEvent(listener: (event: JobEvent) => void): () => void {
    return this.jobs.onEvent(listener);
  }

  startStack(source: StackSource, options: StackOptionsInput = {}, range?: SliceRange): Promise<{ jobId: string }> {
    return this.jobs.startStack(source, options, range);
  }

  cancel(jobId: string): void {
    this.jobs.cancel(jobId);
  }

  listJobs(): QueuedJob[] {
    return this.jobs.list();
  }

  summary(jobId: string): JobSummary {
    return this.jobs.summary(jobId);
  }

  focusPreview(jobId: string, slice: number): FocusPreview {
    return this.jobs.focusPreview(jobId, slice);
  }

  focusProfile(jobId: string, x: number, y: number): Promise<{ values: number[]; winner: number }> {
    return this.jobs.focusProfile(jobId, x, y);
  }

  remerge(jobId: string, method: MergeMethod): Promise<RemergeResult> {
    return this.jobs.remerge(jobId, method);
  }

  retouch(jobId: string, strokes: RetouchStroke[]): Promise<RetouchResult> {
    return this.jobs.retouch(jobId, strokes);
  }

  renderImage(jobId: string, kind: ImageKind, options: ImageUrlOptions = {}): Promise<RenderedImage> {
    return this.images.renderImage(jobId, kind, options);
  }

  exportImage(request: ExportRequest, target?: string): Promise<ExportResult> {
    return this.exporter.exportImage(request, target);
  }

  /** Empties the queue and cancels the running job (the engine's pool is the caller's to close). */
  close(): void {
    this.jobs.close();
  }
}

function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}
