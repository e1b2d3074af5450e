// The focus measure's hot kernel, compiled to WebAssembly SIMD by AssemblyScript
// (scripts/build-kernel.js): the raw local variance v = G*L^2 - (G*L)^2 of one band of rows, with
// L = 0.299 R + 0.587 G + 0.114 B folded into the first pass. The float64 JavaScript kernel in
// src/main/engine/focus-measure.ts is the reference it is tested against.
//
// Precision: f32x4 lanes, made accurate by working on L - c, with c the mean luminance of each
// 256-column tile. The variance does not change under that shift, but the magnitudes that cancel
// in s - m^2 shrink from L^2 (up to 4e9 on 16-bit data, where float32 E[L^2] - E[L]^2 loses
// everything) to the tile's own spread. c is a whole number subtracted from every channel sample
// as an integer, so the small differences are exact before any rounding. Where a tile's spread
// still dwarfs the variance the slice has shown so far (a steep smooth ramp, say), the estimated
// float32 error could reach the accuracy bound (1e-5 of the map's maximum): that tile is
// recomputed in float64.
//
// Speed (platform notes): both blurs in one horizontal pass; the vertical pass sums m and s in
// separate loops (fewer register spills); a compile-time tile width with rows padded by 16 floats
// (no cache-set aliasing at power-of-two strides).
//
// Memory is laid out by the caller (src/main/engine/kernel/focus-variance.ts): every pointer is
// handed to `configure`, and nothing here allocates.

const TILE: i32 = 256;
const STRIDE: i32 = TILE + 16; // floats per row of the horizontal-pass buffers
const ROUNDING: f64 = 5.960464477539063e-8; // 2^-24, float32 unit roundoff
/** Estimated float32 error of v in units of ROUNDING * s (measured worst cases are ~30). */
const ERROR_PER_ROUNDING: f64 = 32;
/** The share of the 1e-5 accuracy bound the estimated error may use before a tile is redone in f64. */
const ERROR_BUDGET: f64 = 5e-6;

// Set by configure().
let width: i32 = 0;
let channels: i32 = 0;
let sixteen: bool = false;
let radius: i32 = 0;
let rowBytes: i32 = 0;
let input: usize = 0; // (rows + 2 radius) source rows, already reflected at the top and bottom
let weights: usize = 0; // f32x4 splats of the kernel's right half, centre first
let weights64: usize = 0; // f64, same order
let lum: usize = 0; // one luminance row of a tile plus its horizontal halo, f32 (f64 in fallback)
let rowMean: usize = 0; // horizontal pass, (rows + 2 radius) x STRIDE f32 (f64 in fallback)
let rowMeanSq: usize = 0;
let colMean: usize = 0; // one row of vertical means, TILE f32 (f64 in fallback)
let output: usize = 0; // rows x width f32
let stats: usize = 0; // f64 x 4: sum of v, max v, tiles redone in f64, spare

export function heapBase(): usize {
  return __heap_base;
}

export function configure(
  width_: i32,
  channels_: i32,
  sixteen_: i32,
  radius_: i32,
  input_: usize,
  weights_: usize,
  weights64_: usize,
  lum_: usize,
  rowMean_: usize,
  rowMeanSq_: usize,
  colMean_: usize,
  output_: usize,
  stats_: usize,
): void {
  width = width_;
  channels = channels_;
  sixteen = sixteen_ != 0;
  radius = radius_;
  rowBytes = width_ * channels_ * (sixteen_ ? 2 : 1);
  input = input_;
  weights = weights_;
  weights64 = weights64_;
  lum = lum_;
  rowMean = rowMean_;
  rowMeanSq = rowMeanSq_;
  colMean = colMean_;
  output = output_;
  stats = stats_;
}

/** scipy's 'reflect' border (d c b a | a b c d | d c b a), folded periodically for tiny images. */
@inline function reflect(i: i32, size: i32): i32 {
  if (size == 1) return 0;
  const period = size << 1;
  let j = i % period;
  if (j < 0) j += period;
  return j < size ? j : period - 1 - j;
}

@inline function sample(row: usize, index: i32): i32 {
  return sixteen ? <i32>load<u16>(row + (<usize>index << 1)) : <i32>load<u8>(row + <usize>index);
}

/** L(x) - c of source row `row`, the scalar way (borders, grey+alpha, RGBA). */
@inline function luminanceAt(row: usize, x: i32, c: i32): f32 {
  const i = x * channels;
  if (channels >= 3) {
    return (
      <f32>0.299 * <f32>(sample(row, i) - c) +
      <f32>0.587 * <f32>(sample(row, i + 1) - c) +
      <f32>0.114 * <f32>(sample(row, i + 2) - c)
    );
  }
  return <f32>(sample(row, i) - c);
}

/** The same in float64, for the fallback. */
@inline function luminanceAt64(row: usize, x: i32, c: i32): f64 {
  const i = x * channels;
  if (channels >= 3) {
    return 0.299 * <f64>(sample(row, i) - c) + 0.587 * <f64>(sample(row, i + 1) - c) + 0.114 * <f64>(sample(row, i + 2) - c);
  }
  return <f64>(sample(row, i) - c);
}

/** The tile's offset: mean luminance on a sparse grid (any value near the tile's own is enough). */
function tileOffset(x0: i32, tileWidth: i32, inputRows: i32): i32 {
  let sum: f64 = 0;
  let count: i32 = 0;
  for (let j = 0; j < inputRows; j += 8) {
    const row = input + <usize>(j * rowBytes);
    for (let x = x0; x < x0 + tileWidth; x += 8) {
      sum += luminanceAt64(row, x, 0);
      count++;
    }
  }
  return <i32>Math.round(sum / <f64>count);
}

/** Fills lum[0 .. TILE + 2 radius) with L - c for columns x0 - radius onwards of input row j. */
function fillLuminance(j: i32, x0: i32, c: i32): void {
  const row = input + <usize>(j * rowBytes);
  const first = x0 - radius;
  const end = x0 + TILE + radius;
  // Columns whose four-pixel group lies inside the image go through SIMD; the rest are mirrored.
  const simdStart = max(first, 0);
  const simdEnd = min(end, width - 3);
  let x = first;
  for (; x < simdStart; x++) store<f32>(lum + (<usize>(x - first) << 2), luminanceAt(row, reflect(x, width), c));
  if (channels == 3 || channels == 1) {
    const offset = i32x4.splat(c);
    const wr = f32x4.splat(0.299);
    const wg = f32x4.splat(0.587);
    const wb = f32x4.splat(0.114);
    if (channels == 3 && !sixteen) {
      for (; x < simdEnd; x += 4) {
        const v = v128.load(row + <usize>(x * 3));
        const r = i32x4.sub(i8x16.swizzle(v, i8x16(0, 16, 16, 16, 3, 16, 16, 16, 6, 16, 16, 16, 9, 16, 16, 16)), offset);
        const g = i32x4.sub(i8x16.swizzle(v, i8x16(1, 16, 16, 16, 4, 16, 16, 16, 7, 16, 16, 16, 10, 16, 16, 16)), offset);
        const b = i32x4.sub(i8x16.swizzle(v, i8x16(2, 16, 16, 16, 5, 16, 16, 16, 8, 16, 16, 16, 11, 16, 16, 16)), offset);
        const l = f32x4.add(
          f32x4.add(f32x4.mul(wr, f32x4.convert_i32x4_s(r)), f32x4.mul(wg, f32x4.convert_i32x4_s(g))),
          f32x4.mul(wb, f32x4.convert_i32x4_s(b)),
        );
        v128.store(lum + (<usize>(x - first) << 2), l);
      }
    } else if (channels == 3) {
      const low = i32x4.splat(0xffff);
      for (; x < simdEnd; x += 4) {
        const p = row + <usize>(x * 6);
        const v0 = v128.load(p);
        const v1 = v128.load(p, 16);
        const r = i32x4.sub(v128.and(i8x16.shuffle(v0, v1, 0, 1, 0, 0, 6, 7, 0, 0, 12, 13, 0, 0, 18, 19, 0, 0), low), offset);
        const g = i32x4.sub(v128.and(i8x16.shuffle(v0, v1, 2, 3, 0, 0, 8, 9, 0, 0, 14, 15, 0, 0, 20, 21, 0, 0), low), offset);
        const b = i32x4.sub(v128.and(i8x16.shuffle(v0, v1, 4, 5, 0, 0, 10, 11, 0, 0, 16, 17, 0, 0, 22, 23, 0, 0), low), offset);
        const l = f32x4.add(
          f32x4.add(f32x4.mul(wr, f32x4.convert_i32x4_s(r)), f32x4.mul(wg, f32x4.convert_i32x4_s(g))),
          f32x4.mul(wb, f32x4.convert_i32x4_s(b)),
        );
        v128.store(lum + (<usize>(x - first) << 2), l);
      }
    } else if (!sixteen) {
      for (; x < simdEnd; x += 4) {
        const v = i32x4.extend_low_i16x8_u(v128.load8x8_u(row + <usize>x));
        v128.store(lum + (<usize>(x - first) << 2), f32x4.convert_i32x4_s(i32x4.sub(v, offset)));
      }
    } else {
      for (; x < simdEnd; x += 4) {
        const v = v128.load16x4_u(row + (<usize>x << 1));
        v128.store(lum + (<usize>(x - first) << 2), f32x4.convert_i32x4_s(i32x4.sub(v, offset)));
      }
    }
  }
  for (; x < end; x++) store<f32>(lum + (<usize>(x - first) << 2), luminanceAt(row, reflect(x, width), c));
}

/** Horizontal pass over one luminance row: m and s of the tile's TILE columns, both blurs at once. */
function blurRow(j: i32): void {
  const w0 = v128.load(weights);
  const m0 = rowMean + <usize>(j * STRIDE * 4);
  const s0 = rowMeanSq + <usize>(j * STRIDE * 4);
  for (let x = 0; x < TILE; x += 4) {
    const q = lum + (<usize>(x + radius) << 2);
    const a = v128.load(q);
    let m = f32x4.mul(w0, a);
    let s = f32x4.mul(w0, f32x4.mul(a, a));
    for (let t = 1; t <= radius; t++) {
      const w = v128.load(weights + (<usize>t << 4));
      const l = v128.load(q - (<usize>t << 2));
      const h = v128.load(q + (<usize>t << 2));
      m = f32x4.add(m, f32x4.mul(w, f32x4.add(l, h)));
      s = f32x4.add(s, f32x4.mul(w, f32x4.add(f32x4.mul(l, l), f32x4.mul(h, h))));
    }
    v128.store(m0 + (<usize>x << 2), m);
    v128.store(s0 + (<usize>x << 2), s);
  }
}

/**
 * Vertical pass and v for one tile; returns the tile's largest s (in L - c units), the measure of
 * how much cancellation its float32 v went through. Adds to stats[0] (sum) and stats[1] (max).
 */
function verticalPass(x0: i32, tileWidth: i32, rows: i32): f64 {
  const w0 = v128.load(weights);
  const rowStep = <usize>(STRIDE * 4);
  const zero = f32x4.splat(0);
  const vectors = (tileWidth + 3) >> 2;
  const fullVectors = tileWidth >> 2;
  let maxS = zero;
  let maxV = zero;
  let sum: f64 = 0;
  for (let y = 0; y < rows; y++) {
    const centre = <usize>((y + radius) * STRIDE * 4);
    for (let k = 0; k < vectors; k++) {
      const c = rowMean + centre + (<usize>k << 4);
      let m = f32x4.mul(w0, v128.load(c));
      for (let t = 1; t <= radius; t++) {
        const w = v128.load(weights + (<usize>t << 4));
        const d = rowStep * <usize>t;
        m = f32x4.add(m, f32x4.mul(w, f32x4.add(v128.load(c - d), v128.load(c + d))));
      }
      v128.store(colMean + (<usize>k << 4), m);
    }
    const out = output + (<usize>(y * width + x0) << 2);
    let rowSum = zero;
    for (let k = 0; k < vectors; k++) {
      const c = rowMeanSq + centre + (<usize>k << 4);
      let s = f32x4.mul(w0, v128.load(c));
      for (let t = 1; t <= radius; t++) {
        const w = v128.load(weights + (<usize>t << 4));
        const d = rowStep * <usize>t;
        s = f32x4.add(s, f32x4.mul(w, f32x4.add(v128.load(c - d), v128.load(c + d))));
      }
      const m = v128.load(colMean + (<usize>k << 4));
      let v = f32x4.max(f32x4.sub(s, f32x4.mul(m, m)), zero);
      if (k < fullVectors) {
        v128.store(out + (<usize>k << 4), v);
        rowSum = f32x4.add(rowSum, v);
        maxV = f32x4.max(maxV, v);
        maxS = f32x4.max(maxS, s);
      } else {
        // The image's last columns: only the lanes inside it count.
        const valid = tileWidth - (k << 2);
        for (let lane = 0; lane < valid; lane++) {
          const vl = f32x4.extract_lane(v, 0);
          const sl = f32x4.extract_lane(s, 0);
          store<f32>(out + (<usize>((k << 2) + lane) << 2), vl);
          sum += <f64>vl;
          maxV = f32x4.max(maxV, f32x4.splat(vl));
          maxS = f32x4.max(maxS, f32x4.splat(sl));
          v = v128.shuffle<f32>(v, v, 1, 2, 3, 0);
          s = v128.shuffle<f32>(s, s, 1, 2, 3, 0);
        }
      }
    }
    sum += <f64>f32x4.extract_lane(rowSum, 0) + <f64>f32x4.extract_lane(rowSum, 1);
    sum += <f64>f32x4.extract_lane(rowSum, 2) + <f64>f32x4.extract_lane(rowSum, 3);
  }
  store<f64>(stats, load<f64>(stats) + sum);
  const tileMax = max(max(f32x4.extract_lane(maxV, 0), f32x4.extract_lane(maxV, 1)), max(f32x4.extract_lane(maxV, 2), f32x4.extract_lane(maxV, 3)));
  store<f64>(stats, max(load<f64>(stats, 8), <f64>tileMax), 8);
  return <f64>max(max(f32x4.extract_lane(maxS, 0), f32x4.extract_lane(maxS, 1)), max(f32x4.extract_lane(maxS, 2), f32x4.extract_lane(maxS, 3)));
}

/** The tile again in float64, scalar: slow, exact enough for anything, and rarely needed. */
function tileFloat64(x0: i32, tileWidth: i32, rows: i32, c: i32): void {
  const span = tileWidth + 2 * radius;
  for (let j = 0; j < rows + 2 * radius; j++) {
    const row = input + <usize>(j * rowBytes);
    for (let p = 0; p < span; p++) store<f64>(lum + (<usize>p << 3), luminanceAt64(row, reflect(x0 - radius + p, width), c));
    const m0 = rowMean + <usize>(j * STRIDE * 8);
    const s0 = rowMeanSq + <usize>(j * STRIDE * 8);
    for (let x = 0; x < tileWidth; x++) {
      const q = lum + (<usize>(x + radius) << 3);
      const a = load<f64>(q);
      const w0 = load<f64>(weights64);
      let m = w0 * a;
      let s = w0 * a * a;
      for (let t = 1; t <= radius; t++) {
        const w = load<f64>(weights64 + (<usize>t << 3));
        const l = load<f64>(q - (<usize>t << 3));
        const h = load<f64>(q + (<usize>t << 3));
        m += w * (l + h);
        s += w * (l * l + h * h);
      }
      store<f64>(m0 + (<usize>x << 3), m);
      store<f64>(s0 + (<usize>x << 3), s);
    }
  }
  const rowStep = <usize>(STRIDE * 8);
  for (let y = 0; y < rows; y++) {
    const centre = <usize>((y + radius) * STRIDE * 8);
    const out = output + (<usize>(y * width + x0) << 2);
    for (let x = 0; x < tileWidth; x++) {
      const cm = rowMean + centre + (<usize>x << 3);
      const cs = rowMeanSq + centre + (<usize>x << 3);
      const w0 = load<f64>(weights64);
      let m = w0 * load<f64>(cm);
      let s = w0 * load<f64>(cs);
      for (let t = 1; t <= radius; t++) {
        const w = load<f64>(weights64 + (<usize>t << 3));
        const d = rowStep * <usize>t;
        m += w * (load<f64>(cm - d) + load<f64>(cm + d));
        s += w * (load<f64>(cs - d) + load<f64>(cs + d));
      }
      const v = s - m * m;
      store<f32>(out + (<usize>x << 2), v > 0 ? <f32>v : 0);
    }
  }
}

/** Sum and max of v over the tile as stored (after a float64 redo). */
function addTileStats(x0: i32, tileWidth: i32, rows: i32): void {
  let sum: f64 = 0;
  let top: f64 = load<f64>(stats, 8);
  for (let y = 0; y < rows; y++) {
    const out = output + (<usize>(y * width + x0) << 2);
    for (let x = 0; x < tileWidth; x++) {
      const v = <f64>load<f32>(out + (<usize>x << 2));
      sum += v;
      if (v > top) top = v;
    }
  }
  store<f64>(stats, load<f64>(stats) + sum);
  store<f64>(stats, top, 8);
}

/**
 * The focus map of `rows` output rows (input holds them plus `radius` rows above and below).
 * `runningMax` is the largest v of the slice so far (a lower bound of the map's maximum, which
 * the accuracy bound is relative to). Writes rows x width f32 to output; stats[0] += sum of v,
 * stats[1] = max v, stats[2] += tiles redone in float64.
 */
export function focusBand(rows: i32, runningMax: f64): void {
  const inputRows = rows + 2 * radius;
  for (let x0 = 0; x0 < width; x0 += TILE) {
    const tileWidth = min(TILE, width - x0);
    const c = tileOffset(x0, tileWidth, inputRows);
    for (let j = 0; j < inputRows; j++) {
      fillLuminance(j, x0, c);
      blurRow(j);
    }
    const sumBefore = load<f64>(stats);
    const maxBefore = load<f64>(stats, 8);
    const maxS = verticalPass(x0, tileWidth, rows);
    const bound = max(runningMax, load<f64>(stats, 8));
    if (ERROR_PER_ROUNDING * ROUNDING * maxS > ERROR_BUDGET * bound) {
      store<f64>(stats, sumBefore);
      store<f64>(stats, maxBefore, 8);
      tileFloat64(x0, tileWidth, rows, c);
      addTileStats(x0, tileWidth, rows);
      store<f64>(stats, load<f64>(stats, 16) + 1, 16);
    }
  }
}
