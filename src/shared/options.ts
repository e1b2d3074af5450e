// One options type for a stack job, shared by the command line, the app and the tests, validated
// once at the boundary. Defaults live here and nowhere else.
import { z } from 'zod';
import { gaussianRadius } from './gaussian';

/** argmax: the design's default, bit-for-bit; smooth: regularised selection; pyramid: multi-scale blending. */
export const MERGE_METHODS = ['argmax', 'smooth', 'pyramid'] as const;
export type MergeMethod = (typeof MERGE_METHODS)[number];

export const DEFAULT_SIGMA = 2;

/** Alignment model of each slice to the reference slice; 'off' stacks the slices as they are. */
export const ALIGN_METHODS = ['off', 'translation', 'similarity', 'affine'] as const;
export type AlignMethod = (typeof ALIGN_METHODS)[number];

/**
 * The smallest sigma whose Gaussian window is wider than one pixel: the radius is
 * int(4 sigma + 0.5) (gaussian.ts), 0 below 0.125. A one-pixel window has no neighbours, so every
 * slice's variance is 0 everywhere and every pixel would silently come from slice 0: refused.
 */
export const SIGMA_MIN = 0.125;
/** Beyond this the window (513 px) blurs away every detail worth choosing between. */
export const SIGMA_MAX = 64;
/** What a valid sigma is, in the shared message shape. */
export const SIGMA_EXPECTED = `a number of pixels from ${SIGMA_MIN} to ${SIGMA_MAX} (below ${SIGMA_MIN} the Gaussian window is one pixel, which tells no slice from another)`;

/** Whether `sigma` is in the range where the focus measure means something. */
export function isUsableSigma(sigma: number): boolean {
  return Number.isFinite(sigma) && gaussianRadius(sigma) >= 1 && sigma <= SIGMA_MAX;
}

/**
 * How camera RAW slices are developed: 'srgb' (the sRGB tone curve, for viewing) or 'linear'
 * (values proportional to light, for measuring); both 16-bit, white balance as shot.
 */
export const RAW_COLOURS = ['srgb', 'linear'] as const;
export type RawColour = (typeof RAW_COLOURS)[number];

const sigmaSchema = z
  .number({ error: (issue) => describeExpected(SIGMA_EXPECTED, 'sigma', issue.input) })
  .refine(isUsableSigma, { error: (issue) => describeExpected(SIGMA_EXPECTED, 'sigma', issue.input) });

export const stackOptionsSchema = z.object({
  /** Gaussian sigma of the local-variance focus measure, in pixels. */
  sigma: sigmaSchema.default(DEFAULT_SIGMA),
  /** How slices are merged into the composite. */
  method: z.enum(MERGE_METHODS).default('argmax'),
  /** Longest side of the per-slice heatmap previews returned with progress; 0 for none. */
  previewSize: z.number().int().min(0).max(4096).default(0),
  /**
   * How slices are aligned to the reference before merging. On by default: a hand-held or
   * breathing bracket needs it, and an already aligned stack comes out unchanged (motions under
   * 0.05 px and brightness changes under 0.5% are not applied).
   */
  align: z.enum(ALIGN_METHODS).default('similarity'),
  /** 0-based index of the slice the others are aligned to; default the middle slice. */
  reference: z.number().int().min(0).optional(),
  /** Match each slice's gain and offset per channel to the reference. */
  brightness: z.boolean().default(true),
  /** Keep the full frame (edges filled by repeating the slice's edge) instead of cropping to the area all slices cover. */
  keepSize: z.boolean().default(false),
  /**
   * Largest slice to read, in pixels (0: no limit). Unset: sharp's 16383 x 16383, a guard against
   * files whose header promises more than memory holds. Checked on each slice's header.
   */
  limitInputPixels: z
    .number({ error: (issue) => describeExpected('a whole number of pixels from 0 (0: no limit)', 'limitInputPixels', issue.input) })
    .int({ error: (issue) => describeExpected('a whole number of pixels from 0 (0: no limit)', 'limitInputPixels', issue.input) })
    .min(0, { error: (issue) => describeExpected('a whole number of pixels from 0 (0: no limit)', 'limitInputPixels', issue.input) })
    .optional(),
  /** How camera RAW slices are developed (other slices are read as they are). */
  rawColour: z.enum(RAW_COLOURS).default('srgb'),
});

export type StackOptions = z.output<typeof stackOptionsSchema>;
export type StackOptionsInput = z.input<typeof stackOptionsSchema>;

/** The defaults of every stack option, for help texts and callers that need one before a job. */
export const DEFAULT_STACK_OPTIONS: StackOptions = stackOptionsSchema.parse({});

/** The sharp-style message shape: what was expected, for which parameter, what was received. */
export function describeExpected(expected: string, parameter: string, received: unknown): string {
  const shown = typeof received === 'string' ? JSON.stringify(received) : String(received);
  return `Expected ${expected} for ${parameter} but received ${shown} of type ${typeof received}`;
}

/** Validates options, throwing one readable line per problem. */
export function parseStackOptions(input: unknown): StackOptions {
  const result = stackOptionsSchema.safeParse(input ?? {});
  if (!result.success) {
    throw new Error(result.error.issues.map((i) => i.message).join('; '));
  }
  return result.data;
}
