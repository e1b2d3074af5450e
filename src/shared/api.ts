// The one interface the renderer talks to. Two small implementations sit under it: IPC through
// the preload (desktop app) and HTTP + server-sent events (browser host). The renderer never knows
// which. Everything here is plain data; binary payloads travel as typed arrays (IPC) or as
// fetched binary bodies (HTTP), decoded by the implementation, never by the UI.
import type { StackOptionsInput } from './options';
import type { FocusPreview, PixelLayout, SkippedFile, SliceStats, StackPhase } from './types';

export type HostKind = 'electron' | 'browser';

export interface HostInfo {
  kind: HostKind;
  version: string;
  /** Browser host: the folder the user may browse (nothing outside it is reachable). */
  root?: string;
  /** Browser host: the folder exports are written to (there is no save dialog). */
  exportDir?: string;
}

export type StackSource = { kind: 'folder'; path: string } | { kind: 'demo' };

export interface FolderEntry {
  name: string;
  path: string;
  /** 'stack' when the folder holds two or more images, 'folder' otherwise. */
  kind: 'folder' | 'stack';
  imageCount: number;
}

export interface FolderListing {
  path: string;
  parent: string | null;
  entries: FolderEntry[];
  /** Images in this folder itself: two or more make it a stack that can be opened. */
  imageCount?: number;
}

export interface JobSliceInfo {
  index: number;
  name: string;
}

/** Everything the renderer needs once a job has finished. */
export interface JobSummary {
  jobId: string;
  source: StackSource;
  layout: PixelLayout;
  slices: JobSliceInfo[];
  stats: SliceStats[];
  skipped: SkippedFile[];
  /** Largest raw variance over all slices: the top of the shared heatmap scale. */
  maxVariance: number;
  timings: { totalMs: number };
}

export type JobEvent =
  /** Sent once the slices are found and probed, before any is decoded: the strip can be drawn. */
  | { type: 'started'; jobId: string; source: StackSource; layout: PixelLayout; slices: JobSliceInfo[]; skipped: SkippedFile[] }
  | { type: 'progress'; jobId: string; phase: StackPhase; done: number; total: number; elapsedMs: number;
      /** The slice that just finished (its preview is fetched with getFocusPreview). */
      slice?: { index: number; name: string; meanVariance: number; maxVariance: number } }
  | { type: 'done'; jobId: string; summary: JobSummary }
  | { type: 'error'; jobId: string; message: string; file?: string }
  | { type: 'cancelled'; jobId: string };

/**
 * 'slice': a source slice as decoded (16-bit stretched to its range); 'composite': the result;
 * 'depth': the index map colourised with depthColour (src/shared/colour-maps.ts), so a legend
 * drawn with the same function matches; 'index': the raw index map as 8-bit grey (slice k of N
 * at round(255 k / (N - 1))).
 */
export type ImageKind = 'slice' | 'composite' | 'depth' | 'index';

/** A rectangle in full-resolution pixel coordinates (for deep-zoom tiles). */
export interface ImageRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ImageUrlOptions {
  /** For kind 'slice': which slice (0-based). */
  slice?: number;
  /** Longest side of the returned image in pixels; never upscaled. Default: full size. */
  maxSize?: number;
  /** Default 'png' ('jpeg' is smaller for photographic slices and composites). */
  format?: 'png' | 'jpeg';
  /** Only this part of the image (full-resolution coordinates), then scaled to maxSize. */
  region?: ImageRegion;
}

export type ExportKind = 'composite' | 'indexMap' | 'depthColour' | 'heatmap';

export interface ExportRequest {
  jobId: string;
  kind: ExportKind;
  format: 'png' | 'tiff' | 'jpeg';
  /** JPEG quality 1-100. */
  quality?: number;
  /** For heatmaps: which slice. */
  slice?: number;
  /** For heatmaps: the shared scale (src/shared/colour-scale.ts); default 'linear'. */
  scale?: 'linear' | 'log';
  /** For heatmaps: the colour map; default 'viridis'. */
  colourMap?: 'viridis' | 'inferno';
}

export interface ExportResult {
  /** Where the file went, for the toast. A new file: exports never replace an existing one. */
  path: string;
}

export interface DeepfieldApi {
  hostInfo(): Promise<HostInfo>;
  /** Desktop: the native folder dialog. Browser: resolves null (the UI shows its folder browser). */
  chooseFolder(): Promise<string | null>;
  /** Lists sub-folders (and the stacks among them) of a folder; default the root. */
  listFolder(path?: string): Promise<FolderListing>;
  /**
   * Desktop: the folder a dropped File (from a drop event's dataTransfer.files) stands for, now
   * allowed to be opened; a dropped image file stands for its folder. Browser: resolves null
   * (browsers do not reveal paths).
   */
  droppedFolder(file: object): Promise<string | null>;
  /** Folders stacked before, newest first (only those that still exist and may be opened). */
  recentStacks(): Promise<string[]>;
  startStack(source: StackSource, options?: StackOptionsInput): Promise<{ jobId: string }>;
  cancel(jobId: string): Promise<void>;
  /** The summary of a finished job (the same one its 'done' event carried). */
  jobSummary(jobId: string): Promise<JobSummary>;
  /** Subscribes to all job events; returns the unsubscribe function. */
  onJobEvent(listener: (event: JobEvent) => void): () => void;
  /** Downsampled raw focus map of one slice, for heatmaps on the shared scale. */
  getFocusPreview(jobId: string, slice: number): Promise<FocusPreview>;
  /** Exact raw variance of every slice at one pixel (full-resolution coordinates). */
  focusProfile(jobId: string, x: number, y: number): Promise<{ values: number[]; winner: number }>;
  /** A URL the renderer can put in an <img> or a tile source, at most maxSize px on its longest side. */
  imageUrl(jobId: string, kind: ImageKind, options?: ImageUrlOptions): string;
  /**
   * Desktop: asks where through a save dialog, resolving null when the user dismisses it.
   * Browser: writes into HostInfo.exportDir. Either way a new file with a unique name.
   */
  exportImage(request: ExportRequest): Promise<ExportResult | null>;
}

/** What the desktop app's preload exposes as window.deepfield: the API minus imageUrl, which needs no round trip. */
export type PreloadApi = Omit<DeepfieldApi, 'imageUrl'>;
