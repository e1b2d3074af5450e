// One options type for a stack job, shared by the command line, the app and the tests, validated
// once at the boundary. Defaults live here and nowhere else.
import { z } from 'zod';
import { gaussianRadius } from './gaussian';

/** argmax: the design's default, bit-for-bit; smooth: regularised selection; pyramid: multi-scale blending. */
export const MERGE_METHODS = ['argmax', 'smooth', 'pyramid'] as const;
export type MergeMethod = (typeof MERGE_METHODS)[number];

export const DEFAULT_SIGMA = 2;

/**
 * Alignment of each slice to the reference slice. 'auto' estimates a similarity and applies it
 * only where the motion is real (beyond the estimate's own uncertainty and AUTO_ALIGN_MIN_MOTION),
 * and leaves microscope z-stacks alone; 'off' stacks the slices as they are; the models by name
 * apply every believable estimate.
 */
export const ALIGN_METHODS = ['auto', 'off', 'translation', 'similarity', 'affine'] as const;
export type AlignMethod = (typeof ALIGN_METHODS)[number];

/**
 * Smallest motion (largest displacement of the frame's corners from the reference, in pixels)
 * that 'auto' applies. Measurements in test/unit/align-auto.test.ts and docs/alignment.md.
 */
export const AUTO_ALIGN_MIN_MOTION = 0.1;

/**
 * 'auto' applies a motion only when it exceeds this many times its uncertainty (the quadrants'
 * disagreement, summed along the chain of neighbours): on stacks that never moved, defocus read
 * as motion stayed under 0.85 of its uncertainty; real motion measured 6 times its own or more.
 */
export const AUTO_ALIGN_SIGNIFICANCE = 2;

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

const LIMIT_INPUT_PIXELS_EXPECTED = 'a whole number of pixels from 0 (0: no limit)';

/**
 * What each option a command line sets with a value takes, in the words of every refusal (the
 * app's, the API's, the command line's): "Expected <this> for <option> but received ...".
 */
export const EXPECTED = {
  sigma: SIGMA_EXPECTED,
  method: `${MERGE_METHODS.join(', ')} (one of)`,
  align: `${ALIGN_METHODS.join(', ')} (one of)`,
  reference: 'a whole number from 0',
  limitInputPixels: LIMIT_INPUT_PIXELS_EXPECTED,
} as const;

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
   * How slices are aligned to the reference before merging. 'auto' by default: a hand-held or
   * breathing bracket is aligned, and an already aligned stack or a microscope z-stack comes out
   * bit-identical to 'off'.
   */
  align: z.enum(ALIGN_METHODS).default('auto'),
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
    .number({ error: (issue) => describeExpected(LIMIT_INPUT_PIXELS_EXPECTED, 'limitInputPixels', issue.input) })
    .int({ error: (issue) => describeExpected(LIMIT_INPUT_PIXELS_EXPECTED, 'limitInputPixels', issue.input) })
    .min(0, { error: (issue) => describeExpected(LIMIT_INPUT_PIXELS_EXPECTED, 'limitInputPixels', issue.input) })
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

/**
 * Options already checked where they came in (a command line's flags, the host's API boundary),
 * completed with the defaults for what they do not say; checks nothing itself.
 */
export function withDefaults(checked: StackOptionsInput): StackOptions {
  const given = Object.entries(checked).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_STACK_OPTIONS, ...Object.fromEntries(given) };
}

/** The options a command line sets with a flag and a value. */
export type OptionWithValue = keyof typeof EXPECTED;

/**
 * One option as typed on a command line: read as its schema's type (a number for sigma, reference
 * and limitInputPixels), checked by that schema, refused with the text as typed under the flag's
 * name (`flag`, default the option's).
 */
export function parseOptionText<K extends OptionWithValue>(key: K, text: string, flag: string = key): StackOptions[K] {
  const schema = stackOptionsSchema.shape[key];
  const result = schema.safeParse(takesNumber(schema) ? (text.trim() === '' ? Number.NaN : Number(text)) : text);
  if (!result.success) throw new Error(describeExpected(EXPECTED[key], flag, text));
  return result.data as StackOptions[K];
}

/** Whether a schema (under optional and default) takes a number: text from an address or a command line is read as one. */
export function takesNumber(schema: z.core.$ZodType): boolean {
  let inner = schema;
  while (inner._zod.def.type === 'optional' || inner._zod.def.type === 'default') inner = (inner._zod.def as unknown as { innerType: z.core.$ZodType }).innerType;
  return inner._zod.def.type === 'number';
}

/**
 * Options parseStackOptions returned: handed on from layer to layer (runStackJob to the engine's
 * stack), they are not checked a second time.
 */
const checkedOptions = new WeakSet<object>();

/** Validates options, throwing one readable line per problem; options it returned before pass as they are. */
export function parseStackOptions(input: unknown): StackOptions {
  if (typeof input === 'object' && input !== null && checkedOptions.has(input)) return input as StackOptions;
  const result = stackOptionsSchema.safeParse(input ?? {});
  if (!result.success) {
    throw new Error(result.error.issues.map((i) => i.message).join('; '));
  }
  checkedOptions.add(result.data);
  return result.data;
}
