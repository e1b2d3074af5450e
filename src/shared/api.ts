// The contract between the renderer and a host, declared once: the table API_OPERATIONS names
// every call with a zod schema for its arguments and for its answer, and its HTTP route. From
// it come the renderer's interface (DeepfieldApi), both clients (renderer api/http-client.ts
// and api/ipc-client.ts, through the preload's generic bridge), the desktop app's IPC handlers
// (main/desktop/ipc.ts) and the browser host's routes (main/host/http-server.ts). A host
// validates the arguments once, where they arrive (parseArguments); the session behind it only
// sees well-formed values. Plain data only, no Node and no DOM: this file runs on both sides.
import { z } from 'zod';
import { MERGE_METHODS, stackOptionsSchema } from './options';
import { retouchStrokeSchema } from './retouch';
import type { FocusPreview, PixelLayout, SkippedFile, SliceStats, StackAlignment, StackPhase } from './types';

// ---------------------------------------------------------------------------------------------
// Values that cross the boundary
// ---------------------------------------------------------------------------------------------

const MAX_PATH = 4096;

export const pathSchema = z.string().min(1).max(MAX_PATH);
export const jobIdSchema = z.uuid();
export const sliceIndexSchema = z.number().int().min(0).max(65534);
export const mergeMethodSchema = z.enum(MERGE_METHODS);
const pixelCoordinateSchema = z.number().int().min(0);
const qualitySchema = z.number().int().min(1).max(100);

/** Shapes the engine declares (shared/types.ts): the compiler checks them, the hosts produce them. */
const engineValue = <T>() => z.custom<T>((value) => typeof value === 'object' && value !== null);

/**
 * A folder's slices, less the files named in `exclude` (a stray file, a blurred slice: left out by
 * the user, kept with the job and in its sidecar), or the demo stack.
 */
export const stackSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('folder'), path: pathSchema, exclude: z.array(z.string().min(1).max(255)).max(65535).optional() }).strict(),
  z.object({ kind: z.literal('demo') }).strict(),
]);
export type StackSource = z.output<typeof stackSourceSchema>;

/** What the renderer may choose of a job's options (shared/options.ts); previewSize is the host's business. */
export const stackOptionsInputSchema = stackOptionsSchema
  .pick({ sigma: true, method: true, align: true, brightness: true, keepSize: true, rawColour: true })
  .partial()
  .extend({ reference: sliceIndexSchema.optional() })
  .strict()
  .optional();

/** Slices `from` to `to` of a folder, 1-based and inclusive, in the folder's (natural) order. */
export const sliceRangeSchema = z
  .object({ from: z.number().int().min(1).max(65535), to: z.number().int().min(1).max(65535) })
  .strict()
  .refine((r) => r.from <= r.to, { error: (issue) => `Expected from <= to for range but received ${JSON.stringify(issue.input)}` });
export type SliceRange = z.output<typeof sliceRangeSchema>;

export const hostInfoSchema = z.object({
  kind: z.enum(['electron', 'browser']),
  version: z.string(),
  /** Browser host: the folder the user may browse (nothing outside it is reachable). */
  root: z.string().optional(),
  /** Browser host: the folder exports are written to (there is no save dialog). */
  exportDir: z.string().optional(),
});
export type HostInfo = z.output<typeof hostInfoSchema>;
export type HostKind = HostInfo['kind'];

export const folderEntrySchema = z.object({
  name: z.string(),
  path: z.string(),
  /** 'stack' when the folder holds two or more images, 'folder' otherwise. */
  kind: z.enum(['folder', 'stack']),
  imageCount: z.number(),
});
export type FolderEntry = z.output<typeof folderEntrySchema>;

export const folderListingSchema = z.object({
  path: z.string(),
  parent: z.string().nullable(),
  entries: z.array(folderEntrySchema),
  /** Images in this folder itself: two or more make it a stack that can be opened. */
  imageCount: z.number().optional(),
  /** Their names, in the order they are stacked (natural order), so a stray file is seen first. */
  images: z.array(z.string()).optional(),
  /** How many of them are camera RAW files: the app offers the RAW colour choice only then. */
  rawImages: z.number().optional(),
});
export type FolderListing = z.output<typeof folderListingSchema>;

export const jobSliceInfoSchema = z.object({ index: z.number(), name: z.string() });
export type JobSliceInfo = z.output<typeof jobSliceInfoSchema>;

/** Everything the renderer needs once a job has finished. */
export const jobSummarySchema = z.object({
  jobId: z.string(),
  source: stackSourceSchema,
  layout: engineValue<PixelLayout>(),
  slices: z.array(jobSliceInfoSchema),
  stats: z.array(engineValue<SliceStats>()),
  skipped: z.array(engineValue<SkippedFile>()),
  /** Largest raw variance over all slices: the top of the shared heatmap scale. */
  maxVariance: z.number(),
  timings: z.object({ totalMs: z.number() }),
  /** The method the job was stacked with; others come from remerge() without a new focus pass. */
  method: mergeMethodSchema.optional(),
  /** Per-slice transforms, gains and failures, when the job was aligned. */
  alignment: engineValue<StackAlignment>().optional(),
  /** The part of the folder's slices that was stacked, 1-based and inclusive, when limited. */
  range: z.object({ from: z.number(), to: z.number() }).optional(),
  /** The folder's files the user left out (names), when any. */
  excluded: z.array(z.string()).optional(),
});
export type JobSummary = z.output<typeof jobSummarySchema>;

/**
 * Where a job stands in the host's queue. Jobs run one at a time, in the order they were
 * submitted (the engine already uses every core for one job, and two at once would hold two
 * jobs' slices in memory); 'queued' ones wait, a finished one keeps its result until newer ones
 * replace it.
 */
export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const queuedJobSchema = z.object({
  jobId: z.string(),
  source: stackSourceSchema,
  /** The folder's name, or "demo". */
  name: z.string(),
  state: z.enum(JOB_STATES),
  /** Queued: how many jobs are ahead of it (the running one included). */
  position: z.number().optional(),
  /** Running: how far it got. */
  progress: z.object({ phase: z.string(), done: z.number(), total: z.number() }).optional(),
  /** Failed: the one-line reason. */
  error: z.string().optional(),
});
export type QueuedJob = z.output<typeof queuedJobSchema>;

/** What a job re-merged with another method reports (its composite is then an image of that method). */
export const remergeResultSchema = z.object({
  jobId: z.string(),
  method: mergeMethodSchema,
  /** Share of pixels each slice won under this method. */
  pixelsWon: z.array(z.number()),
  /** Time the re-merge took (0 when it was already done). */
  ms: z.number(),
});
export type RemergeResult = z.output<typeof remergeResultSchema>;

/** A job's strokes, whole and in order (shared/retouch.ts validates each field). */
export const retouchStrokesSchema = z.array(retouchStrokeSchema).max(100_000);

/** What setting a job's strokes reports. */
export const retouchResultSchema = z.object({
  jobId: z.string(),
  /** Counts every change of the strokes: pass it as ImageUrlOptions.retouch to see this state. */
  revision: z.number(),
  /** Pixels each slice gives the retouched composite (the job's own method). */
  pixelsWon: z.array(z.number()),
  /** Time the strokes took to apply. */
  ms: z.number(),
});
export type RetouchResult = z.output<typeof retouchResultSchema>;

/** Exact raw variance of every slice at one pixel, and the slice that won it. */
export const focusProfileSchema = z.object({ values: z.array(z.number()), winner: z.number() });
export type FocusProfile = z.output<typeof focusProfileSchema>;

export const focusPreviewSchema = z.object({
  width: z.number(),
  height: z.number(),
  /** Row-major raw variance values. */
  values: z.custom<FocusPreview['values']>((value) => value instanceof Float32Array),
});

/** Single files (the menu's quick exports), or 'outputs': a whole OutputPlan written into a new folder. */
export const EXPORT_KINDS = ['composite', 'indexMap', 'depthColour', 'heatmap', 'outputs'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/**
 * The export dialog's choices, written by the engine's writeOutputs (src/main/engine/output/outputs.ts)
 * exactly as the command line writes them. The composite is always written.
 */
export const exportOutputsSchema = z
  .object({
    composite: z
      .object({
        format: z.enum(['png', 'tiff', 'jpeg', 'webp']),
        /** Bits per sample; 16 to 8 scales the data's actual range. Default: the input's. */
        depth: z.union([z.literal(8), z.literal(16)]).optional(),
        /** JPEG/WebP quality 1-100 (default 92). */
        quality: qualitySchema.optional(),
        /** TIFF: lossless only (default deflate); JPEG-in-TIFF is refused by design (issue 5). */
        tiffCompression: z.enum(['deflate', 'lzw']).optional(),
        /** Carry the reference slice's EXIF, ICC and XMP (default true). */
        metadata: z.boolean().optional(),
      })
      .strict(),
    indexMap: z.boolean().optional(),
    /** Colourised depth map with its legend. */
    depthMap: z.boolean().optional(),
    /** Height map in physical units: needs the slice spacing, e.g. "0.5um" (or ImageJ metadata). */
    heightMap: z.boolean().optional(),
    zStep: z.string().min(1).max(32).optional(),
    /** Refine depth below one slice (depth and height maps). */
    subslice: z.boolean().optional(),
    /** Heatmaps of every slice, on one shared scale. */
    heatmaps: z.boolean().optional(),
    heatmapScale: z.enum(['linear', 'log']).optional(),
    colourMap: z.enum(['viridis', 'inferno']).optional(),
    /** The inverted greyscale focus map. */
    focusMap: z.boolean().optional(),
    /** In-focus areas on white of these slices (0-based); absent for none. */
    maskedSlices: z.array(sliceIndexSchema).max(65535).optional(),
  })
  .strict();
export type ExportOutputs = z.output<typeof exportOutputsSchema>;

export const exportRequestSchema = z
  .object({
    jobId: jobIdSchema,
    kind: z.enum(EXPORT_KINDS),
    format: z.enum(['png', 'tiff', 'jpeg']),
    /** JPEG quality 1-100. */
    quality: qualitySchema.optional(),
    /** For heatmaps: which slice. */
    slice: sliceIndexSchema.optional(),
    /** For heatmaps: the shared scale (src/shared/colour-scale.ts); default 'linear'. */
    scale: z.enum(['linear', 'log']).optional(),
    /** For heatmaps: the colour map; default 'viridis'. */
    colourMap: z.enum(['viridis', 'inferno']).optional(),
    /** Kind 'outputs': what to write. */
    outputs: exportOutputsSchema.optional(),
    /** The merge method whose composite and maps to export (call remerge first); default the job's. */
    method: mergeMethodSchema.optional(),
  })
  .strict()
  .refine((r) => (r.kind === 'outputs') === (r.outputs !== undefined), {
    error: 'Expected outputs exactly when kind is "outputs"',
  });
export type ExportRequest = z.output<typeof exportRequestSchema>;

export const exportResultSchema = z.object({
  /**
   * Where the file went, for the toast. A new file: exports never replace an existing one. For
   * kind 'outputs', a new folder holding `files`.
   */
  path: z.string(),
  files: z.array(z.string()).optional(),
});
export type ExportResult = z.output<typeof exportResultSchema>;

// ---------------------------------------------------------------------------------------------
// The operations
// ---------------------------------------------------------------------------------------------

/** How a call's answer travels over HTTP when it is not JSON (a typed array, say). */
export interface BinaryCodec<T> {
  encode(value: T): { headers: Record<string, string>; body: Uint8Array };
  decode(header: (name: string) => string | null, body: ArrayBuffer): T;
}

/** A focus preview as Float32 values, little-endian, row-major; its size in headers. */
const focusPreviewCodec: BinaryCodec<FocusPreview> = {
  encode: (preview) => ({
    headers: { 'x-preview-width': String(preview.width), 'x-preview-height': String(preview.height) },
    body: new Uint8Array(preview.values.buffer, preview.values.byteOffset, preview.values.byteLength),
  }),
  decode: (header, body) => ({ width: Number(header('x-preview-width')), height: Number(header('x-preview-height')), values: new Float32Array(body) }),
};

export interface Operation {
  /** The arguments in call order, each validated on its own so a refusal names it. */
  args: z.ZodTuple;
  /** Each argument's name: in refusals ("Invalid job id"), the HTTP path (:jobId), query or body. */
  names: readonly string[];
  result: z.ZodType;
  /**
   * 'METHOD /api/path/:name'. Arguments not in the path travel in the query (GET) or as a JSON
   * object (POST). Absent: a desktop-only call, which the browser answers with null itself.
   */
  http?: `${'GET' | 'POST'} /api/${string}`;
  /** POST: the body is this argument itself rather than an object of the arguments. */
  body?: string;
  /** The answer is not JSON over HTTP. */
  binary?: BinaryCodec<never>;
}

/** One name per argument: a tuple of strings as long as the arguments' tuple. */
type NamesOf<Items extends readonly unknown[]> = { readonly [K in keyof Items]: string };

const operation = <const A extends z.ZodTuple, const R extends z.ZodType, const H extends Operation['http'] = undefined>(
  spec: { args: A; names: NamesOf<A['def']['items']>; result: R; http?: H } & Omit<Operation, 'args' | 'names' | 'result' | 'http'>,
) => spec as typeof spec & { http: H };

export const API_OPERATIONS = {
  hostInfo: operation({ args: z.tuple([]), names: [], result: hostInfoSchema, http: 'GET /api/host' }),
  /** Desktop: the native folder dialog. Browser: resolves null (the UI shows its folder browser). */
  chooseFolder: operation({ args: z.tuple([]), names: [], result: z.string().nullable() }),
  /**
   * Desktop: the folder a dropped file stands for (an image stands for its folder), now allowed
   * to be opened. The renderer hands over a File; the preload turns it into its path. Browser:
   * resolves null (browsers do not reveal paths).
   */
  droppedFolder: operation({ args: z.tuple([pathSchema]), names: ['droppedPath'], result: z.string().nullable() }),
  /** Lists sub-folders (and the stacks among them) of a folder; default the root. */
  listFolder: operation({ args: z.tuple([pathSchema.optional()]), names: ['path'], result: folderListingSchema, http: 'GET /api/folders' }),
  /** Folders stacked before, newest first (only those that still exist and may be opened). */
  recentStacks: operation({ args: z.tuple([]), names: [], result: z.array(z.string()), http: 'GET /api/recent' }),
  /** `range` limits a folder to some of its slices (e.g. 3 to 17) before anything is read. */
  startStack: operation({
    args: z.tuple([stackSourceSchema, stackOptionsInputSchema, sliceRangeSchema.optional()]),
    names: ['source', 'options', 'range'],
    result: z.object({ jobId: z.string() }),
    http: 'POST /api/jobs',
  }),
  /** Cancels a running job, or takes a queued one out of the queue. */
  cancel: operation({ args: z.tuple([jobIdSchema]), names: ['jobId'], result: z.void(), http: 'POST /api/jobs/:jobId/cancel' }),
  /** The host's queue in order: the running job, those waiting, then the finished ones it still keeps. */
  listJobs: operation({ args: z.tuple([]), names: [], result: z.array(queuedJobSchema), http: 'GET /api/jobs' }),
  /** The summary of a finished job (the same one its 'done' event carried). */
  jobSummary: operation({ args: z.tuple([jobIdSchema]), names: ['jobId'], result: jobSummarySchema, http: 'GET /api/jobs/:jobId' }),
  /** Downsampled raw focus map of one slice, for heatmaps on the shared scale. */
  getFocusPreview: operation({
    args: z.tuple([jobIdSchema, sliceIndexSchema]),
    names: ['jobId', 'slice'],
    result: focusPreviewSchema,
    http: 'GET /api/jobs/:jobId/previews/:slice',
    binary: focusPreviewCodec as BinaryCodec<never>,
  }),
  /** Exact raw variance of every slice at one pixel (full-resolution coordinates). */
  focusProfile: operation({
    args: z.tuple([jobIdSchema, pixelCoordinateSchema, pixelCoordinateSchema]),
    names: ['jobId', 'x', 'y'],
    result: focusProfileSchema,
    http: 'GET /api/jobs/:jobId/profile',
  }),
  /**
   * Desktop: asks where through a save dialog, resolving null when the user dismisses it.
   * Browser: writes into HostInfo.exportDir. Either way a new file with a unique name.
   */
  exportImage: operation({ args: z.tuple([exportRequestSchema]), names: ['exportRequest'], result: exportResultSchema.nullable(), http: 'POST /api/exports', body: 'exportRequest' }),
  /**
   * Merges a finished job again with another method from the focus profile it kept: no progress
   * events, no second focus pass. Afterwards images and exports may name that method.
   */
  remerge: operation({ args: z.tuple([jobIdSchema, mergeMethodSchema]), names: ['jobId', 'method'], result: remergeResultSchema, http: 'POST /api/jobs/:jobId/remerge' }),
  /**
   * Sets a finished job's strokes (the whole list, in order: undo and redo send a shorter or
   * longer one), applied through the engine to its full-resolution composite and index map under
   * every method; images asked for with the answered revision, and exports, show them from then on.
   */
  retouch: operation({ args: z.tuple([jobIdSchema, retouchStrokesSchema]), names: ['jobId', 'strokes'], result: retouchResultSchema, http: 'POST /api/jobs/:jobId/retouch' }),
} satisfies Record<string, Operation>;

export type Operations = typeof API_OPERATIONS;
export type OperationName = keyof Operations;
export type OperationArgs<K extends OperationName> = z.input<Operations[K]['args']>;
/** The arguments as a host's handler receives them: validated, defaults applied. */
export type ParsedArgs<K extends OperationName> = z.output<Operations[K]['args']>;
export type OperationResult<K extends OperationName> = z.output<Operations[K]['result']>;

/** Every call of the table, as a client makes it. */
export type ApiCalls = { [K in OperationName]: (...args: OperationArgs<K>) => Promise<OperationResult<K>> };

/** What a host implements: one handler per call, given its validated arguments. */
export type ApiHandlers<Context> = {
  [K in OperationName]: (context: Context, ...args: ParsedArgs<K>) => OperationResult<K> | Promise<OperationResult<K>>;
};

/** The one interface the renderer talks to: the table's calls, the job events and image addresses. */
export interface DeepfieldApi extends Omit<ApiCalls, 'droppedFolder'> {
  /** The folder a File from a drop event's dataTransfer.files stands for (see API_OPERATIONS). */
  droppedFolder(file: object): Promise<string | null>;
  /** Subscribes to all job events; returns the unsubscribe function. */
  onJobEvent(listener: (event: JobEvent) => void): () => void;
  /** A URL the renderer can put in an <img> or a tile source, at most maxSize px on its longest side. */
  imageUrl(jobId: string, kind: ImageKind, options?: ImageUrlOptions): string;
}

/** A malformed argument (HTTP 400; over IPC its message). */
export class InvalidArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidArgumentError';
  }
}

/** Parses `value` or throws one readable line naming the argument ("Invalid job id: ..."). */
export function parseArgument<T extends z.core.$ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = z.safeParse(schema, value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
    throw new InvalidArgumentError(`Invalid ${what}: ${problems.join('; ')}`);
  }
  return result.data;
}

/** A call's arguments, each validated against its schema: the one check a host makes. */
export function parseArguments<K extends OperationName>(name: K, args: readonly unknown[]): ParsedArgs<K> {
  const spec: Operation = API_OPERATIONS[name];
  const items = spec.args.def.items;
  if (args.length > items.length) throw new InvalidArgumentError(`Invalid ${name} call: expected at most ${items.length} arguments but received ${args.length}`);
  return items.map((schema, i) => parseArgument(schema, args[i], argumentLabel(spec.names[i]))) as ParsedArgs<K>;
}

/** 'jobId' -> 'job id', as refusals name it. */
function argumentLabel(name: string): string {
  return name.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

/**
 * What the desktop app's preload exposes as window.deepfield: one generic call over IPC (the
 * channel named by shared/ipc-channels.ts) from which the renderer's ipc-client derives every
 * call of the table, the job events, and the path of a dropped File (only the preload sees it).
 */
export interface DesktopBridge {
  invoke(name: OperationName, ...args: unknown[]): Promise<unknown>;
  onJobEvent(listener: (event: JobEvent) => void): () => void;
  /** The path of a File from a drop event; '' when it has none. */
  pathForFile(file: object): string;
}

// ---------------------------------------------------------------------------------------------
// Job events
// ---------------------------------------------------------------------------------------------

export type JobEvent =
  /**
   * Sent when a job is submitted, and again for each waiting job whenever the one ahead starts
   * or leaves: `position` jobs are ahead of it (0: it starts now).
   */
  | { type: 'queued'; jobId: string; source: StackSource; name: string; position: number }
  /** Sent once the slices are found and probed, before any is decoded: the strip can be drawn. */
  | { type: 'started'; jobId: string; source: StackSource; layout: PixelLayout; slices: JobSliceInfo[]; skipped: SkippedFile[];
      /** Why the stack looks like a microscope z-stack, which align 'auto' leaves unaligned. */
      microscope?: string }
  /** The first one of a job (phase 'probe', 0 of 0) says it left the queue and runs. */
  | { type: 'progress'; jobId: string; phase: StackPhase; done: number; total: number; elapsedMs: number;
      /** The slice that just finished (its preview is fetched with getFocusPreview). */
      slice?: { index: number; name: string; meanVariance: number; maxVariance: number } }
  | { type: 'done'; jobId: string; summary: JobSummary }
  | { type: 'error'; jobId: string; message: string; file?: string }
  | { type: 'cancelled'; jobId: string }
  /** A finished job's result was let go to make room for newer ones: it can no longer be shown. */
  | { type: 'released'; jobId: string };

/** Where job events travel over HTTP: a server-sent event stream (desktop: shared/ipc-channels.ts). */
export const JOB_EVENTS_PATH = '/api/events';

// ---------------------------------------------------------------------------------------------
// Images: addresses the renderer puts in <img>, served by the browser host and deepfield://
// ---------------------------------------------------------------------------------------------

/**
 * 'slice': a source slice as decoded (16-bit stretched to its range); 'composite': the result;
 * 'depth': the index map colourised with depthColour (src/shared/colour-maps.ts), so a legend
 * drawn with the same function matches; 'index': the raw index map as 8-bit grey (slice k of N
 * at round(255 k / (N - 1))); 'confidence': how decisive each pixel's focus peak is, 0..1 painted
 * with the inferno colour map.
 */
export const IMAGE_KINDS = ['slice', 'composite', 'depth', 'index', 'confidence'] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];

export const imageOptionsSchema = z
  .object({
    /** For kind 'slice': which slice (0-based). */
    slice: sliceIndexSchema.optional(),
    /** Longest side of the returned image in pixels; never upscaled. Default: full size. */
    maxSize: z.number().int().min(1).max(16384).optional(),
    /** Default 'png' ('jpeg' is smaller for photographic slices and composites). */
    format: z.enum(['png', 'jpeg']).optional(),
    /** Only this part of the image (full-resolution coordinates), then scaled to maxSize (deep-zoom tiles). */
    region: z
      .object({ x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().min(1), height: z.number().int().min(1) })
      .strict()
      .optional(),
    /** For kinds 'composite', 'depth' and 'index': the merge method (call remerge first); default the job's. */
    method: mergeMethodSchema.optional(),
    /**
     * For kinds 'composite', 'depth' and 'index': 0 or absent for the merged result, otherwise the
     * job's strokes applied, as of the revision retouch() answered (it keeps addresses distinct).
     */
    retouch: z.number().int().min(0).optional(),
  })
  .strict();
export type ImageUrlOptions = z.input<typeof imageOptionsSchema>;
export type ImageRegion = NonNullable<ImageUrlOptions['region']>;

export interface ImageRequest {
  jobId: string;
  kind: ImageKind;
  options: z.output<typeof imageOptionsSchema>;
}

/** /api/jobs/<id>/images/<kind>?slice&maxSize&format&method&retouch&x&y&w&h, the same for both hosts. */
export function imagePath(jobId: string, kind: ImageKind, options: ImageUrlOptions = {}): string {
  const query: Array<[string, string | number | undefined]> = [
    ['slice', options.slice],
    ['maxSize', options.maxSize === undefined ? undefined : Math.round(options.maxSize)],
    ['format', options.format],
    ['method', options.method],
    ['retouch', options.retouch || undefined],
    ['x', options.region?.x],
    ['y', options.region?.y],
    ['w', options.region?.width],
    ['h', options.region?.height],
  ];
  const search = query.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&');
  return `/api/jobs/${encodeURIComponent(jobId)}/images/${kind}${search ? `?${search}` : ''}`;
}

/** Parses an image address (imagePath's form); null for any other path. */
export function parseImageRequest(pathname: string, query: (name: string) => string | null): ImageRequest | null {
  const parts = pathname.split('/').filter(Boolean);
  if (parts.length !== 5 || parts[0] !== 'api' || parts[1] !== 'jobs' || parts[3] !== 'images') return null;
  const number = (name: string) => queryNumber(query(name), name);
  const x = number('x');
  return {
    jobId: parseArgument(jobIdSchema, decodeURIComponent(parts[2]), 'job id'),
    kind: parseArgument(z.enum(IMAGE_KINDS), parts[4], 'image kind'),
    options: parseArgument(
      imageOptionsSchema,
      {
        slice: number('slice'),
        maxSize: number('maxSize'),
        format: query('format') ?? undefined,
        method: query('method') ?? undefined,
        retouch: number('retouch'),
        region: x === undefined ? undefined : { x, y: number('y'), width: number('w'), height: number('h') },
      },
      'image options',
    ),
  };
}

/** A number from an address (query or path); absent or empty is undefined. */
export function queryNumber(value: string | null, name: string): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`Expected a number for ${name} but received ${JSON.stringify(value)} of type string`);
  return n;
}
