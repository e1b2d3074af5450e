// The focus measure's hot kernel, compiled to WebAssembly SIMD by AssemblyScript
// (scripts/build-kernel.js): the raw local variance v = G*L^2 - (G*L)^2 of one block of rows, with
// L = 0.299 R + 0.587 G + 0.114 B folded into the first pass. The float64 JavaScript kernel in
// src/main/engine/focus-measure.ts is the reference it is tested against.
//
// Precision: f64x2 lanes on L - c, with c a whole number near the mean luminance of each
// 128-column tile, subtracted from every channel sample as an integer before any rounding. The
// variance does not change under that shift, but the magnitudes that cancel in s - m^2 shrink
// from L^2 (up to 4e9 on 16-bit data) to the tile's own spread. float32 lanes with the same
// offset were twice as fast but measured 6.8e-6 of the map's maximum on the benchmark's 8-bit
// scene (whose maximum variance is only ~200, against a spread of ~100 levels per tile): too
// close to the 1e-5 bound, and far off relative to the local variance where a tile mixes bright
// and dark 16-bit areas.
//
// Speed (platform notes): both blurs in one horizontal pass; the vertical pass sums m and s in
// separate loops (fewer register spills); a compile-time tile width with rows padded by 16
// elements (no cache-set aliasing at power-of-two strides).
//
// Memory is laid out by the caller (src/main/engine/kernel/focus-variance.ts): every pointer is
// handed to `configure`, and nothing here allocates.

const TILE: i32 = 128;
const STRIDE: i32 = TILE + 16; // f64 per row of the horizontal-pass buffers

// Set by configure().
let width: i32 = 0;
let channels: i32 = 0;
let sixteen: bool = false;
let radius: i32 = 0;
let rowBytes: i32 = 0;
let input: usize = 0; // (rows + 2 radius) source rows, already reflected at the top and bottom
let weights: usize = 0; // f64x2 splats of the kernel's right half, centre first
let lum: usize = 0; // one luminance row of a tile plus its horizontal halo, f64
let rowMean: usize = 0; // horizontal pass, (rows + 2 radius) x STRIDE f64
let rowMeanSq: usize = 0;
let colMean: usize = 0; // one row of vertical means, TILE f64
let output: usize = 0; // rows x width f32
let stats: usize = 0; // f64 x 2: sum of v, max v

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

/** L(x) - c of a source row, the scalar way (borders, grey+alpha, RGBA). */
@inline function luminanceAt(row: usize, x: i32, c: i32): f64 {
  const i = x * channels;
  if (channels >= 3) {
    return 0.299 * <f64>(sample(row, i) - c) + 0.587 * <f64>(sample(row, i + 1) - c) + 0.114 * <f64>(sample(row, i + 2) - c);
  }
  return <f64>(sample(row, i) - c);
}

/** The tile's offset: mean luminance on a sparse grid (any value near the tile's own will do). */
function tileOffset(x0: i32, tileWidth: i32, inputRows: i32): i32 {
  let sum: f64 = 0;
  let count: i32 = 0;
  for (let j = 0; j < inputRows; j += 8) {
    const row = input + <usize>(j * rowBytes);
    for (let x = x0; x < x0 + tileWidth; x += 8) {
      sum += luminanceAt(row, x, 0);
      count++;
    }
  }
  return <i32>Math.round(sum / <f64>count);
}

/** Stores four luminances given as i32x4 channel differences, as two f64x2. */
@inline function storeLuminance(at: usize, r: v128, g: v128, b: v128): void {
  const wr = f64x2.splat(0.299);
  const wg = f64x2.splat(0.587);
  const wb = f64x2.splat(0.114);
  const low = f64x2.add(
    f64x2.add(f64x2.mul(wr, f64x2.convert_low_i32x4_s(r)), f64x2.mul(wg, f64x2.convert_low_i32x4_s(g))),
    f64x2.mul(wb, f64x2.convert_low_i32x4_s(b)),
  );
  const rh = v128.shuffle<i32>(r, r, 2, 3, 0, 1);
  const gh = v128.shuffle<i32>(g, g, 2, 3, 0, 1);
  const bh = v128.shuffle<i32>(b, b, 2, 3, 0, 1);
  const high = f64x2.add(
    f64x2.add(f64x2.mul(wr, f64x2.convert_low_i32x4_s(rh)), f64x2.mul(wg, f64x2.convert_low_i32x4_s(gh))),
    f64x2.mul(wb, f64x2.convert_low_i32x4_s(bh)),
  );
  v128.store(at, low);
  v128.store(at, high, 16);
}

@inline function storeGrey(at: usize, v: v128): void {
  v128.store(at, f64x2.convert_low_i32x4_s(v));
  v128.store(at, f64x2.convert_low_i32x4_s(v128.shuffle<i32>(v, v, 2, 3, 0, 1)), 16);
}

/** Fills lum[0 .. TILE + 2 radius) with L - c for columns x0 - radius onwards of input row j. */
function fillLuminance(j: i32, x0: i32, c: i32): void {
  const row = input + <usize>(j * rowBytes);
  const first = x0 - radius;
  const end = x0 + TILE + radius;
  // Groups of four pixels inside the image go through SIMD; the rest are mirrored one by one.
  const simdStart = max(first, 0);
  const simdEnd = min(end, width - 3);
  let x = first;
  for (; x < simdStart; x++) store<f64>(lum + (<usize>(x - first) << 3), luminanceAt(row, reflect(x, width), c));
  const offset = i32x4.splat(c);
  if (channels == 3 && !sixteen) {
    for (; x < simdEnd; x += 4) {
      const v = v128.load(row + <usize>(x * 3));
      const r = i32x4.sub(i8x16.swizzle(v, i8x16(0, 16, 16, 16, 3, 16, 16, 16, 6, 16, 16, 16, 9, 16, 16, 16)), offset);
      const g = i32x4.sub(i8x16.swizzle(v, i8x16(1, 16, 16, 16, 4, 16, 16, 16, 7, 16, 16, 16, 10, 16, 16, 16)), offset);
      const b = i32x4.sub(i8x16.swizzle(v, i8x16(2, 16, 16, 16, 5, 16, 16, 16, 8, 16, 16, 16, 11, 16, 16, 16)), offset);
      storeLuminance(lum + (<usize>(x - first) << 3), r, g, b);
    }
  } else if (channels == 3) {
    const low16 = i32x4.splat(0xffff);
    for (; x < simdEnd; x += 4) {
      const p = row + <usize>(x * 6);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const r = i32x4.sub(v128.and(i8x16.shuffle(v0, v1, 0, 1, 0, 0, 6, 7, 0, 0, 12, 13, 0, 0, 18, 19, 0, 0), low16), offset);
      const g = i32x4.sub(v128.and(i8x16.shuffle(v0, v1, 2, 3, 0, 0, 8, 9, 0, 0, 14, 15, 0, 0, 20, 21, 0, 0), low16), offset);
      const b = i32x4.sub(v128.and(i8x16.shuffle(v0, v1, 4, 5, 0, 0, 10, 11, 0, 0, 16, 17, 0, 0, 22, 23, 0, 0), low16), offset);
      storeLuminance(lum + (<usize>(x - first) << 3), r, g, b);
    }
  } else if (channels == 1 && !sixteen) {
    for (; x < simdEnd; x += 4) {
      const v = i32x4.extend_low_i16x8_u(v128.load8x8_u(row + <usize>x));
      storeGrey(lum + (<usize>(x - first) << 3), i32x4.sub(v, offset));
    }
  } else if (channels == 1) {
    for (; x < simdEnd; x += 4) {
      storeGrey(lum + (<usize>(x - first) << 3), i32x4.sub(v128.load16x4_u(row + (<usize>x << 1)), offset));
    }
  }
  for (; x < end; x++) store<f64>(lum + (<usize>(x - first) << 3), luminanceAt(row, reflect(x, width), c));
}

/** Horizontal pass over one luminance row: m and s of the tile's columns, both blurs at once. */
function blurRow(j: i32): void {
  const w0 = v128.load(weights);
  const m0 = rowMean + <usize>(j * STRIDE * 8);
  const s0 = rowMeanSq + <usize>(j * STRIDE * 8);
  for (let x = 0; x < TILE; x += 4) {
    // Four columns per step (two f64x2 each) share every weight load.
    const q = lum + (<usize>(x + radius) << 3);
    const a = v128.load(q);
    const b = v128.load(q, 16);
    let ma = f64x2.mul(w0, a);
    let mb = f64x2.mul(w0, b);
    let sa = f64x2.mul(w0, f64x2.mul(a, a));
    let sb = f64x2.mul(w0, f64x2.mul(b, b));
    for (let t = 1; t <= radius; t++) {
      const w = v128.load(weights + (<usize>t << 4));
      const lo = q - (<usize>t << 3);
      const hi = q + (<usize>t << 3);
      const la = v128.load(lo);
      const ha = v128.load(hi);
      const lb = v128.load(lo, 16);
      const hb = v128.load(hi, 16);
      ma = f64x2.add(ma, f64x2.mul(w, f64x2.add(la, ha)));
      mb = f64x2.add(mb, f64x2.mul(w, f64x2.add(lb, hb)));
      sa = f64x2.add(sa, f64x2.mul(w, f64x2.add(f64x2.mul(la, la), f64x2.mul(ha, ha))));
      sb = f64x2.add(sb, f64x2.mul(w, f64x2.add(f64x2.mul(lb, lb), f64x2.mul(hb, hb))));
    }
    const at = <usize>x << 3;
    v128.store(m0 + at, ma);
    v128.store(m0 + at, mb, 16);
    v128.store(s0 + at, sa);
    v128.store(s0 + at, sb, 16);
  }
}

/** Vertical pass and v for one tile, written as f32 to output; adds to stats. */
function verticalPass(x0: i32, tileWidth: i32, rows: i32): void {
  const w0 = v128.load(weights);
  const rowStep = <usize>(STRIDE * 8);
  const zero = f64x2.splat(0);
  const vectors = (tileWidth + 1) >> 1;
  let top: f64 = load<f64>(stats, 8);
  let sum: f64 = 0;
  for (let y = 0; y < rows; y++) {
    const centre = <usize>((y + radius) * STRIDE * 8);
    for (let k = 0; k < vectors; k++) {
      const c = rowMean + centre + (<usize>k << 4);
      let m = f64x2.mul(w0, v128.load(c));
      for (let t = 1; t <= radius; t++) {
        const w = v128.load(weights + (<usize>t << 4));
        const d = rowStep * <usize>t;
        m = f64x2.add(m, f64x2.mul(w, f64x2.add(v128.load(c - d), v128.load(c + d))));
      }
      v128.store(colMean + (<usize>k << 4), m);
    }
    const out = output + (<usize>(y * width + x0) << 2);
    let rowSum = zero;
    let rowTop = zero;
    for (let k = 0; k < vectors; k++) {
      const c = rowMeanSq + centre + (<usize>k << 4);
      let s = f64x2.mul(w0, v128.load(c));
      for (let t = 1; t <= radius; t++) {
        const w = v128.load(weights + (<usize>t << 4));
        const d = rowStep * <usize>t;
        s = f64x2.add(s, f64x2.mul(w, f64x2.add(v128.load(c - d), v128.load(c + d))));
      }
      const m = v128.load(colMean + (<usize>k << 4));
      const v = f64x2.max(f64x2.sub(s, f64x2.mul(m, m)), zero);
      const v0 = <f32>f64x2.extract_lane(v, 0);
      store<f32>(out + (<usize>k << 3), v0);
      if ((k << 1) + 1 < tileWidth) {
        store<f32>(out + (<usize>k << 3), <f32>f64x2.extract_lane(v, 1), 4);
        rowSum = f64x2.add(rowSum, v);
        rowTop = f64x2.max(rowTop, v);
      } else {
        // The image's last column: only the first lane is inside it.
        sum += <f64>v0;
        top = max(top, <f64>v0);
      }
    }
    sum += f64x2.extract_lane(rowSum, 0) + f64x2.extract_lane(rowSum, 1);
    top = max(top, max(f64x2.extract_lane(rowTop, 0), f64x2.extract_lane(rowTop, 1)));
  }
  store<f64>(stats, load<f64>(stats) + sum);
  store<f64>(stats, top, 8);
}

/**
 * The focus map of `rows` output rows (input holds them plus `radius` rows above and below):
 * writes rows x width f32 to output; stats[0] += sum of v, stats[1] = max(stats[1], max v).
 */
export function focusBand(rows: i32): void {
  const inputRows = rows + 2 * radius;
  for (let x0 = 0; x0 < width; x0 += TILE) {
    const tileWidth = min(TILE, width - x0);
    const c = tileOffset(x0, tileWidth, inputRows);
    for (let j = 0; j < inputRows; j++) {
      fillLuminance(j, x0, c);
      blurRow(j);
    }
    verticalPass(x0, tileWidth, rows);
  }
}
