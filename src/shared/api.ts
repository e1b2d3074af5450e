// The one interface the renderer talks to. Two small implementations sit under it: IPC through
// the preload (desktop app) and HTTP + server-sent events (browser host). The renderer never knows
// which. Everything here is plain data; binary payloads travel as typed arrays (IPC) or as
// fetched binary bodies (HTTP), decoded by the implementation, never by the UI.
import type { MergeMethod, StackOptionsInput } from './options';
import type { RetouchStroke } from './retouch';
import type { FocusPreview, PixelLayout, SkippedFile, SliceStats, StackAlignment, StackPhase } from './types';

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
  /** The method the job was stacked with; others come from remerge() without a new focus pass. */
  method?: MergeMethod;
  /** Per-slice transforms, gains and failures, when the job was aligned. */
  alignment?: StackAlignment;
  /** The part of the folder's slices that was stacked, 1-based and inclusive, when limited. */
  range?: SliceRange;
}

/** Slices `from` to `to` of a folder, 1-based and inclusive, in the folder's (natural) order. */
export interface SliceRange {
  from: number;
  to: number;
}

/** What a job re-merged with another method reports (its composite is then an image of that method). */
export interface RemergeResult {
  jobId: string;
  method: MergeMethod;
  /** Share of pixels each slice won under this method. */
  pixelsWon: number[];
  /** Time the re-merge took (0 when it was already done). */
  ms: number;
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
 * at round(255 k / (N - 1))); 'confidence': how decisive each pixel's focus peak is, 0..1 painted
 * with the inferno colour map.
 */
export type ImageKind = 'slice' | 'composite' | 'depth' | 'index' | 'confidence';

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
  /** For kinds 'composite', 'depth' and 'index': the merge method (call remerge first); default the job's. */
  method?: MergeMethod;
  /**
   * For kinds 'composite', 'depth' and 'index': 0 or absent for the merged result, otherwise the
   * job's strokes applied, as of the revision retouch() answered (it keeps addresses distinct).
   */
  retouch?: number;
}

/** What setting a job's strokes reports. */
export interface RetouchResult {
  jobId: string;
  /** Counts every change of the strokes: pass it as ImageUrlOptions.retouch to see this state. */
  revision: number;
  /** Pixels each slice gives the retouched composite (the job's own method). */
  pixelsWon: number[];
  /** Time the strokes took to apply. */
  ms: number;
}

/** Single files (the menu's quick exports), or 'outputs': a whole OutputPlan written into a new folder. */
export type ExportKind = 'composite' | 'indexMap' | 'depthColour' | 'heatmap' | 'outputs';

/**
 * The export dialog's choices, written by the engine's writeOutputs (src/main/engine/output/outputs.ts)
 * exactly as the command line writes them. The composite is always written.
 */
export interface ExportOutputs {
  composite: {
    format: 'png' | 'tiff' | 'jpeg' | 'webp';
    /** Bits per sample; 16 to 8 scales the data's actual range. Default: the input's. */
    depth?: 8 | 16;
    /** JPEG/WebP quality 1-100 (default 92). */
    quality?: number;
    /** TIFF: lossless only (default deflate). */
    tiffCompression?: 'deflate' | 'lzw';
    /** Carry the reference slice's EXIF, ICC and XMP (default true). */
    metadata?: boolean;
  };
  indexMap?: boolean;
  /** Colourised depth map with its legend. */
  depthMap?: boolean;
  /** Height map in physical units: needs the slice spacing, e.g. "0.5um" (or ImageJ metadata). */
  heightMap?: boolean;
  zStep?: string;
  /** Refine depth below one slice (depth and height maps). */
  subslice?: boolean;
  /** Heatmaps of every slice, on one shared scale. */
  heatmaps?: boolean;
  heatmapScale?: 'linear' | 'log';
  colourMap?: 'viridis' | 'inferno';
  /** The inverted greyscale focus map. */
  focusMap?: boolean;
  /** In-focus areas on white of these slices (0-based); absent for none. */
  maskedSlices?: number[];
}

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
  /** Kind 'outputs': what to write. */
  outputs?: ExportOutputs;
  /** The merge method whose composite and maps to export (call remerge first); default the job's. */
  method?: MergeMethod;
}

export interface ExportResult {
  /**
   * Where the file went, for the toast. A new file: exports never replace an existing one. For
   * kind 'outputs', a new folder holding `files`.
   */
  path: string;
  files?: string[];
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
  /** `range` limits a folder to some of its slices (e.g. 3 to 17) before anything is read. */
  startStack(source: StackSource, options?: StackOptionsInput, range?: SliceRange): Promise<{ jobId: string }>;
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
  /**
   * Merges a finished job again with another method from the focus profile it kept: no progress
   * events, no second focus pass. Afterwards images and exports may name that method.
   */
  remerge(jobId: string, method: MergeMethod): Promise<RemergeResult>;
  /**
   * Sets a finished job's strokes (the whole list, in order: undo and redo send a shorter or
   * longer one), applied through the engine to its full-resolution composite and index map under
   * every method; exports write the retouched result from then on.
   */
  retouch(jobId: string, strokes: RetouchStroke[]): Promise<RetouchResult>;
}

/** What the desktop app's preload exposes as window.deepfield: the API minus imageUrl, which needs no round trip. */
export type PreloadApi = Omit<DeepfieldApi, 'imageUrl'>;
