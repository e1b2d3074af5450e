// Stage "align", estimation: the geometric transform (translation, similarity or affine) and the
// per-channel gain + offset that carry one slice onto its neighbour, from reduced-resolution grey
// copies. Geometry by inverse-compositional Gauss-Newton image alignment on a Gaussian pyramid
// (Baker & Matthews, "Lucas-Kanade 20 Years On: A Unifying Framework", IJCV 56(3), 2004) with a
// global gain/bias fitted in closed form at every iteration, so exposure flicker does not bias the
// geometry (the photometric invariance of ECC, Evangelidis & Psarakis, IEEE PAMI 30(10), 2008).
// A coarse exhaustive translation search by normalised cross-correlation seeds the pyramid, so
// shifts up to a quarter of the frame are caught. Slices differ in what is sharp, so everything
// is estimated on low-passed images: the pyramid levels, and the block means the brightness
// fit uses (blur keeps local means, which is what gain and offset act on).
import { IDENTITY, fullToReducedTransform, reducedToFullTransform, type Affine, type GreyImage } from './geometry';
import { fitBrightness, type BrightnessFit } from './brightness';
import { estimatePair, rectangleMotion, type AlignModel, type QuadrantEstimate } from './gauss-newton';
import type { AlignmentCopies } from './prepare';

/** One estimate between a slice and its neighbour towards the reference, full-resolution pixels. */
export interface PairResult {
  /** Maps pixel coordinates of the neighbour (nearer the reference) onto the slice. */
  matrix: Affine;
  correlation: number;
  converged: boolean;
  /**
   * How far the estimate can be trusted, in full-resolution pixels: the largest disagreement with
   * `matrix`, over each quadrant's own corners, of that quadrant estimated alone. Absent when fewer
   * than two quadrants hold enough detail to estimate on, or when not asked for.
   */
  uncertainty?: number;
  /** neighbour ~ gain * slice + offset. */
  brightness?: BrightnessFit;
  /** Set when the estimate could not be made at all (e.g. the slice is too small). */
  error?: string;
}


/** Minimum size of the grey copy for a meaningful estimate. */
const MIN_SIDE = 32;

/**
 * Estimates slice `far` against its neighbour `near` (the one nearer the reference) from their
 * reduced copies, and expresses the result at the full resolution `width` x `height`; with
 * `measureUncertainty` (align 'auto'), also how far that estimate can be trusted.
 */
export function estimateNeighbour(near: AlignmentCopies, far: AlignmentCopies, model: AlignModel, width: number, height: number, measureUncertainty = false): PairResult {
  const grey = near.pyramid[0];
  if (Math.min(grey.width, grey.height) < MIN_SIDE) {
    return { matrix: IDENTITY, correlation: 0, converged: false, error: `the slices are too small to align (under ${MIN_SIDE} px)` };
  }
  const found = estimatePair(near.pyramid, far.pyramid, model, measureUncertainty);
  const matrix = reducedToFullTransform(found.matrix, width, height, grey.width, grey.height);
  const onColour = fullToReducedTransform(matrix, width, height, near.colour.width, near.colour.height);
  const uncertainty = found.quadrants ? quadrantSpread(found.quadrants, grey, matrix, width, height) : undefined;
  return {
    matrix,
    correlation: found.correlation,
    converged: found.converged,
    ...(uncertainty === undefined ? {} : { uncertainty }),
    brightness: fitBrightness(near.colour, far.colour, onColour),
  };
}

/**
 * PairResult.uncertainty: each quadrant's own estimate against the whole frame's, compared over
 * that quadrant only, so a quadrant's short lever arm does not magnify its noise at the far corners.
 */
function quadrantSpread(quadrants: Array<QuadrantEstimate | undefined>, template: GreyImage, full: Affine, width: number, height: number): number | undefined {
  const sx = width / template.width;
  const sy = height / template.height;
  const spreads: number[] = [];
  for (const q of quadrants) {
    if (!q) continue;
    const x = Math.round(q.quadrant.x * sx);
    const y = Math.round(q.quadrant.y * sy);
    const region = { x, y, width: Math.round((q.quadrant.x + q.quadrant.width) * sx) - x, height: Math.round((q.quadrant.y + q.quadrant.height) * sy) - y };
    spreads.push(rectangleMotion(reducedToFullTransform(q.matrix, width, height, template.width, template.height), region, full));
  }
  return spreads.length >= 2 ? Math.max(...spreads) : undefined;
}
