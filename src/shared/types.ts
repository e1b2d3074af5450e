// Types shared by the engine, the hosts and the renderer. Plain data only: everything here
// crosses IPC, HTTP and worker boundaries.
import type { RawColour } from './options';

/** One focal slice: a file, or one page of a multi-page TIFF. */
export interface SliceRef {
  /** Absolute path of the source file (never written to). */
  file: string;
  /** Page within a multi-page TIFF, or undefined for a single-image file. */
  page?: number;
  /** Display name: the file name, with `#page` for a page of a multi-page file. */
  name: string;
  /** How a camera RAW file is developed; absent for every other image file. */
  develop?: RawColour;
}

/** Pixel layout shared by every slice of a stack and by its composite. */
export interface PixelLayout {
  width: number;
  height: number;
  /** Interleaved channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** Bits per channel sample. */
  bitDepth: 8 | 16;
}

export interface SkippedFile {
  file: string;
  reason: string;
}

export interface SliceStats {
  index: number;
  name: string;
  /** Mean raw local variance over the slice: a sharpness score comparable across slices. */
  meanVariance: number;
  /** Largest raw local variance in the slice. */
  maxVariance: number;
  /** Pixels of the composite taken from this slice. */
  pixelsWon: number;
}

/** A downsampled raw focus map (mean of each block), for display on a shared scale. */
export interface FocusPreview {
  width: number;
  height: number;
  /** Row-major raw variance values. */
  values: Float32Array;
}

export type StackPhase = 'probe' | 'align' | 'focus' | 'write';

/**
 * The engine's phases, the same as the app's. 'align', the alignment pre-pass of an aligned job
 * (between probe and focus), counts slices estimated against their neighbour: every slice but
 * the reference, so its total is one less than the stack's.
 */
export type EnginePhase = StackPhase;

export interface StackProgress {
  phase: EnginePhase;
  /** Slices finished so far. */
  done: number;
  total: number;
  /** The slice that just finished, when phase is 'focus'. */
  slice?: { index: number; name: string; meanVariance: number; maxVariance: number; preview?: FocusPreview };
  elapsedMs: number;
}

export interface StackTimings {
  probeMs: number;
  focusMs: number;
  writeMs: number;
  totalMs: number;
  /** The alignment pre-pass (estimation), when the job was aligned; warping is inside focusMs. */
  alignMs?: number;
}

/** How one slice was brought onto the reference slice's geometry and brightness. */
export interface SliceAlignment {
  index: number;
  name: string;
  /**
   * 'reference' for the slice the others are aligned to; 'ok' slices are aligned; 'failed' slices
   * are left unaligned (no believable estimate); 'still' slices are left as they are because their
   * motion is not real (align 'auto': within the estimate's uncertainty or under the threshold).
   */
  status: 'reference' | 'ok' | 'failed' | 'still';
  /** Why the estimate was rejected, when status is 'failed'. */
  reason?: string;
  /** Displacement of the frame centre from the reference to this slice, in pixels. */
  shiftX: number;
  shiftY: number;
  /** Rotation from the reference to this slice, degrees counter-clockwise on screen (y down: clockwise). */
  rotationDeg: number;
  /** Magnification relative to the reference (1.02: this slice shows things 2% larger). */
  scale: number;
  /** How far the estimate moves the frame's corners from the reference's, in pixels (0 when failed). */
  motion: number;
  /**
   * How far that estimate can be trusted, in pixels: the disagreement of the image's quadrants
   * estimated apart, added up along the chain of neighbours to the reference. Absent when the
   * slices hold too little detail to measure it (or the estimate failed).
   */
  uncertainty?: number;
  /** Row-major 2x3 matrix mapping reference pixel coordinates to this slice's, full resolution. */
  matrix: number[];
  /** Brightness correction per colour channel: corrected = gain * value + offset (sample units). */
  gains: number[];
  offsets: number[];
}

/** The alignment of a whole stack; the composite and index map are in the `crop` frame. */
export interface StackAlignment {
  /** The model estimated (align 'auto' estimates a similarity). */
  method: 'translation' | 'similarity' | 'affine';
  /** 'auto': only motion that is real is applied; 'forced': the model was asked for by name. */
  mode: 'auto' | 'forced';
  /**
   * Set when align 'auto' left a microscope z-stack unaligned without estimating anything (then
   * `slices` is empty): why the stack counts as one, e.g. "16-bit greyscale TIFF".
   */
  microscope?: string;
  /** Whether any slice was moved or re-levelled; false: the output is the unaligned stack's, bit for bit. */
  applied: boolean;
  /** The slice whose estimated motion is largest, with that motion and its uncertainty (pixels). */
  largestMotion: { slice: number; motion: number; uncertainty?: number };
  /** One line for people ("aligned stack detected: nothing applied; largest motion ..."). */
  summary: string;
  reference: number;
  /** The output frame within the reference slice (the whole slice with keepSize). */
  crop: { x: number; y: number; width: number; height: number };
  slices: SliceAlignment[];
  /** Time spent estimating (the pre-pass), in milliseconds. */
  estimateMs: number;
}
