// The focus measure's hot kernel, compiled to WebAssembly SIMD by AssemblyScript
// (scripts/build-kernel.js): the raw local variance v = G*L^2 - (G*L)^2 of one block of rows, with
// L = 0.299 R + 0.587 G + 0.114 B folded into the first pass. The float64 JavaScript kernel in
// src/main/engine/focus/focus-measure.ts is the reference it is tested against.
//
// Two kernels, one decision per tile. Every tile (TILE32 columns of the block) is computed in
// float32x4 lanes, which also yields a rigorous bound on the tile's absolute error; a tile whose
// bound exceeds `tolerance` times a running lower bound of the slice's map maximum is computed
// again in float64x2 lanes (the fallback, accurate to ~1e-15 of the local second moment). So every
// value handed out is within tolerance (1e-5 by default) of the map's maximum, proven, not measured.
//
// Why the float32 kernel can be accurate: it works on x = L - c, with c a whole number near the
// tile's mean luminance subtracted from integer samples before any rounding. The variance does not
// change under that shift, while the magnitudes that cancel in s - m^2 shrink from L^2 (up to 4e9
// on 16-bit data) to the tile's own spread. Luminance is exact: for RGB the kernel works on
// 1000 L = 299 R + 587 G + 114 B, an integer (i32 lanes), and scales v by 1e-6 at the end; grey
// samples are integers already. Only 16-bit RGB beyond 2^24 / 1000 levels from c rounds on
// conversion to float32.
//
// The bound. u = 2^-24 (float32 unit roundoff), gamma(n) = n u / (1 - n u). Per pass, each
// weighted sum is w0 x0 + sum_t w_t (x_-t + x_t), the taps split between two accumulators (odd
// and even t) added at the end, so a term meets at most n = ceil(r / 2) + 4 roundings: the weight's
// own float32 representation, the pair sum, the product, ceil(r / 2) accumulations and the final
// sum (one more, the square, in the horizontal pass of s). With exact weights summing to 1,
// s = G*x^2, m = G*x, v = s - m^2 for the exact inputs, and M1 = G*|x| <= sqrt(s) (Cauchy-Schwarz):
//   |s^ - s| <= gamma(2n + 1) s                     (all terms positive: a relative bound)
//   |m^ - m| <= gamma(2n) M1 <= g sqrt(s),  g = gamma(2n)
//   |fl(m^2) - m^2| <= |m^ - m| |m^ + m| + u m^^2 <= (2g + g^2 + u (1 + g)^2) s   (|m| <= sqrt(s))
//   |fl(s^ - fl(m^2)) - v| <= (1 + u)(|s^ - s| + |fl(m^2) - m^2|) + u v,  v <= s.
// An input rounded on conversion (16-bit RGB, |x| >= 2^24) is x (1 + e), |e| <= u: that moves v by
// at most 2 u sqrt(v s) + u^2 s <= (2u + u^2) s, and s by a factor (1 + u)^2. Clamping at 0 only
// moves v towards the truth (v >= 0); the RGB scale by float32(1e-6) adds (2u + u^2) of the value.
// Everything is proportional to s, the local second moment about c, which the kernel computes
// anyway: s <= s^ / (1 - gamma(2n + 1)). So, per tile, the absolute error of every value is at most
// boundFactor * max s^ over the tile, with boundFactor computed from these terms by the caller
// (focusBoundFactor in focus-variance-kernel.ts); for sigma 2 (r = 8) it is about 52 u. Since
// s <= A^2, A the largest |x| in the tile, this is at most ~3e-6 of the squared value range after
// the offset, and much less where the local mean sits near c.
//
// The running maximum: after the float32 pass over a block's tiles, every tile's largest value
// minus its bound is a value the true map reaches, so their running maximum over the slice is a
// lower bound of the map's maximum; the tolerance applies to that lower bound, never to a guess.
// Pure ramps, steps between 16-bit extremes and the first tiles of a slice (before the running
// maximum has grown) are where tiles fall back.
//
// Speed (platform notes): both blurs in one horizontal pass (squaring x at every tap measured
// faster than loading squares computed once: the pass is bound by loads); the vertical pass sums
// m and s in separate loops (fewer register spills), several columns per step with independent
// sums (one sum per step would wait on the adder's latency at every tap); compile-time tile widths
// with rows padded by 16 elements (no cache-set aliasing at power-of-two strides).
//
// mergeArgmax, at the end, merges a band of the map just computed into a copy of the plain argmax
// state (SIMD compares and bit selects, no branches), bit for bit what the JavaScript merge does.
//
// Memory is laid out by the caller (src/main/engine/focus/focus-variance-kernel.ts): every pointer
// is handed to `configure`, and nothing here allocates. The float32 pass and the float64 fallback
// share the scratch buffers (a block's float32 pass is over before any of its tiles falls back).

/** Float32 tile width: the reach of one offset (narrower tiles keep x small, so fewer fall back). */
const TILE32: i32 = 64;
const STRIDE32: i32 = TILE32 + 16; // f32 per row of the float32 horizontal-pass buffers
/** Float64 fallback: at most TILE columns per call (one float32 tile in the engine). */
const TILE: i32 = 128;
const STRIDE: i32 = TILE + 16; // f64 per row of the float64 horizontal-pass buffers

// Set by configure().
let width: i32 = 0;
let channels: i32 = 0;
let sixteen: bool = false;
let radius: i32 = 0;
let rowBytes: i32 = 0;
let outScale: f32 = 1; // 1e-6 for RGB, whose float32 pass works on 1000 L
let input: usize = 0; // (rows + 2 radius) source rows, already reflected at the top and bottom
let weights: usize = 0; // f64x2 splats of the kernel's right half, centre first
let weights32: usize = 0; // f32x4 splats of the same weights rounded to float32
let lum: usize = 0; // one luminance row of a tile plus its horizontal halo
let rowX: usize = 0; // float32 pass: x0 of every output column of every row (rows of STRIDE32)
let rowMean: usize = 0; // horizontal pass, (rows + 2 radius) rows of STRIDE f64 or STRIDE32 f32
let rowMeanSq: usize = 0;
let colMean: usize = 0; // one row of vertical means
let output: usize = 0; // rows x width f32
let lanes: usize = 0; // 128 bytes for the lanes of the image's last, partial column group
let tiles: usize = 0; // per float32 tile of a block, 32 bytes: see verticalPass32
// f64: [0] sum of v, [1] max v, [2] running lower bound of the map's maximum, [3] tiles,
// [4] tiles that fell back; the caller zeroes them for each slice.
let stats: usize = 0;
let tolerance: f64 = 0; // largest error allowed, relative to the map's maximum (Infinity: never fall back)

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
  weights32_: usize,
  lum_: usize,
  rowX_: usize,
  rowMean_: usize,
  rowMeanSq_: usize,
  colMean_: usize,
  output_: usize,
  lanes_: usize,
  tiles_: usize,
  stats_: usize,
  tolerance_: f64,
): void {
  width = width_;
  channels = channels_;
  sixteen = sixteen_ != 0;
  radius = radius_;
  rowBytes = width_ * channels_ * (sixteen_ ? 2 : 1);
  outScale = channels_ >= 3 ? <f32>1e-6 : 1;
  input = input_;
  weights = weights_;
  weights32 = weights32_;
  lum = lum_;
  rowX = rowX_;
  rowMean = rowMean_;
  rowMeanSq = rowMeanSq_;
  colMean = colMean_;
  output = output_;
  lanes = lanes_;
  tiles = tiles_;
  stats = stats_;
  tolerance = tolerance_;
  inexactInput = channels_ >= 3 && sixteen_ != 0;
  const n = <f64>(((radius_ + 1) >> 1) + 4 + (inexactInput ? 1 : 0));
  const u: f64 = 1.0 / 16777216.0;
  gammaSum = (n * u) / (1 - n * u);
  gammaSquares = ((n + 1) * u) / (1 - (n + 1) * u);
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

/**
 * The float32 pass over every tile of the block, then the float64 pass over the tiles whose
 * bound is too large: writes rows x width f32 to output and adds to stats (see `stats`).
 * Input holds the block's rows plus `radius` rows above and below.
 */
export function focusBand(rows: i32): void {
  const inputRows = rows + 2 * radius;
  let lower = load<f64>(stats, 16);
  let t = 0;
  for (let x0 = 0; x0 < width; x0 += TILE32) {
    const tileWidth = min(TILE32, width - x0);
    const cols = (tileWidth + 15) & ~15;
    const c = tileOffset(x0, tileWidth, inputRows);
    xTop = f32x4.splat(0);
    rowPTop = f32x4.splat(0);
    for (let j = 0; j < inputRows; j++) {
      fillLuminance32(j, x0, c, cols);
      blurRow32(j, cols);
    }
    const record = tiles + (<usize>t << 5);
    verticalPass32(x0, tileWidth, rows, record);
    // Every value minus the tile's bound is reached by the true map: a lower bound of its maximum.
    lower = max(lower, <f64>load<f32>(record, 16) - tileBound(record));
    t++;
  }
  let sum: f64 = 0;
  let top: f64 = load<f64>(stats, 8);
  let fellBack: f64 = 0;
  t = 0;
  for (let x0 = 0; x0 < width; x0 += TILE32) {
    const record = tiles + (<usize>t << 5);
    if (!(tileBound(record) <= tolerance * lower || tolerance == Infinity)) {
      fellBack++;
      focusTile64(x0, min(TILE32, width - x0), rows, record);
      // Float64 values are within ~1e-14 A^2 of the truth, then rounded to float32.
      const a = <f64>load<f32>(record, 4) * 1.0000001;
      lower = max(lower, <f64>load<f32>(record, 16) * (1 - 1e-6) - 1e-12 * a * a * <f64>outScale);
    }
    sum += load<f64>(record, 24);
    top = max(top, <f64>load<f32>(record, 16));
    t++;
  }
  store<f64>(stats, load<f64>(stats) + sum);
  store<f64>(stats, top, 8);
  store<f64>(stats, lower, 16);
  store<f64>(stats, load<f64>(stats, 24) + <f64>t, 24);
  store<f64>(stats, load<f64>(stats, 32) + fellBack, 32);
}

// ---- The float32 pass -------------------------------------------------------------------------

// The tile's largest |x| and P^ of the horizontal pass, for its bound (reset per tile).
let xTop: v128 = f32x4.splat(0);
let rowPTop: v128 = f32x4.splat(0);

@inline function storeX(at: usize, x: v128): void {
  v128.store(at, x);
  xTop = f32x4.max(xTop, f32x4.abs(x));
}

@inline function storeScalarX(at: usize, x: f32): void {
  store<f32>(at, x);
  xTop = f32x4.max(xTop, f32x4.splat(abs<f32>(x)));
}

/** x = 1000 L - 1000 c (RGB) or L - c (grey) of one pixel, exact as an integer, then float32. */
@inline function scaledLuminanceAt(row: usize, x: i32, c: i32): f32 {
  const i = x * channels;
  if (channels >= 3) {
    const l: i32 = 299 * (sample(row, i) - c) + 587 * (sample(row, i + 1) - c) + 114 * (sample(row, i + 2) - c);
    return <f32>l;
  }
  return <f32>(sample(row, i) - c);
}

/** Stores four x = 299 R + 587 G + 114 B - 1000 c as float32 (i32 lanes: exact). */
@inline function storeScaledLuminance(at: usize, r: v128, g: v128, b: v128, offset: v128): void {
  const l = i32x4.add(i32x4.add(i32x4.mul(r, i32x4.splat(299)), i32x4.mul(g, i32x4.splat(587))), i32x4.mul(b, i32x4.splat(114)));
  storeX(at, f32x4.convert_i32x4_s(i32x4.sub(l, offset)));
}

/**
 * Fills lum[0 .. cols + 2 radius) with x (float32) for columns x0 - radius onwards of input row j,
 * and keeps the largest |x| seen in the tile (A, for the bound).
 */
function fillLuminance32(j: i32, x0: i32, c: i32, cols: i32): void {
  const row = input + <usize>(j * rowBytes);
  const first = x0 - radius;
  const end = x0 + cols + radius;
  const simdStart = max(first, 0);
  const simdEnd = min(end, width - 3);
  let x = first;
  for (; x < simdStart; x++) storeScalarX(lum + (<usize>(x - first) << 2), scaledLuminanceAt(row, reflect(x, width), c));
  if (channels == 3 && !sixteen) {
    const offset = i32x4.splat(1000 * c);
    for (; x < simdEnd; x += 4) {
      const v = v128.load(row + <usize>(x * 3));
      const r = i8x16.swizzle(v, i8x16(0, 16, 16, 16, 3, 16, 16, 16, 6, 16, 16, 16, 9, 16, 16, 16));
      const g = i8x16.swizzle(v, i8x16(1, 16, 16, 16, 4, 16, 16, 16, 7, 16, 16, 16, 10, 16, 16, 16));
      const b = i8x16.swizzle(v, i8x16(2, 16, 16, 16, 5, 16, 16, 16, 8, 16, 16, 16, 11, 16, 16, 16));
      storeScaledLuminance(lum + (<usize>(x - first) << 2), r, g, b, offset);
    }
  } else if (channels == 3) {
    const offset = i32x4.splat(1000 * c);
    const low16 = i32x4.splat(0xffff);
    for (; x < simdEnd; x += 4) {
      const p = row + <usize>(x * 6);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const r = v128.and(i8x16.shuffle(v0, v1, 0, 1, 0, 0, 6, 7, 0, 0, 12, 13, 0, 0, 18, 19, 0, 0), low16);
      const g = v128.and(i8x16.shuffle(v0, v1, 2, 3, 0, 0, 8, 9, 0, 0, 14, 15, 0, 0, 20, 21, 0, 0), low16);
      const b = v128.and(i8x16.shuffle(v0, v1, 4, 5, 0, 0, 10, 11, 0, 0, 16, 17, 0, 0, 22, 23, 0, 0), low16);
      storeScaledLuminance(lum + (<usize>(x - first) << 2), r, g, b, offset);
    }
  } else if (channels == 1 && !sixteen) {
    const offset = i32x4.splat(c);
    for (; x < simdEnd; x += 4) {
      const v = i32x4.extend_low_i16x8_u(v128.load8x8_u(row + <usize>x));
      storeX(lum + (<usize>(x - first) << 2), f32x4.convert_i32x4_s(i32x4.sub(v, offset)));
    }
  } else if (channels == 1) {
    const offset = i32x4.splat(c);
    for (; x < simdEnd; x += 4) {
      const v = v128.load16x4_u(row + (<usize>x << 1));
      storeX(lum + (<usize>(x - first) << 2), f32x4.convert_i32x4_s(i32x4.sub(v, offset)));
    }
  }
  for (; x < end; x++) storeScalarX(lum + (<usize>(x - first) << 2), scaledLuminanceAt(row, reflect(x, width), c));
}

/**
 * Horizontal pass over one row of x, centred on each output column's own x0: for `cols` columns
 * (a multiple of 8), eight (two f32x4) per step, Q = G*(x - x0) and P = G*(x - x0)^2 over the
 * taps beside the centre; stores the row's variance h = P - Q^2 (at least 0), Q and x0 (the row's
 * mean is x0 + Q, never rounded as one number: the vertical pass takes differences of means as
 * (x0 - x0') + (Q - Q'), the first exact, so no error grows with the tile's range). Odd taps go
 * to one pair of sums and even taps to another, added at the end: fewer roundings on any term's
 * path (the bound's n), two independent chains for the adder.
 */
function blurRow32(j: i32, cols: i32): void {
  const zero = f32x4.splat(0);
  const m0 = rowMean + <usize>(j * STRIDE32 * 4);
  const h0 = rowMeanSq + <usize>(j * STRIDE32 * 4);
  const x0 = rowX + <usize>(j * STRIDE32 * 4);
  let pTop = rowPTop;
  for (let x = 0; x < cols; x += 8) {
    const q = lum + (<usize>(x + radius) << 2);
    const a = v128.load(q);
    const b = v128.load(q, 16);
    let qa = zero;
    let qb = zero;
    let pa = zero;
    let pb = zero;
    let qa2 = zero;
    let qb2 = zero;
    let pa2 = zero;
    let pb2 = zero;
    let t = 1;
    for (; t < radius; t += 2) {
      let w = v128.load(weights32 + (<usize>t << 4));
      let lo = q - (<usize>t << 2);
      let hi = q + (<usize>t << 2);
      let la = f32x4.sub(v128.load(lo), a);
      let ha = f32x4.sub(v128.load(hi), a);
      let lb = f32x4.sub(v128.load(lo, 16), b);
      let hb = f32x4.sub(v128.load(hi, 16), b);
      qa = f32x4.add(qa, f32x4.mul(w, f32x4.add(la, ha)));
      qb = f32x4.add(qb, f32x4.mul(w, f32x4.add(lb, hb)));
      pa = f32x4.add(pa, f32x4.mul(w, f32x4.add(f32x4.mul(la, la), f32x4.mul(ha, ha))));
      pb = f32x4.add(pb, f32x4.mul(w, f32x4.add(f32x4.mul(lb, lb), f32x4.mul(hb, hb))));
      w = v128.load(weights32 + (<usize>t << 4), 16);
      lo -= 4;
      hi += 4;
      la = f32x4.sub(v128.load(lo), a);
      ha = f32x4.sub(v128.load(hi), a);
      lb = f32x4.sub(v128.load(lo, 16), b);
      hb = f32x4.sub(v128.load(hi, 16), b);
      qa2 = f32x4.add(qa2, f32x4.mul(w, f32x4.add(la, ha)));
      qb2 = f32x4.add(qb2, f32x4.mul(w, f32x4.add(lb, hb)));
      pa2 = f32x4.add(pa2, f32x4.mul(w, f32x4.add(f32x4.mul(la, la), f32x4.mul(ha, ha))));
      pb2 = f32x4.add(pb2, f32x4.mul(w, f32x4.add(f32x4.mul(lb, lb), f32x4.mul(hb, hb))));
    }
    if (t == radius) {
      const w = v128.load(weights32 + (<usize>t << 4));
      const lo = q - (<usize>t << 2);
      const hi = q + (<usize>t << 2);
      const la = f32x4.sub(v128.load(lo), a);
      const ha = f32x4.sub(v128.load(hi), a);
      const lb = f32x4.sub(v128.load(lo, 16), b);
      const hb = f32x4.sub(v128.load(hi, 16), b);
      qa = f32x4.add(qa, f32x4.mul(w, f32x4.add(la, ha)));
      qb = f32x4.add(qb, f32x4.mul(w, f32x4.add(lb, hb)));
      pa = f32x4.add(pa, f32x4.mul(w, f32x4.add(f32x4.mul(la, la), f32x4.mul(ha, ha))));
      pb = f32x4.add(pb, f32x4.mul(w, f32x4.add(f32x4.mul(lb, lb), f32x4.mul(hb, hb))));
    }
    qa = f32x4.add(qa, qa2);
    qb = f32x4.add(qb, qb2);
    pa = f32x4.add(pa, pa2);
    pb = f32x4.add(pb, pb2);
    pTop = f32x4.max(pTop, f32x4.max(pa, pb));
    const at = <usize>x << 2;
    v128.store(m0 + at, qa);
    v128.store(m0 + at, qb, 16);
    v128.store(x0 + at, a);
    v128.store(x0 + at, b, 16);
    v128.store(h0 + at, f32x4.max(f32x4.sub(pa, f32x4.mul(qa, qa)), zero));
    v128.store(h0 + at, f32x4.max(f32x4.sub(pb, f32x4.mul(qb, qb)), zero), 16);
  }
  rowPTop = pTop;
}

/**
 * H = G*h down the column for sixteen columns (four f32x4) at `c`, stored at `to`; the centre
 * row starts the odd taps' sums, the even taps have their own, added at the end.
 */
@inline function verticalSum32(c: usize, to: usize): void {
  const rowStep = <usize>(STRIDE32 * 4);
  const w0 = v128.load(weights32);
  const zero = f32x4.splat(0);
  let a0 = f32x4.mul(w0, v128.load(c));
  let a1 = f32x4.mul(w0, v128.load(c, 16));
  let a2 = f32x4.mul(w0, v128.load(c, 32));
  let a3 = f32x4.mul(w0, v128.load(c, 48));
  let b0 = zero;
  let b1 = zero;
  let b2 = zero;
  let b3 = zero;
  let t = 1;
  for (; t < radius; t += 2) {
    let w = v128.load(weights32 + (<usize>t << 4));
    let lo = c - rowStep * <usize>t;
    let hi = c + rowStep * <usize>t;
    a0 = f32x4.add(a0, f32x4.mul(w, f32x4.add(v128.load(lo), v128.load(hi))));
    a1 = f32x4.add(a1, f32x4.mul(w, f32x4.add(v128.load(lo, 16), v128.load(hi, 16))));
    a2 = f32x4.add(a2, f32x4.mul(w, f32x4.add(v128.load(lo, 32), v128.load(hi, 32))));
    a3 = f32x4.add(a3, f32x4.mul(w, f32x4.add(v128.load(lo, 48), v128.load(hi, 48))));
    w = v128.load(weights32 + (<usize>t << 4), 16);
    lo -= rowStep;
    hi += rowStep;
    b0 = f32x4.add(b0, f32x4.mul(w, f32x4.add(v128.load(lo), v128.load(hi))));
    b1 = f32x4.add(b1, f32x4.mul(w, f32x4.add(v128.load(lo, 16), v128.load(hi, 16))));
    b2 = f32x4.add(b2, f32x4.mul(w, f32x4.add(v128.load(lo, 32), v128.load(hi, 32))));
    b3 = f32x4.add(b3, f32x4.mul(w, f32x4.add(v128.load(lo, 48), v128.load(hi, 48))));
  }
  if (t == radius) {
    const w = v128.load(weights32 + (<usize>t << 4));
    const lo = c - rowStep * <usize>t;
    const hi = c + rowStep * <usize>t;
    a0 = f32x4.add(a0, f32x4.mul(w, f32x4.add(v128.load(lo), v128.load(hi))));
    a1 = f32x4.add(a1, f32x4.mul(w, f32x4.add(v128.load(lo, 16), v128.load(hi, 16))));
    a2 = f32x4.add(a2, f32x4.mul(w, f32x4.add(v128.load(lo, 32), v128.load(hi, 32))));
    a3 = f32x4.add(a3, f32x4.mul(w, f32x4.add(v128.load(lo, 48), v128.load(hi, 48))));
  }
  v128.store(to, f32x4.add(a0, b0));
  v128.store(to, f32x4.add(a1, b1), 16);
  v128.store(to, f32x4.add(a2, b2), 32);
  v128.store(to, f32x4.add(a3, b3), 48);
}

@inline function maxLane(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/**
 * Vertical pass and v for one float32 tile, written as f32 to output: H = G*h down each column,
 * then the variance of the row means about the centre row's, B = P - Q^2 with D = mu - mu0,
 * Q = G*D, P = G*D^2 (odd and even taps apart), eight columns (two f32x4) per step; v = H + B.
 * Records the tile's largest P^ (both passes), |x|, v (before and after the RGB scale) and sum.
 */
function verticalPass32(x0: i32, tileWidth: i32, rows: i32, record: usize): void {
  const rowStep = <usize>(STRIDE32 * 4);
  const zero = f32x4.splat(0);
  const scale = f32x4.splat(outScale);
  const groups16 = (tileWidth + 15) >> 4; // the buffers hold finite values up to a multiple of 16
  const groups = (tileWidth + 7) >> 3;
  let pTop = zero;
  let rawTop = zero;
  let vTop = zero;
  let sum = f64x2.splat(0);
  let edgeSum: f64 = 0;
  for (let y = 0; y < rows; y++) {
    const centre = <usize>((y + radius) * STRIDE32 * 4);
    for (let g = 0; g < groups16; g++) verticalSum32(rowMeanSq + centre + (<usize>g << 6), colMean + (<usize>g << 6));
    const out = output + (<usize>(y * width + x0) << 2);
    for (let g = 0; g < groups; g++) {
      const c = rowMean + centre + (<usize>g << 5);
      const cx = rowX + centre + (<usize>g << 5);
      const c0 = v128.load(c);
      const c1 = v128.load(c, 16);
      const cx0 = v128.load(cx);
      const cx1 = v128.load(cx, 16);
      let q0 = zero;
      let q1 = zero;
      let p0 = zero;
      let p1 = zero;
      let q2 = zero;
      let q3 = zero;
      let p2 = zero;
      let p3 = zero;
      let t = 1;
      for (; t < radius; t += 2) {
        // D = (x0 - x0') + (Q - Q'): the row mean's difference from the centre row's.
        let w = v128.load(weights32 + (<usize>t << 4));
        let d = rowStep * <usize>t;
        let l = f32x4.add(f32x4.sub(v128.load(cx - d), cx0), f32x4.sub(v128.load(c - d), c0));
        let h = f32x4.add(f32x4.sub(v128.load(cx + d), cx0), f32x4.sub(v128.load(c + d), c0));
        q0 = f32x4.add(q0, f32x4.mul(w, f32x4.add(l, h)));
        p0 = f32x4.add(p0, f32x4.mul(w, f32x4.add(f32x4.mul(l, l), f32x4.mul(h, h))));
        l = f32x4.add(f32x4.sub(v128.load(cx - d, 16), cx1), f32x4.sub(v128.load(c - d, 16), c1));
        h = f32x4.add(f32x4.sub(v128.load(cx + d, 16), cx1), f32x4.sub(v128.load(c + d, 16), c1));
        q1 = f32x4.add(q1, f32x4.mul(w, f32x4.add(l, h)));
        p1 = f32x4.add(p1, f32x4.mul(w, f32x4.add(f32x4.mul(l, l), f32x4.mul(h, h))));
        w = v128.load(weights32 + (<usize>t << 4), 16);
        d += rowStep;
        l = f32x4.add(f32x4.sub(v128.load(cx - d), cx0), f32x4.sub(v128.load(c - d), c0));
        h = f32x4.add(f32x4.sub(v128.load(cx + d), cx0), f32x4.sub(v128.load(c + d), c0));
        q2 = f32x4.add(q2, f32x4.mul(w, f32x4.add(l, h)));
        p2 = f32x4.add(p2, f32x4.mul(w, f32x4.add(f32x4.mul(l, l), f32x4.mul(h, h))));
        l = f32x4.add(f32x4.sub(v128.load(cx - d, 16), cx1), f32x4.sub(v128.load(c - d, 16), c1));
        h = f32x4.add(f32x4.sub(v128.load(cx + d, 16), cx1), f32x4.sub(v128.load(c + d, 16), c1));
        q3 = f32x4.add(q3, f32x4.mul(w, f32x4.add(l, h)));
        p3 = f32x4.add(p3, f32x4.mul(w, f32x4.add(f32x4.mul(l, l), f32x4.mul(h, h))));
      }
      if (t == radius) {
        const w = v128.load(weights32 + (<usize>t << 4));
        const d = rowStep * <usize>t;
        let l = f32x4.add(f32x4.sub(v128.load(cx - d), cx0), f32x4.sub(v128.load(c - d), c0));
        let h = f32x4.add(f32x4.sub(v128.load(cx + d), cx0), f32x4.sub(v128.load(c + d), c0));
        q0 = f32x4.add(q0, f32x4.mul(w, f32x4.add(l, h)));
        p0 = f32x4.add(p0, f32x4.mul(w, f32x4.add(f32x4.mul(l, l), f32x4.mul(h, h))));
        l = f32x4.add(f32x4.sub(v128.load(cx - d, 16), cx1), f32x4.sub(v128.load(c - d, 16), c1));
        h = f32x4.add(f32x4.sub(v128.load(cx + d, 16), cx1), f32x4.sub(v128.load(c + d, 16), c1));
        q1 = f32x4.add(q1, f32x4.mul(w, f32x4.add(l, h)));
        p1 = f32x4.add(p1, f32x4.mul(w, f32x4.add(f32x4.mul(l, l), f32x4.mul(h, h))));
      }
      q0 = f32x4.add(q0, q2);
      q1 = f32x4.add(q1, q3);
      p0 = f32x4.add(p0, p2);
      p1 = f32x4.add(p1, p3);
      const hAt = colMean + (<usize>g << 5);
      const r0 = f32x4.add(v128.load(hAt), f32x4.max(f32x4.sub(p0, f32x4.mul(q0, q0)), zero));
      const r1 = f32x4.add(v128.load(hAt, 16), f32x4.max(f32x4.sub(p1, f32x4.mul(q1, q1)), zero));
      const v0 = f32x4.mul(r0, scale);
      const v1 = f32x4.mul(r1, scale);
      const o = out + (<usize>g << 5);
      const first = g << 3;
      if (first + 8 <= tileWidth) {
        v128.store(o, v0);
        v128.store(o, v1, 16);
        pTop = f32x4.max(pTop, f32x4.max(p0, p1));
        rawTop = f32x4.max(rawTop, f32x4.max(r0, r1));
        vTop = f32x4.max(vTop, f32x4.max(v0, v1));
        const part = f32x4.add(v0, v1);
        sum = f64x2.add(sum, f64x2.add(f64x2.promote_low_f32x4(part), f64x2.promote_low_f32x4(v128.shuffle<f32>(part, part, 2, 3, 0, 1))));
      } else {
        // The image's last columns: only `tileWidth - first` of the eight are inside it.
        v128.store(lanes, v0);
        v128.store(lanes, v1, 16);
        v128.store(lanes, p0, 32);
        v128.store(lanes, p1, 48);
        v128.store(lanes, r0, 64);
        v128.store(lanes, r1, 80);
        for (let i = 0; i < tileWidth - first; i++) {
          const at = <usize>i << 2;
          const x = load<f32>(lanes + at);
          store<f32>(o + at, x);
          edgeSum += <f64>x;
          vTop = f32x4.max(vTop, f32x4.splat(x));
          pTop = f32x4.max(pTop, f32x4.splat(load<f32>(lanes + at, 32)));
          rawTop = f32x4.max(rawTop, f32x4.splat(load<f32>(lanes + at, 64)));
        }
      }
    }
  }
  store<f32>(record, max(maxLane(rowPTop), maxLane(pTop)));
  store<f32>(record, maxLane(xTop), 4);
  store<f32>(record, 0, 8);
  store<f32>(record, maxLane(rawTop), 12);
  store<f32>(record, maxLane(vTop), 16);
  store<f64>(record, f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1) + edgeSum, 24);
}

// Roundings on any term's path through one weighted sum (two accumulators of ceil(r / 2) taps):
// see the header. Set by configure().
let gammaSum: f64 = 0; // gamma(n)
let gammaSquares: f64 = 0; // gamma(n + 1), for the sums of squares
let inexactInput: bool = false; // 16-bit RGB: 1000 L - 1000 c may round on conversion to float32

/**
 * The bound on the absolute error of every value of a float32 tile, in the map's units, from
 * its record (the derivation, term by term, is in the header).
 */
function tileBound(record: usize): f64 {
  const u: f64 = 1.0 / 16777216.0;
  const g = gammaSum;
  const g2 = gammaSquares;
  const pHat = <f64>load<f32>(record);
  const a = <f64>load<f32>(record, 4) / (1 - u);
  const vHat = <f64>load<f32>(record, 12);
  // Upper bounds of the exact P of both passes (one bound for both: the larger).
  const p = pHat / ((1 - g2) * (1 - u) * (1 - u));
  const rowVariance = (1 + u) * (g2 + 2 * g + g * g + u * (1 + g) * (1 + g)) + u; // per unit of P
  const meanError = (2 * g + 2 * u * (1 + g)) * Math.sqrt(p); // |D^ - D| before D's own rounding
  const alpha = (1 + u) * g + u;
  let beta = 2 * (1 + u) * meanError;
  let constant = (1 + u) * ((1 + g) * rowVariance * p + ((1 + u) * (1 + u) * rowVariance + 2 * u + u * u) * p + meanError * meanError);
  if (inexactInput) {
    beta += 2 * (1 + u) * u * a;
    constant += (1 + u) * u * a * u * a;
  }
  // The true v is at most vHat + error, and error <= alpha v + beta sqrt(v) + constant: solve for
  // the largest sqrt(v) that allows.
  const root = (beta + Math.sqrt(beta * beta + 4 * (1 - alpha) * (vHat + constant))) / (2 * (1 - alpha));
  let error = alpha * root * root + beta * root + constant;
  if (outScale != 1) error = 1e-6 * (error + (2 * u + u * u) * vHat);
  return error * (1 + 1e-12);
}

// ---- The float64 fallback ---------------------------------------------------------------------

/** L(x) - c of a source row, the scalar way (borders, grey+alpha, RGBA). */
@inline function luminanceAt(row: usize, x: i32, c: i32): f64 {
  const i = x * channels;
  if (channels >= 3) {
    return 0.299 * <f64>(sample(row, i) - c) + 0.587 * <f64>(sample(row, i + 1) - c) + 0.114 * <f64>(sample(row, i + 2) - c);
  }
  return <f64>(sample(row, i) - c);
}

/** The float64 focus map of one tile (at most TILE columns); records its largest v and sum (verticalPass). */
function focusTile64(x0: i32, tileWidth: i32, rows: i32, record: usize): void {
  const inputRows = rows + 2 * radius;
  const cols = (tileWidth + 7) & ~7;
  const c = tileOffset(x0, tileWidth, inputRows);
  for (let j = 0; j < inputRows; j++) {
    fillLuminance(j, x0, c, cols);
    blurRow(j, cols);
  }
  verticalPass(x0, tileWidth, rows, record);
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

/** Fills lum[0 .. cols + 2 radius) with L - c (f64) for columns x0 - radius onwards of input row j. */
function fillLuminance(j: i32, x0: i32, c: i32, cols: i32): void {
  const row = input + <usize>(j * rowBytes);
  const first = x0 - radius;
  const end = x0 + cols + radius;
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

/** Horizontal pass over one luminance row: m and s of `cols` columns (a multiple of 8), both blurs at once. */
function blurRow(j: i32, cols: i32): void {
  const w0 = v128.load(weights);
  const m0 = rowMean + <usize>(j * STRIDE * 8);
  const s0 = rowMeanSq + <usize>(j * STRIDE * 8);
  for (let x = 0; x < cols; x += 4) {
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

/**
 * Vertical pass and v for one tile, written as f32 to output; records its largest v (as f32) and
 * its sum of v like verticalPass32 (the largest s^ stays the float32 pass's). Eight columns (four
 * f64x2) per step with independent sums: one sum per step would wait on the adder's latency at
 * every tap (the pass was latency-bound that way, ~2.5x slower).
 */
function verticalPass(x0: i32, tileWidth: i32, rows: i32, record: usize): void {
  const w0 = v128.load(weights);
  const rowStep = <usize>(STRIDE * 8);
  const zero = f64x2.splat(0);
  const groups = (tileWidth + 7) >> 3; // of eight columns; the buffers hold that many finite columns
  let top: f64 = 0;
  let sum: f64 = 0;
  for (let y = 0; y < rows; y++) {
    const centre = <usize>((y + radius) * STRIDE * 8);
    for (let g = 0; g < groups; g++) {
      const c = rowMean + centre + (<usize>g << 6);
      let m0 = f64x2.mul(w0, v128.load(c));
      let m1 = f64x2.mul(w0, v128.load(c, 16));
      let m2 = f64x2.mul(w0, v128.load(c, 32));
      let m3 = f64x2.mul(w0, v128.load(c, 48));
      for (let t = 1; t <= radius; t++) {
        const w = v128.load(weights + (<usize>t << 4));
        const d = rowStep * <usize>t;
        const lo = c - d;
        const hi = c + d;
        m0 = f64x2.add(m0, f64x2.mul(w, f64x2.add(v128.load(lo), v128.load(hi))));
        m1 = f64x2.add(m1, f64x2.mul(w, f64x2.add(v128.load(lo, 16), v128.load(hi, 16))));
        m2 = f64x2.add(m2, f64x2.mul(w, f64x2.add(v128.load(lo, 32), v128.load(hi, 32))));
        m3 = f64x2.add(m3, f64x2.mul(w, f64x2.add(v128.load(lo, 48), v128.load(hi, 48))));
      }
      const at = colMean + (<usize>g << 6);
      v128.store(at, m0);
      v128.store(at, m1, 16);
      v128.store(at, m2, 32);
      v128.store(at, m3, 48);
    }
    const out = output + (<usize>(y * width + x0) << 2);
    let rowSum = zero;
    let rowTop = zero;
    for (let g = 0; g < groups; g++) {
      const c = rowMeanSq + centre + (<usize>g << 6);
      let s0 = f64x2.mul(w0, v128.load(c));
      let s1 = f64x2.mul(w0, v128.load(c, 16));
      let s2 = f64x2.mul(w0, v128.load(c, 32));
      let s3 = f64x2.mul(w0, v128.load(c, 48));
      for (let t = 1; t <= radius; t++) {
        const w = v128.load(weights + (<usize>t << 4));
        const d = rowStep * <usize>t;
        const lo = c - d;
        const hi = c + d;
        s0 = f64x2.add(s0, f64x2.mul(w, f64x2.add(v128.load(lo), v128.load(hi))));
        s1 = f64x2.add(s1, f64x2.mul(w, f64x2.add(v128.load(lo, 16), v128.load(hi, 16))));
        s2 = f64x2.add(s2, f64x2.mul(w, f64x2.add(v128.load(lo, 32), v128.load(hi, 32))));
        s3 = f64x2.add(s3, f64x2.mul(w, f64x2.add(v128.load(lo, 48), v128.load(hi, 48))));
      }
      const at = colMean + (<usize>g << 6);
      let m = v128.load(at);
      const v0 = f64x2.max(f64x2.sub(s0, f64x2.mul(m, m)), zero);
      m = v128.load(at, 16);
      const v1 = f64x2.max(f64x2.sub(s1, f64x2.mul(m, m)), zero);
      m = v128.load(at, 32);
      const v2 = f64x2.max(f64x2.sub(s2, f64x2.mul(m, m)), zero);
      m = v128.load(at, 48);
      const v3 = f64x2.max(f64x2.sub(s3, f64x2.mul(m, m)), zero);
      const o = out + (<usize>g << 5);
      const first = g << 3;
      if (first + 8 <= tileWidth) {
        const f01 = i8x16.shuffle(f32x4.demote_f64x2_zero(v0), f32x4.demote_f64x2_zero(v1), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
        const f23 = i8x16.shuffle(f32x4.demote_f64x2_zero(v2), f32x4.demote_f64x2_zero(v3), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
        v128.store(o, f01);
        v128.store(o, f23, 16);
        rowSum = f64x2.add(rowSum, f64x2.add(f64x2.add(v0, v1), f64x2.add(v2, v3)));
        rowTop = f64x2.max(rowTop, f64x2.max(f64x2.max(v0, v1), f64x2.max(v2, v3)));
      } else {
        // The image's last columns: only `tileWidth - first` of the eight are inside it.
        const n = tileWidth - first;
        for (let i = 0; i < n; i++) {
          const pair = i >> 1;
          const v = pair == 0 ? v0 : pair == 1 ? v1 : pair == 2 ? v2 : v3;
          const x = (i & 1) == 0 ? f64x2.extract_lane(v, 0) : f64x2.extract_lane(v, 1);
          store<f32>(o + (<usize>i << 2), <f32>x);
          sum += x;
          top = max(top, x);
        }
      }
    }
    sum += f64x2.extract_lane(rowSum, 0) + f64x2.extract_lane(rowSum, 1);
    top = max(top, max(f64x2.extract_lane(rowTop, 0), f64x2.extract_lane(rowTop, 1)));
  }
  store<f32>(record, <f32>top, 16);
  store<f64>(record, sum, 24);
}

/**
 * The plain argmax merge of the band of `rows` rows starting at row `b` of the last focusBand
 * call, against a copy of the running state at maxV (f32), win (u16) and comp (the composite's
 * samples, the input's layout): where this slice's v beats the kept maximum, or ties it from a
 * lower slice index `k`, takes v, k and the slice's pixel. Same comparisons as the JavaScript
 * mergeArgmax in src/main/engine/merge/profile.ts, so the same bits.
 */
export function mergeArgmax(k: i32, b: i32, rows: i32, maxV: usize, win: usize, comp: usize): void {
  const n = rows * width;
  const v = output + (<usize>(b * width) << 2);
  const pix = input + <usize>((radius + b) * rowBytes);
  let i = 0;
  if (channels == 3 && !sixteen) {
    // Sixteen pixels per step: four f32x4 of v, two i16x8 of winners, three i8x16 of samples.
    const kk = i32x4.splat(k);
    const k16 = i16x8.splat(<i16>k);
    for (; i + 16 <= n; i += 16) {
      const vp = v + (<usize>i << 2);
      const mp = maxV + (<usize>i << 2);
      const wp = win + (<usize>i << 1);
      const w01 = v128.load(wp);
      const w23 = v128.load(wp, 16);
      const v0 = v128.load(vp);
      const v1 = v128.load(vp, 16);
      const v2 = v128.load(vp, 32);
      const v3 = v128.load(vp, 48);
      const b0 = v128.load(mp);
      const b1 = v128.load(mp, 16);
      const b2 = v128.load(mp, 32);
      const b3 = v128.load(mp, 48);
      const m0 = v128.or(f32x4.gt(v0, b0), v128.and(f32x4.eq(v0, b0), i32x4.gt_s(i32x4.extend_low_i16x8_u(w01), kk)));
      const m1 = v128.or(f32x4.gt(v1, b1), v128.and(f32x4.eq(v1, b1), i32x4.gt_s(i32x4.extend_high_i16x8_u(w01), kk)));
      const m2 = v128.or(f32x4.gt(v2, b2), v128.and(f32x4.eq(v2, b2), i32x4.gt_s(i32x4.extend_low_i16x8_u(w23), kk)));
      const m3 = v128.or(f32x4.gt(v3, b3), v128.and(f32x4.eq(v3, b3), i32x4.gt_s(i32x4.extend_high_i16x8_u(w23), kk)));
      v128.store(mp, v128.bitselect(v0, b0, m0));
      v128.store(mp, v128.bitselect(v1, b1, m1), 16);
      v128.store(mp, v128.bitselect(v2, b2, m2), 32);
      v128.store(mp, v128.bitselect(v3, b3, m3), 48);
      const m01 = i16x8.narrow_i32x4_s(m0, m1);
      const m23 = i16x8.narrow_i32x4_s(m2, m3);
      v128.store(wp, v128.bitselect(k16, w01, m01));
      v128.store(wp, v128.bitselect(k16, w23, m23), 16);
      // One mask byte per pixel, spread over its three samples.
      const mb = i8x16.narrow_i16x8_s(m01, m23);
      const e0 = i8x16.swizzle(mb, i8x16(0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5));
      const e1 = i8x16.swizzle(mb, i8x16(5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 9, 10, 10));
      const e2 = i8x16.swizzle(mb, i8x16(10, 11, 11, 11, 12, 12, 12, 13, 13, 13, 14, 14, 14, 15, 15, 15));
      const cp = comp + <usize>(i * 3);
      const pp = pix + <usize>(i * 3);
      v128.store(cp, v128.bitselect(v128.load(pp), v128.load(cp), e0));
      v128.store(cp, v128.bitselect(v128.load(pp, 16), v128.load(cp, 16), e1), 16);
      v128.store(cp, v128.bitselect(v128.load(pp, 32), v128.load(cp, 32), e2), 32);
    }
  }
  const bytes = <usize>(channels * (sixteen ? 2 : 1));
  for (; i < n; i++) {
    const x = load<f32>(v + (<usize>i << 2));
    const best = load<f32>(maxV + (<usize>i << 2));
    if (x > best || (x == best && k < <i32>load<u16>(win + (<usize>i << 1)))) {
      store<f32>(maxV + (<usize>i << 2), x);
      store<u16>(win + (<usize>i << 1), <u16>k);
      memory.copy(comp + <usize>i * bytes, pix + <usize>i * bytes, bytes);
    }
  }
}
