// Retouching as data: strokes that paint a chosen source slice's pixels onto the composite (or,
// with the eraser, bring the merged result back), their file format and its validation, the
// round brush's coverage, and undo/redo as an operation list. Pure: the engine applies strokes
// to the full-resolution composite, the app previews them, and both use the coverage below, so
// what the app shows is what the engine writes.
import { z } from 'zod';
import { describeExpected } from './options';

export const RETOUCH_VERSION = 1;

const unit = z.number().min(0).max(1);
const point = z.tuple([z.number().refine(Number.isFinite), z.number().refine(Number.isFinite)]);
const brushFields = {
  /** Diameter of the round brush, in composite pixels. */
  size: z.number().gt(0).max(10000),
  /** 1: full strength to the edge; lower: full strength out to hardness x radius, then a smooth fall to 0 at the edge. */
  hardness: unit.default(1),
  /** Strength at the brush's centre, 0..1. */
  opacity: unit.default(1),
  /**
   * The stroke's path in the composite's pixel coordinates: x right and y down from the image's
   * top-left corner, so pixel (i, j) covers [i, i+1) x [j, j+1) and is painted by its centre.
   */
  points: z.array(point).min(1),
};

export const retouchStrokeSchema = z.discriminatedUnion('tool', [
  /** Copies the source slice's pixels (in the composite's frame) onto the composite. */
  z.object({ tool: z.literal('brush'), slice: z.number().int().min(0), ...brushFields }),
  /** Restores the merged result (composite and depth) under the brush. */
  z.object({ tool: z.literal('eraser'), ...brushFields }),
]);

export const retouchSchema = z.object({
  version: z.literal(RETOUCH_VERSION),
  strokes: z.array(retouchStrokeSchema),
});

export type RetouchStroke = z.output<typeof retouchStrokeSchema>;
export type Retouch = z.output<typeof retouchSchema>;

/** What each field must hold, in the user's words, for error messages. */
const EXPECTED: Record<string, string> = {
  version: `${RETOUCH_VERSION} (the retouch format's version)`,
  strokes: 'a list of strokes',
  tool: "'brush' or 'eraser'",
  slice: 'a slice number from 0 (0-based, like the index map)',
  size: 'a brush diameter in pixels, above 0 and up to 10000',
  hardness: 'a number from 0 to 1',
  opacity: 'a number from 0 to 1',
  points: 'a list of [x, y] points in composite pixels (at least one)',
};

function fieldName(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('') || 'the retouch file';
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

/**
 * Validates retouch data, throwing one line that names the first bad field (strokes[2].size) with
 * what was expected and what was received.
 */
export function parseRetouch(input: unknown): Retouch {
  const result = retouchSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  // A bad point names its list; a missing or unknown tool names the tool.
  const path = issue.path.slice(0, issue.path.findIndex((p) => p === 'points') + 1 || undefined);
  const key = [...path].reverse().find((p): p is string => typeof p === 'string');
  const expected = key && EXPECTED[key] ? EXPECTED[key] : issue.message;
  return fail(describeExpected(expected, fieldName(path), valueAt(input, path)));
}

function fail(message: string): never {
  throw new Error(message);
}

/** Checks every brush stroke's slice against the stack's slice count. */
export function checkRetouchSlices(retouch: Retouch, sliceCount: number): void {
  retouch.strokes.forEach((stroke, i) => {
    if (stroke.tool === 'brush' && stroke.slice >= sliceCount) {
      fail(describeExpected(`a slice number from 0 to ${sliceCount - 1}`, `strokes[${i}].slice`, stroke.slice));
    }
  });
}

/** A rectangle of composite pixels. */
export interface PixelWindow {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The pixels a stroke can touch, clipped to a width x height frame; undefined if none. */
export function strokeWindow(stroke: RetouchStroke, width: number, height: number): PixelWindow | undefined {
  const r = stroke.size / 2;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of stroke.points) {
    x0 = Math.min(x0, x - r);
    y0 = Math.min(y0, y - r);
    x1 = Math.max(x1, x + r);
    y1 = Math.max(y1, y + r);
  }
  // Pixel i is painted by its centre i + 0.5.
  const left = Math.max(0, Math.ceil(x0 - 0.5));
  const top = Math.max(0, Math.ceil(y0 - 0.5));
  const right = Math.min(width, Math.floor(x1 - 0.5) + 1);
  const bottom = Math.min(height, Math.floor(y1 - 0.5) + 1);
  if (right <= left || bottom <= top) return undefined;
  return { left, top, width: right - left, height: bottom - top };
}

/** The round brush's strength at distance d from its path: 1 inside hardness x radius, smoothstep down to 0 at the radius. */
export function brushStrength(d: number, radius: number, hardness: number): number {
  if (d > radius) return 0;
  const inner = hardness * radius;
  if (d <= inner) return 1;
  const t = (d - inner) / (radius - inner);
  return 1 - t * t * (3 - 2 * t);
}

/**
 * The stroke's strength (opacity x brush) at every pixel of `window`, row-major. Within one stroke
 * strength does not build up where the path crosses itself: each pixel takes its nearest approach.
 */
export function strokeCoverage(stroke: RetouchStroke, window: PixelWindow): Float32Array {
  const coverage = new Float32Array(window.width * window.height);
  const r = stroke.size / 2;
  const { points } = stroke;
  const segments = Math.max(1, points.length - 1);
  for (let s = 0; s < segments; s++) {
    const [ax, ay] = points[s];
    const [bx, by] = points[Math.min(s + 1, points.length - 1)];
    const dx = bx - ax;
    const dy = by - ay;
    const length2 = dx * dx + dy * dy;
    const left = Math.max(window.left, Math.ceil(Math.min(ax, bx) - r - 0.5));
    const right = Math.min(window.left + window.width, Math.floor(Math.max(ax, bx) + r - 0.5) + 1);
    const top = Math.max(window.top, Math.ceil(Math.min(ay, by) - r - 0.5));
    const bottom = Math.min(window.top + window.height, Math.floor(Math.max(ay, by) + r - 0.5) + 1);
    for (let y = top; y < bottom; y++) {
      const py = y + 0.5;
      for (let x = left; x < right; x++) {
        const px = x + 0.5;
        const t = length2 === 0 ? 0 : Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / length2));
        const d = Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
        const strength = brushStrength(d, r, stroke.hardness) * stroke.opacity;
        const i = (y - window.top) * window.width + (x - window.left);
        if (strength > coverage[i]) coverage[i] = strength;
      }
    }
  }
  return coverage;
}

/** Strokes painted and strokes undone (the redo list, most recent last). */
export interface RetouchHistory {
  strokes: RetouchStroke[];
  undone: RetouchStroke[];
}

export const EMPTY_HISTORY: RetouchHistory = { strokes: [], undone: [] };

/** A new stroke; it clears what could be redone, as in every editor. */
export function addStroke(history: RetouchHistory, stroke: RetouchStroke): RetouchHistory {
  return { strokes: [...history.strokes, stroke], undone: [] };
}

export function undoStroke(history: RetouchHistory): RetouchHistory {
  const last = history.strokes.at(-1);
  return last ? { strokes: history.strokes.slice(0, -1), undone: [...history.undone, last] } : history;
}

export function redoStroke(history: RetouchHistory): RetouchHistory {
  const next = history.undone.at(-1);
  return next ? { strokes: [...history.strokes, next], undone: history.undone.slice(0, -1) } : history;
}
