// Stage "align": the Gaussian pyramid of a grey copy (binomial 5-tap filter, halving per level)
// that estimation runs on, coarse to fine.
import type { GreyImage } from './geometry';

/** Coarsest pyramid level's longest side: small enough for an exhaustive translation search. */
export const SEARCH_SIDE = 96;

// The per-pixel loops below live in small functions, one loop (often one row) each: V8 compiles a
// long loop only while it runs (on-stack replacement), and code after it that has not run yet
// throws that compiled code away again, many times over on a worker's first slices; a small
// function called per row is compiled whole after a few rows.

const BINOMIAL = [1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16];

/** One separable binomial [1 4 6 4 1]/16 blur with edge replication, then 2x decimation. */
export function downsample(image: GreyImage): GreyImage {
  const { width, height } = image;
  const w2 = Math.max(1, Math.floor(width / 2));
  const h2 = Math.max(1, Math.floor(height / 2));
  // Level pixel i covers parent pixels 2i and 2i+1: its centre is at parent 2i + 0.5. Each row's
  // column pairs are summed once (exactly, in doubles), then the rows are filtered.
  const pairs = columnPairs(blurRows(image), width, height, w2);
  return { width: w2, height: h2, data: blurAndHalveColumns(pairs, w2, height, h2) };
}

function blurRows(image: GreyImage): Float32Array {
  const out = new Float32Array(image.width * image.height);
  for (let y = 0; y < image.height; y++) blurRow(image, y, out);
  return out;
}

function blurRow({ width, data }: GreyImage, y: number, out: Float32Array): void {
  const [k0, k1, k2, k3, k4] = BINOMIAL;
  const row = y * width;
  // Inside the row the taps need no clamping: the same sum in the same order, in a loop of its own.
  for (let i = row + 2; i < row + width - 2; i++) out[i] = k0 * data[i - 2] + k1 * data[i - 1] + k2 * data[i] + k3 * data[i + 1] + k4 * data[i + 2];
  for (const x of [0, 1, width - 2, width - 1]) {
    if (x < 0 || x >= width) continue;
    let s = 0;
    for (let t = -2; t <= 2; t++) {
      const xx = x + t < 0 ? 0 : x + t >= width ? width - 1 : x + t;
      s += BINOMIAL[t + 2] * data[row + xx];
    }
    out[row + x] = s;
  }
}

function columnPairs(rows: Float32Array, width: number, height: number, w2: number): Float64Array {
  const pairs = new Float64Array(w2 * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < w2; x++) pairs[y * w2 + x] = rows[y * width + 2 * x] + rows[y * width + Math.min(width - 1, 2 * x + 1)];
  }
  return pairs;
}

function blurAndHalveColumns(pairs: Float64Array, w2: number, height: number, h2: number): Float32Array {
  const out = new Float32Array(w2 * h2);
  // Halved weights: w * 0.5 is exact, so the products are as in w * 0.5 * pair.
  const [k0, k1, k2, k3, k4] = BINOMIAL.map((w) => w * 0.5);
  for (let y = 0; y < h2; y++) {
    if (2 * y - 2 >= 0 && 2 * y + 3 <= height - 1) {
      // Rows 2y-2 .. 2y+3 all exist: no clamps, the same sum in the same order.
      const r = (2 * y - 2) * w2;
      for (let x = 0; x < w2; x++) {
        const i = r + x;
        const s =
          k0 * pairs[i] + k0 * pairs[i + w2] +
          k1 * pairs[i + w2] + k1 * pairs[i + 2 * w2] +
          k2 * pairs[i + 2 * w2] + k2 * pairs[i + 3 * w2] +
          k3 * pairs[i + 3 * w2] + k3 * pairs[i + 4 * w2] +
          k4 * pairs[i + 4 * w2] + k4 * pairs[i + 5 * w2];
        out[y * w2 + x] = s / 2;
      }
      continue;
    }
    for (let x = 0; x < w2; x++) {
      let s = 0;
      for (let t = -2; t <= 2; t++) {
        const w = BINOMIAL[t + 2];
        const ya = Math.min(height - 1, Math.max(0, 2 * y + t));
        const yb = Math.min(height - 1, Math.max(0, 2 * y + 1 + t));
        s += w * 0.5 * pairs[ya * w2 + x];
        s += w * 0.5 * pairs[yb * w2 + x];
      }
      out[y * w2 + x] = s / 2;
    }
  }
  return out;
}

/** Gaussian pyramid, finest first, down to about SEARCH_SIDE on the longest side. */
export function buildPyramid(image: GreyImage): GreyImage[] {
  const levels = [image];
  while (Math.max(levels[levels.length - 1].width, levels[levels.length - 1].height) > SEARCH_SIDE * 1.5) {
    levels.push(downsample(levels[levels.length - 1]));
  }
  return levels;
}
