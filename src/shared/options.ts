// One options type for a stack job, shared by the command line, the app and the tests, validated
// once at the boundary. Defaults live here and nowhere else.
import { z } from 'zod';

/** argmax: the design's default, bit-for-bit; smooth: regularised selection; pyramid: multi-scale blending. */
export const MERGE_METHODS = ['argmax', 'smooth', 'pyramid'] as const;
export type MergeMethod = (typeof MERGE_METHODS)[number];

export const DEFAULT_SIGMA = 2;

/** Alignment model of each slice to the reference slice; 'off' stacks the slices as they are. */
export const ALIGN_METHODS = ['off', 'translation', 'similarity', 'affine'] as const;
export type AlignMethod = (typeof ALIGN_METHODS)[number];

/**
 * How camera RAW slices are developed: 'srgb' (the sRGB tone curve, for viewing) or 'linear'
 * (values proportional to light, for measuring); both 16-bit, white balance as shot.
 */
export const RAW_COLOURS = ['srgb', 'linear'] as const;
export type RawColour = (typeof RAW_COLOURS)[number];

/** Largest sigma the focus measure takes, in pixels (its kernel reaches 4 sigma). */
export const MAX_SIGMA = 64;

/**
 * What each option takes, in the words of every refusal (the app's, the API's, the command
 * line's): "Expected <this> for <option> but received ...".
 */
export const EXPECTED = {
  sigma: `a positive number of pixels up to ${MAX_SIGMA}`,
  method: `${MERGE_METHODS.join(', ')} (one of)`,
  align: `${ALIGN_METHODS.join(', ')} (one of)`,
  reference: 'a whole number from 0',
} as const;

const sigmaSchema = z
  .number({ error: (issue) => describeExpected('a positive number of pixels', 'sigma', issue.input) })
  .refine((v) => Number.isFinite(v) && v > 0 && v <= MAX_SIGMA, {
    error: (issue) => describeExpected(EXPECTED.sigma, 'sigma', issue.input),
  });

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

/** The options a command line sets with a flag of the same name and a value. */
export type OptionWithValue = keyof typeof EXPECTED;

/**
 * One option as typed on a command line: read as its schema's type (a number for sigma and
 * reference), checked by that schema, refused with the text as typed.
 */
export function parseOptionText<K extends OptionWithValue>(key: K, text: string): StackOptions[K] {
  const schema = stackOptionsSchema.shape[key];
  const result = schema.safeParse(takesNumber(schema) ? (text.trim() === '' ? Number.NaN : Number(text)) : text);
  if (!result.success) throw new Error(describeExpected(EXPECTED[key], key, text));
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
