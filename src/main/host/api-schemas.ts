// Schemas for every argument that crosses into a host from the renderer (IPC or HTTP): checked
// once at the boundary, so the session service only ever sees well-formed values.
import { z } from 'zod';
import { ALIGN_METHODS, MERGE_METHODS, RAW_COLOURS } from '../../shared/options';
import { retouchStrokeSchema } from '../../shared/retouch';
import { DeepfieldError } from '../engine';

const MAX_PATH = 4096;

export const pathSchema = z.string().min(1).max(MAX_PATH);
export const jobIdSchema = z.uuid();
export const sliceIndexSchema = z.number().int().min(0).max(65534);

export const stackSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('folder'), path: pathSchema }).strict(),
  z.object({ kind: z.literal('demo') }).strict(),
]);

/** What the renderer may choose; previewSize is the host's business. */
export const stackOptionsInputSchema = z
  .object({
    sigma: z.number().optional(),
    method: z.enum(MERGE_METHODS).optional(),
    align: z.enum(ALIGN_METHODS).optional(),
    reference: sliceIndexSchema.optional(),
    brightness: z.boolean().optional(),
    keepSize: z.boolean().optional(),
    rawColour: z.enum(RAW_COLOURS).optional(),
  })
  .strict()
  .optional();

/** A job's strokes, whole (shared/retouch.ts validates each field). */
export const retouchStrokesSchema = z.array(retouchStrokeSchema).max(100_000);

export const mergeMethodSchema = z.enum(MERGE_METHODS);

/** Slices from..to of a folder, 1-based and inclusive. */
export const sliceRangeSchema = z
  .object({ from: z.number().int().min(1).max(65535), to: z.number().int().min(1).max(65535) })
  .strict()
  .refine((r) => r.from <= r.to, { error: (issue) => `Expected from <= to for range but received ${JSON.stringify(issue.input)}` })
  .optional();

export const pixelSchema = z.object({ x: z.number().int().min(0), y: z.number().int().min(0) });

export const imageKindSchema = z.enum(['slice', 'composite', 'depth', 'index', 'confidence']);

export const imageOptionsSchema = z
  .object({
    slice: sliceIndexSchema.optional(),
    maxSize: z.number().int().min(1).max(16384).optional(),
    format: z.enum(['png', 'jpeg']).optional(),
    region: z
      .object({ x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().min(1), height: z.number().int().min(1) })
      .strict()
      .optional(),
    method: mergeMethodSchema.optional(),
    retouch: z.number().int().min(0).optional(),
  })
  .strict();

const qualitySchema = z.number().int().min(1).max(100);

export const exportOutputsSchema = z
  .object({
    composite: z
      .object({
        format: z.enum(['png', 'tiff', 'jpeg', 'webp']),
        depth: z.union([z.literal(8), z.literal(16)]).optional(),
        quality: qualitySchema.optional(),
        // Lossless only: JPEG-in-TIFF is refused by design (issue 5).
        tiffCompression: z.enum(['deflate', 'lzw']).optional(),
        metadata: z.boolean().optional(),
      })
      .strict(),
    indexMap: z.boolean().optional(),
    depthMap: z.boolean().optional(),
    heightMap: z.boolean().optional(),
    zStep: z.string().min(1).max(32).optional(),
    subslice: z.boolean().optional(),
    heatmaps: z.boolean().optional(),
    heatmapScale: z.enum(['linear', 'log']).optional(),
    colourMap: z.enum(['viridis', 'inferno']).optional(),
    focusMap: z.boolean().optional(),
    maskedSlices: z.array(sliceIndexSchema).max(65535).optional(),
  })
  .strict();

export const exportRequestSchema = z
  .object({
    jobId: jobIdSchema,
    kind: z.enum(['composite', 'indexMap', 'depthColour', 'heatmap', 'outputs']),
    format: z.enum(['png', 'tiff', 'jpeg']),
    quality: qualitySchema.optional(),
    slice: sliceIndexSchema.optional(),
    scale: z.enum(['linear', 'log']).optional(),
    colourMap: z.enum(['viridis', 'inferno']).optional(),
    outputs: exportOutputsSchema.optional(),
    method: mergeMethodSchema.optional(),
  })
  .strict()
  .refine((r) => (r.kind === 'outputs') === (r.outputs !== undefined), {
    error: 'Expected outputs exactly when kind is "outputs"',
  });

/** Parses `value` or throws one readable line naming the argument. */
export function parseArgument<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
    throw new InvalidArgumentError(`Invalid ${what}: ${problems.join('; ')}`);
  }
  return result.data;
}

/** A malformed request (HTTP 400). */
export class InvalidArgumentError extends DeepfieldError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidArgumentError';
  }
}

export interface ImageRequest {
  jobId: string;
  kind: z.output<typeof imageKindSchema>;
  options: z.output<typeof imageOptionsSchema>;
}

function queryNumber(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`Expected a number for ${name} but received ${JSON.stringify(value)} of type string`);
  return n;
}

/**
 * Parses an image address, /api/jobs/<id>/images/<kind>?slice&maxSize&format&x&y&w&h, the same
 * for the browser host and the desktop app's deepfield:// protocol; null for any other path.
 */
export function parseImageRequest(url: URL): ImageRequest | null {
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts.length !== 5 || parts[0] !== 'api' || parts[1] !== 'jobs' || parts[3] !== 'images') return null;
  const q = url.searchParams;
  const x = queryNumber(q, 'x');
  return {
    jobId: parseArgument(jobIdSchema, decodeURIComponent(parts[2]), 'job id'),
    kind: parseArgument(imageKindSchema, parts[4], 'image kind'),
    options: parseArgument(
      imageOptionsSchema,
      {
        slice: queryNumber(q, 'slice'),
        maxSize: queryNumber(q, 'maxSize'),
        format: q.get('format') ?? undefined,
        method: q.get('method') ?? undefined,
        retouch: queryNumber(q, 'retouch'),
        region: x === undefined ? undefined : { x, y: queryNumber(q, 'y'), width: queryNumber(q, 'w'), height: queryNumber(q, 'h') },
      },
      'image options',
    ),
  };
}
