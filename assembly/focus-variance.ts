// The focus measure's hot kernel, compiled to WebAssembly SIMD by AssemblyScript
// (scripts/build-kernel.js): the raw local variance v = G*L^2 - (G*L)^2 of one block of rows, with
// L = 0.299 R + 0.587 G + 0.114 B folded into the first pass. The float64 JavaScript kernel in
// src/main/engine/focus/focus-measure.ts is the reference it is tested against.
//
// Two kernels, one decision per tile (TILE32 columns of a block). Every tile is computed in
// float32x4 lanes, which also yields a rigorous bound on the absolute error of each of its values;
// a tile whose bound exceeds `tolerance` times a running lower bound of the slice's map maximum
// is computed again in float64x2 lanes (the fallback: its error is ~1e-14 of the squared range of
// the tile's values). So every value handed out is within `tolerance` (1e-5 by default, the
// engine's promise) of the map's maximum: proven per tile, not measured on test images.
// Tolerance 0 skips the float32 pass: the float64 kernel alone (focusBand64).
//
// Inputs are exact. Both kernels work on x = S L - S c, S = 1000 for RGB (1000 L = 299 R + 587 G
// + 114 B, an integer: i32 lanes) and 1 for grey; the map is scaled by 1 / S^2 at the end. The
// float64 tiles and the float32 tiles of 16-bit RGB take c, a whole number near the tile's mean;
// the float32 pass otherwise takes c = 0 and builds x for the whole block at once (its
// arithmetic only ever uses differences of x). x is an integer below 2^24 in magnitude, so exact
// in float32, except for 16-bit RGB more than 16777 levels from c (then rounded once: see below).
//
// The float32 kernel never lets x's magnitude into a cancellation. With exact weights w (sum 1)
// and the law of total variance for the separable 2-D weights w_i w_t:
//   horizontal, per input row i and output column:  d_t = x_t - x_0 (exact), Q = G*d, P = G*d^2
//     (P, the second moment about the centre pixel, is at most h (1 + 1/w_0)); the row's
//     variance h = P - Q^2 (at least 0) and its mean, stored once as M = (x_0 - x_ref) + Q, where
//     x_ref is the column's x in the block's middle row (exact: both are integers), so M's
//     rounding scales with the column's range over the block, not with x;
//   vertical, per output pixel:  D_i = M_i - M_centre (the row means' differences from the centre
//     row's), S = G*D and T = G*(h + D^2) in one loop; v = T - S^2 (at least 0): H + Var(D).
// Every cancellation is between moments about a point inside the window, so errors scale with
// local second moments P and T, and M's one rounding with the column's range Z; s - m^2 about a
// per-tile offset instead leaves them as large as the tile's range squared (that kernel measured
// 1.9e-5 of the map's maximum on a defocused slice of the benchmark, and its bound failed 40-95%
// of real tiles).
//
// The bound. u = 2^-24, gamma(n) = n u / (1 - n u). Horizontally each term of a sum meets at most
// n = ceil(r / 2) + 4 roundings (square, pair sum, the weight's float32 representation, product,
// ceil(r / 2) - 1 accumulations in its sum of odd or even taps, the final sum; one more for the
// difference on 16-bit RGB, whose x may be rounded): g = gamma(n). Vertically, at most r + 5 (T's
// square, the pair of squares, their sum with the pair of h, the weight, the product, r
// accumulations; S meets fewer): g_v = gamma(r + 5). From the tile's largest computed values,
// upper bounds: P <= P^ / (1 - g), Z <= Z^ (the largest |x_0 - x_ref|), and for T~ = G*(h^ + D^^2)
// (the exact sum of the computed terms) T~ <= T^ / (1 - g_v), G*D'^2 <= T~ / (1 - u)^2 with D' the
// unrounded difference of the computed means (D^ = D' (1 + eta), |eta| <= u).
//   |Q^ - Q| <= g G*|d| <= g sqrt(P) (Cauchy-Schwarz), |P^ - P| <= g P (positive terms);
//   |h^ - h| <= e P, e = (1 + u)(3g + g^2 + u (1 + g)^2) + u  (|Q| <= sqrt(P); clamping at 0 helps);
//   |M^ - M| <= eps = g sqrt(P) + u (Z + (1 + g) sqrt(P)) (Q's error, then M's own rounding; for
//     16-bit RGB x_0 - x_ref may round too: + u Z / (1 - u));
//   so |D' - D| <= 2 eps, and as Var is a squared seminorm (|sqrt Var(a) - sqrt Var(b)| <=
//     sqrt Var(a - b) <= sqrt(G*(a - b)^2)): |sqrt Var(D^) - sqrt B| <= F = 2 eps + u sqrt(G*D'^2),
//     B = Var(D) the exact variance of the row means, so |Var(D^) - B| <= 2 F sqrt(B) + F^2;
//   |H~ - H| <= e P with H~ = G*h^; T^ is within g_v T~ of T~ = H~ + G*D^^2 and S^ within
//     g_v sqrt(G*D^^2) of S~ = G*D^ (Cauchy-Schwarz), so fl(S^^2) is within (2 g_v + g_v^2 +
//     u (1 + g_v)^2) G*D^^2 of S~^2, and T^ - fl(S^^2) is within
//     K = e_v T~ + e P + 2 F sqrt(B) + F^2, e_v = 3 g_v + g_v^2 + u (1 + g_v)^2, of v = H + B;
//   v^ = fl(T^ - fl(S^^2)) adds u |v + K|.
// With B <= v: error <= u v + beta sqrt(v) + k, beta = 2 (1 + u) F, k = (1 + u)(e_v T~ + e P + F^2),
// and v <= v^ + error, a quadratic in sqrt(v) solved in tileBound from the tile's largest v^. A
// 16-bit RGB x rounded to x (1 + e'), |e'| <= u, moves v by at most 2 u A sqrt(v) + u^2 A^2 (A the
// tile's largest |x|; the kernel's own error is then relative to the rounded input's variance):
// beta = 2 (1 + u)(F + u A), k = (1 + u)(e_v T~ + e P + F^2 + 2 F u A + u^2 A^2). The RGB scale
// by float32(1e-6) adds (2u + u^2) of the value. For sigma 2 (r = 8), with P and T a few times v,
// that is about 1e-5 of v: so tiles holding values near the slice's maximum fall back at a
// tolerance of 1e-5 only where their second moments are large against that maximum.
//
// The running maximum: after the float32 pass over a block's tiles, every tile's largest value
// minus its bound is a value the true map reaches, so their running maximum over the slice is a
// lower bound of the map's maximum; the tolerance applies to that lower bound, never to a guess.
// So a tile's decision, and the map, depend on the order of the blocks: the caller starts each
// slice at a block chosen by the slice (focus-variance-kernel.ts, staggeredStart), never by the
// worker, or a job's files would depend on timing (they did: two slices within the bound of each
// other at a pixel swapped as the argmax). A block's own lower bound alone would make the map
// independent of any order, but measured 26% of the microtubules stack's tiles falling back
// instead of 5.5% (dim noisy blocks), 1.1% of the benchmark JPEGs' instead of 0.24-0.29%.
//
// Speed: the horizontal pass does both sums at once over a luminance row built in the same pass
// (greyscale fused in by two 16-bit dot products for 8-bit RGB, no separate image); the vertical
// pass does S and T in one loop, eight columns (two f32x4) per step: four independent sums keep
// the adder busy without spilling registers (odd and even taps in separate sums of T measured
// slower); compile-time tile widths with rows padded by 16 elements (no cache-set aliasing at
// power-of-two strides). Measured on this machine (one core, 24 MP RGB slice of the benchmark,
// best of 7): ~205-215 ms for the float32 pass against ~230-250 ms for the float64 kernel alone,
// of which ~90 ms vertical, ~80 ms horizontal and ~45 ms luminance, copying and the rest; the
// centring costs operations s - m^2 does not, which takes back much of what the wider lanes give.
//
// mergeArgmax, at the end, merges a band of the map just computed into a copy of the plain argmax
// state (SIMD compares and bit selects, no branches), bit for bit what the JavaScript merge does.
//
// Memory is laid out by the caller (src/main/engine/focus/focus-variance-kernel.ts): every pointer
// is handed to `configure`, and nothing here allocates.

/** Float32 tile width: one offset and one bound per tile (narrower tiles fall back less). */
const TILE32: i32 = 64;
const STRIDE32: i32 = TILE32 + 16; // f32 per row of the float32 pass's row buffers
/** Float64 fallback: at most TILE columns per call (one float32 tile in the engine). */
const TILE: i32 = 128;
const STRIDE: i32 = TILE + 16; // f64 per row of the float64 pass's row buffers

// Set by configure().
let width: i32 = 0;
let channels: i32 = 0;
let sixteen: bool = false;
let radius: i32 = 0;
let rowBytes: i32 = 0;
let outScale: f32 = 1; // 1 / S^2: 1e-6 for RGB
let input: usize = 0; // (rows + 2 radius) source rows, already reflected at the top and bottom
let weights: usize = 0; // f64x2 splats of the kernel's right half, centre first
let weights32: usize = 0; // f32x4 splats of the same rounded to float32, then one of 0
// Float64 pass: one row of x with its halo; m and s of every input row; one row of vertical means.
let lum: usize = 0;
let rowMean: usize = 0;
let rowMeanSq: usize = 0;
let colMean: usize = 0;
// Float32 pass: one row of x with its halo (and a zero each side); M (the row mean, rounded) and h
// (the row variance) of every input row, in rows of STRIDE32.
let lum32: usize = 0;
let rowM: usize = 0;
let rowH: usize = 0;
let columnRef: usize = 0; // 16-bit RGB: the tile's reference row of x (M is stored less it), as lum32
let lumBlock: usize = 0; // x of every row of the block (rows of lumStride f32, 4 of guard first)
let lumStride: i32 = 0;
let output: usize = 0; // rows x width f32
let lanes: usize = 0; // 128 bytes for the lanes of the image's last, partial column group
let tiles: usize = 0; // per float32 tile of a block, a record of 32 bytes (the RECORD_ offsets)
// A tile's record. The float32 pass writes all of it; the float64 fallback, only V and SUM.
const RECORD_PH: usize = 0; // f32: largest P^ of the horizontal pass
const RECORD_T: usize = 4; // f32: largest T^ of the vertical pass
const RECORD_A: usize = 8; // f32: largest |x|
const RECORD_RAW_V: usize = 12; // f32: largest v^ before the scale by outScale
const RECORD_AM: usize = 16; // f32: largest |x - x_ref| (x_ref: the column's x in the reference row)
const RECORD_V: usize = 20; // f32: largest v written
const RECORD_SUM: usize = 24; // f64: sum of v written
// f64: [0] sum of v, [1] max v, [2] running lower bound of the map's maximum, [3] tiles,
// [4] tiles that fell back, [5] the largest error bound of any tile; the caller zeroes them for
// each slice.
let stats: usize = 0;
let tolerance: f64 = 0; // largest error allowed, relative to the map's maximum (Infinity: never fall back)
let inexactInput: bool = false; // 16-bit RGB: x may round on conversion to float32
let gammaSum: f64 = 0; // g of the header: the horizontal pass's gamma(n)
let gammaVertical: f64 = 0; // g_v of the header: the vertical pass's gamma(r + 5)

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
  rowMean_: usize,
  rowMeanSq_: usize,
  colMean_: usize,
  lum32_: usize,
  rowM_: usize,
  rowH_: usize,
  columnRef_: usize,
  lumBlock_: usize,
  lumStride_: i32,
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
  rowMean = rowMean_;
  rowMeanSq = rowMeanSq_;
  colMean = colMean_;
  lum32 = lum32_;
  rowM = rowM_;
  rowH = rowH_;
  columnRef = columnRef_;
  lumBlock = lumBlock_;
  lumStride = lumStride_;
  output = output_;
  lanes = lanes_;
  tiles = tiles_;
  stats = stats_;
  tolerance = tolerance_;
  inexactInput = channels_ >= 3 && sixteen_ != 0;
  const n = <f64>(((radius_ + 1) >> 1) + 4 + (inexactInput ? 1 : 0));
  const u: f64 = 1.0 / 16777216.0;
  gammaSum = (n * u) / (1 - n * u);
  // S: three roundings of its own, T five (the largest), and radius accumulations.
  const nv = <f64>(radius_ + 5);
  gammaVertical = (nv * u) / (1 - nv * u);
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

/** x + S c of a source pixel: 299 R + 587 G + 114 B for RGB, the sample for grey (alpha ignored). */
@inline function scaledLuminanceAt(row: usize, x: i32): i32 {
  const i = x * channels;
  if (channels >= 3) return 299 * sample(row, i) + 587 * sample(row, i + 1) + 114 * sample(row, i + 2);
  return sample(row, i);
}

/** The tile's offset c: mean luminance on a sparse grid (any value near the tile's own will do). */
function tileOffset(x0: i32, tileWidth: i32, inputRows: i32): i32 {
  let sum: f64 = 0;
  let count: i32 = 0;
  for (let j = 0; j < inputRows; j += 8) {
    const row = input + <usize>(j * rowBytes);
    for (let x = x0; x < x0 + tileWidth; x += 8) {
      sum += <f64>scaledLuminanceAt(row, x);
      count++;
    }
  }
  return <i32>Math.round(sum / <f64>count / (channels >= 3 ? 1000 : 1));
}

/**
 * The float32 pass over every tile of the block, then the float64 pass over the tiles whose
 * bound is too large: writes rows x width f32 to output and adds to stats (see `stats`).
 * Input holds the block's rows plus `radius` rows above and below.
 */
export function focusBand(rows: i32): void {
  if (tolerance == 0) {
    focusBand64(rows);
    return;
  }
  const inputRows = rows + 2 * radius;
  // x of every row of the block at once, without an offset (exact: integers below 2^24), from
  // column -radius - 4 to width + radius + 20 (every tile's halo, and the zero-weight tap of an odd
  // radius); 16-bit RGB instead builds each tile's rows about the tile's offset, to stay exact.
  const wholeRows = !inexactInput;
  const lumRow = <usize>(lumStride << 2);
  if (wholeRows) {
    xTop = f32x4.splat(0);
    for (let j = 0; j < inputRows; j++) fillLuminance<f32>(lumBlock + <usize>j * lumRow + 16, j, -radius - 4, width + radius + 20, 0);
  }
  // The reference row: its x, column by column, is taken from every row mean M (exactly: both
  // are integers), so M's rounding scales with the column's range over the block, not the tile's.
  const middle = inputRows >> 1;
  let lower = load<f64>(stats, 16);
  let t = 0;
  for (let x0 = 0; x0 < width; x0 += TILE32) {
    const tileWidth = min(TILE32, width - x0);
    const cols = (tileWidth + 15) & ~15;
    rowPTop = f32x4.splat(0);
    refTop = f32x4.splat(0);
    if (wholeRows) {
      // Column x0 - radius of row j is element x0 + 4 of the row, past its guard.
      const at = lumBlock + 16 + (<usize>(x0 + 4) << 2);
      for (let j = 0; j < inputRows; j++) blurRow32(at + <usize>j * lumRow, at + <usize>middle * lumRow, j, cols);
    } else {
      const c = tileOffset(x0, tileWidth, inputRows);
      xTop = f32x4.splat(0);
      fillLuminance<f32>(columnRef, middle, x0 - radius, x0 + cols + radius, c);
      for (let j = 0; j < inputRows; j++) {
        fillLuminance<f32>(lum32, j, x0 - radius, x0 + cols + radius, c);
        blurRow32(lum32, columnRef, j, cols);
      }
    }
    const record = tiles + (<usize>t << 5);
    verticalPass32(x0, tileWidth, rows, record);
    // Every value minus the tile's bound is reached by the true map: a lower bound of its maximum.
    lower = max(lower, <f64>load<f32>(record, RECORD_V) - tileBound(record));
    t++;
  }
  let sum: f64 = 0;
  let top: f64 = load<f64>(stats, 8);
  let fellBack: f64 = 0;
  let largestBound = load<f64>(stats, 40);
  t = 0;
  for (let x0 = 0; x0 < width; x0 += TILE32) {
    const record = tiles + (<usize>t << 5);
    let bound = tileBound(record);
    if (!(bound <= tolerance * lower || tolerance == Infinity)) {
      fellBack++;
      xTop = f32x4.splat(0);
      focusTile64(x0, min(TILE32, width - x0), rows, record);
      // The float64 pass's error is below 1e-12 A^2 (its sums about its own offset c meet at most
      // ~6 r + 21 roundings of 2^-53 on moments up to A^2, A its largest |x|), then its values are
      // rounded to float32.
      const a = <f64>maxLane(xTop) / (1 - 1.0 / 16777216.0);
      const v = <f64>load<f32>(record, RECORD_V);
      bound = 1e-12 * a * a * <f64>outScale + v / 16777216.0;
      lower = max(lower, v - bound);
    }
    largestBound = max(largestBound, bound);
    sum += load<f64>(record, RECORD_SUM);
    top = max(top, <f64>load<f32>(record, RECORD_V));
    t++;
  }
  store<f64>(stats, load<f64>(stats) + sum);
  store<f64>(stats, top, 8);
  store<f64>(stats, lower, 16);
  store<f64>(stats, load<f64>(stats, 24) + <f64>t, 24);
  store<f64>(stats, load<f64>(stats, 32) + fellBack, 32);
  store<f64>(stats, largestBound, 40);
}

/**
 * Tolerance 0: the float64 kernel alone over tiles of TILE columns, without the float32 pass (on
 * this machine's two cores it was the faster of the two: about 230 against 300 ms of one core per
 * 24 MP RGB slice). Same stats as focusBand, every tile counted as fallen back; the bound is the
 * fallback's (below 1e-12 A^2, then the rounding to float32).
 */
function focusBand64(rows: i32): void {
  let lower = load<f64>(stats, 16);
  let sum: f64 = 0;
  let top: f64 = load<f64>(stats, 8);
  let largestBound = load<f64>(stats, 40);
  let t = 0;
  for (let x0 = 0; x0 < width; x0 += TILE) {
    const record = tiles + (<usize>t << 5);
    xTop = f32x4.splat(0);
    focusTile64(x0, min(TILE, width - x0), rows, record);
    const a = <f64>maxLane(xTop) / (1 - 1.0 / 16777216.0);
    const v = <f64>load<f32>(record, RECORD_V);
    const bound = 1e-12 * a * a * <f64>outScale + v / 16777216.0;
    lower = max(lower, v - bound);
    largestBound = max(largestBound, bound);
    sum += load<f64>(record, RECORD_SUM);
    top = max(top, v);
    t++;
  }
  store<f64>(stats, load<f64>(stats) + sum);
  store<f64>(stats, top, 8);
  store<f64>(stats, lower, 16);
  store<f64>(stats, load<f64>(stats, 24) + <f64>t, 24);
  store<f64>(stats, load<f64>(stats, 32) + <f64>t, 32);
  store<f64>(stats, largestBound, 40);
}

/**
 * The bound on the absolute error of every value of a float32 tile, in the map's units, from its
 * record (the derivation, term by term, is in the header).
 */
function tileBound(record: usize): f64 {
  const u: f64 = 1.0 / 16777216.0;
  const g = gammaSum;
  const gv = gammaVertical;
  // Upper bounds of the exact quantities from the tile's computed maxima.
  const ph = <f64>load<f32>(record, RECORD_PH) / (1 - g);
  const a = <f64>load<f32>(record, RECORD_A) / (1 - u);
  const tArithmetic = <f64>load<f32>(record, RECORD_T) / (1 - gv); // T~
  const tMoment = tArithmetic / ((1 - u) * (1 - u)); // P'v
  const vHat = <f64>load<f32>(record, RECORD_RAW_V);
  // The horizontal pass: h's error per unit of P, and the error of a row mean M^.
  const e = (1 + u) * (3 * g + g * g + u * (1 + g) * (1 + g)) + u;
  const rootPh = Math.sqrt(ph);
  const z = <f64>load<f32>(record, RECORD_AM);
  const meanError = g * rootPh + u * (z + (1 + g) * rootPh) + (inexactInput ? (u * z) / (1 - u) : 0);
  // sqrt Var(D^) is within F of sqrt B.
  const f = 2 * meanError + u * Math.sqrt(tMoment);
  const ev = 3 * gv + gv * gv + u * (1 + gv) * (1 + gv);
  const c0 = ev * tMoment + e * ph + f * f;
  // error <= u v + beta sqrt(v) + k, and v <= vHat + error (a quadratic in sqrt(v)).
  const beta = inexactInput ? 2 * (1 + u) * (f + u * a) : 2 * (1 + u) * f;
  const k = inexactInput ? (1 + u) * (c0 + 2 * f * u * a + u * a * u * a) : (1 + u) * c0;
  const root = (beta + Math.sqrt(beta * beta + 4 * (1 - u) * (vHat + k))) / (2 * (1 - u));
  let error = u * root * root + beta * root + k;
  if (outScale != 1) error = 1e-6 * (error + (2 * u + u * u) * vHat);
  return error * (1 + 1e-12); // the float64 arithmetic here
}

// ---- Luminance rows, for both passes ------------------------------------------------------------

// The tile's largest |x| and P^ of the float32 horizontal pass, for its bound (reset per tile).
let xTop: v128 = f32x4.splat(0);
let rowPTop: v128 = f32x4.splat(0);
let refTop: v128 = f32x4.splat(0); // the tile's largest |x - x_ref|

/**
 * Stores four x (i32 lanes) at element `i` of lum32 (T = f32) or lum (T = f64); returns |x| in
 * f32 lanes (for the tile's A). T is resolved at compile time: no branch.
 */
@inline function storeX<T>(to: usize, i: i32, x: v128): v128 {
  if (sizeof<T>() == 8) {
    const at = to + (<usize>i << 3);
    v128.store(at, f64x2.convert_low_i32x4_s(x));
    v128.store(at, f64x2.convert_low_i32x4_s(v128.shuffle<i32>(x, x, 2, 3, 0, 1)), 16);
    return f32x4.abs(f32x4.convert_i32x4_s(x));
  }
  const f = f32x4.convert_i32x4_s(x);
  v128.store(to + (<usize>i << 2), f);
  return f32x4.abs(f);
}

@inline function storeScalarX<T>(to: usize, i: i32, x: i32): v128 {
  if (sizeof<T>() == 8) {
    store<f64>(to + (<usize>i << 3), <f64>x);
    return f32x4.splat(abs<f32>(<f32>x));
  }
  const f = <f32>x;
  store<f32>(to + (<usize>i << 2), f);
  return f32x4.splat(abs<f32>(f));
}

/** x of four RGB pixels: 299 R + 587 G + 114 B - S c (i32 lanes: exact). */
@inline function rgbX(r: v128, g: v128, b: v128, offset: v128): v128 {
  return i32x4.sub(i32x4.add(i32x4.add(i32x4.mul(r, i32x4.splat(299)), i32x4.mul(g, i32x4.splat(587))), i32x4.mul(b, i32x4.splat(114))), offset);
}

/**
 * Fills elements 0 .. cols + 2 radius of lum32 (T = f32; also -1 and one past the end, with zeros,
 * and keeps the tile's largest |x| in xTop) or lum (T = f64) with x for columns x0 - radius
 * onwards of input row j.
 */
function fillLuminance<T>(to: usize, j: i32, first: i32, end: i32, c: i32): void {
  const row = input + <usize>(j * rowBytes);
  const sc = channels >= 3 ? 1000 * c : c;
  // Groups of four pixels inside the image go through SIMD; the rest are mirrored one by one.
  const simdStart = max(first, 0);
  const simdEnd = min(end, width - 3);
  let top = xTop;
  let x = first;
  for (; x < simdStart; x++) top = f32x4.max(top, storeScalarX<T>(to, x - first, scaledLuminanceAt(row, reflect(x, width)) - sc));
  const offset = i32x4.splat(sc);
  if (channels == 3 && !sixteen) {
    // R and G of each pixel as a pair of 16-bit lanes, B beside a zero: two dot products give
    // 299 R + 587 G and 114 B in 32-bit lanes (one pmaddwd each, no 32-bit multiplies).
    const zero = i32x4.splat(0);
    const redGreen = i16x8(299, 587, 299, 587, 299, 587, 299, 587);
    const blue = i16x8(114, 0, 114, 0, 114, 0, 114, 0);
    for (; x < simdEnd; x += 4) {
      const v = v128.load(row + <usize>(x * 3));
      const rg = i8x16.shuffle(v, zero, 0, 16, 1, 16, 3, 16, 4, 16, 6, 16, 7, 16, 9, 16, 10, 16);
      const b = i8x16.shuffle(v, zero, 2, 16, 16, 16, 5, 16, 16, 16, 8, 16, 16, 16, 11, 16, 16, 16);
      const sum = i32x4.add(i32x4.dot_i16x8_s(rg, redGreen), i32x4.dot_i16x8_s(b, blue));
      top = f32x4.max(top, storeX<T>(to, x - first, i32x4.sub(sum, offset)));
    }
  } else if (channels == 3) {
    const low16 = i32x4.splat(0xffff);
    for (; x < simdEnd; x += 4) {
      const p = row + <usize>(x * 6);
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const r = v128.and(i8x16.shuffle(v0, v1, 0, 1, 0, 0, 6, 7, 0, 0, 12, 13, 0, 0, 18, 19, 0, 0), low16);
      const g = v128.and(i8x16.shuffle(v0, v1, 2, 3, 0, 0, 8, 9, 0, 0, 14, 15, 0, 0, 20, 21, 0, 0), low16);
      const b = v128.and(i8x16.shuffle(v0, v1, 4, 5, 0, 0, 10, 11, 0, 0, 16, 17, 0, 0, 22, 23, 0, 0), low16);
      top = f32x4.max(top, storeX<T>(to, x - first, rgbX(r, g, b, offset)));
    }
  } else if (channels == 1 && !sixteen) {
    for (; x < simdEnd; x += 4) top = f32x4.max(top, storeX<T>(to, x - first, i32x4.sub(i32x4.extend_low_i16x8_u(v128.load8x8_u(row + <usize>x)), offset)));
  } else if (channels == 1) {
    for (; x < simdEnd; x += 4) top = f32x4.max(top, storeX<T>(to, x - first, i32x4.sub(v128.load16x4_u(row + (<usize>x << 1)), offset)));
  }
  for (; x < end; x++) top = f32x4.max(top, storeScalarX<T>(to, x - first, scaledLuminanceAt(row, reflect(x, width)) - sc));
  xTop = top;
  if (sizeof<T>() == 4) {
    store<f32>(to - 4, 0);
    store<f32>(to + (<usize>(end - first) << 2), 0);
  }
}

// ---- The float32 pass ---------------------------------------------------------------------------

/**
 * Horizontal pass over one row of x (lum32), centred on each output column's own x0: for `cols`
 * columns (a multiple of 16), four (one f32x4) per step, Q = G*d and P = G*d^2 with d = x - x0
 * over the taps beside the centre. Stores the row's variance h = P - Q^2 (at least 0) and its mean
 * less the column's reference, M = (x0 - x_ref) + Q (one rounding). Odd taps go to one pair of
 * sums and even taps to another, added at the end: the bound's n, and two independent chains for
 * the adder.
 */
function blurRow32(xs: usize, reference: usize, j: i32, cols: i32): void {
  const zero = f32x4.splat(0);
  const at = <usize>(j * STRIDE32 * 4);
  let pTop = rowPTop;
  let zTop = refTop;
  for (let x = 0; x < cols; x += 4) {
    const q = xs + (<usize>(x + radius) << 2);
    const a = v128.load(q);
    let qa = zero;
    let pa = zero;
    let qa2 = zero;
    let pa2 = zero;
    for (let t = 1; t <= radius; t += 2) {
      let w = v128.load(weights32 + (<usize>t << 4));
      let lo = q - (<usize>t << 2);
      let hi = q + (<usize>t << 2);
      let la = f32x4.sub(v128.load(lo), a);
      let ha = f32x4.sub(v128.load(hi), a);
      qa = f32x4.add(qa, f32x4.mul(w, f32x4.add(la, ha)));
      pa = f32x4.add(pa, f32x4.mul(w, f32x4.add(f32x4.mul(la, la), f32x4.mul(ha, ha))));
      w = v128.load(weights32 + (<usize>t << 4), 16);
      la = f32x4.sub(v128.load(lo - 4), a);
      ha = f32x4.sub(v128.load(hi + 4), a);
      qa2 = f32x4.add(qa2, f32x4.mul(w, f32x4.add(la, ha)));
      pa2 = f32x4.add(pa2, f32x4.mul(w, f32x4.add(f32x4.mul(la, la), f32x4.mul(ha, ha))));
    }
    qa = f32x4.add(qa, qa2);
    pa = f32x4.add(pa, pa2);
    pTop = f32x4.max(pTop, pa);
    const o = at + (<usize>x << 2);
    const z = f32x4.sub(a, v128.load(reference + (<usize>(x + radius) << 2)));
    zTop = f32x4.max(zTop, f32x4.abs(z));
    v128.store(rowM + o, f32x4.add(z, qa));
    v128.store(rowH + o, f32x4.max(f32x4.sub(pa, f32x4.mul(qa, qa)), zero));
  }
  rowPTop = pTop;
  refTop = zTop;
}

@inline function maxLane(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** One tap pair's term of T: w ((h_lo + h_hi) + (D_lo^2 + D_hi^2)). */
@inline function secondMomentTerm(w: v128, l: v128, h: v128, hLow: v128, hHigh: v128): v128 {
  return f32x4.mul(w, f32x4.add(f32x4.add(hLow, hHigh), f32x4.add(f32x4.mul(l, l), f32x4.mul(h, h))));
}

/**
 * Vertical pass and v for one float32 tile, written as f32 to output (times outScale): per output
 * pixel, with D = M - M_centre down its column, S = G*D and T = G*(h + D^2) in one loop, v = T - S^2
 * (at least 0); eight columns (two f32x4) per step, so four independent sums keep the adder busy.
 * Writes the tile's record for tileBound and the stats.
 */
function verticalPass32(x0: i32, tileWidth: i32, rows: i32, record: usize): void {
  const rowStep = <usize>(STRIDE32 * 4);
  const zero = f32x4.splat(0);
  const scale = f32x4.splat(outScale);
  const w0 = v128.load(weights32);
  const groups = (tileWidth + 7) >> 3;
  let tTop = zero;
  let rawTop = zero;
  let vTop = zero;
  let sum = f64x2.splat(0);
  let edgeSum: f64 = 0;
  for (let y = 0; y < rows; y++) {
    const centre = <usize>((y + radius) * STRIDE32 * 4);
    const out = output + (<usize>(y * width + x0) << 2);
    for (let g = 0; g < groups; g++) {
      const cm = rowM + centre + (<usize>g << 5);
      const ch = rowH + centre + (<usize>g << 5);
      const m0 = v128.load(cm);
      const m1 = v128.load(cm, 16);
      let s0 = zero;
      let s1 = zero;
      let t0 = f32x4.mul(w0, v128.load(ch));
      let t1 = f32x4.mul(w0, v128.load(ch, 16));
      for (let t = 1; t <= radius; t++) {
        const w = v128.load(weights32 + (<usize>t << 4));
        const d = rowStep * <usize>t;
        let l = f32x4.sub(v128.load(cm - d), m0);
        let h = f32x4.sub(v128.load(cm + d), m0);
        s0 = f32x4.add(s0, f32x4.mul(w, f32x4.add(l, h)));
        t0 = f32x4.add(t0, secondMomentTerm(w, l, h, v128.load(ch - d), v128.load(ch + d)));
        l = f32x4.sub(v128.load(cm - d, 16), m1);
        h = f32x4.sub(v128.load(cm + d, 16), m1);
        s1 = f32x4.add(s1, f32x4.mul(w, f32x4.add(l, h)));
        t1 = f32x4.add(t1, secondMomentTerm(w, l, h, v128.load(ch - d, 16), v128.load(ch + d, 16)));
      }
      const r0 = f32x4.max(f32x4.sub(t0, f32x4.mul(s0, s0)), zero);
      const r1 = f32x4.max(f32x4.sub(t1, f32x4.mul(s1, s1)), zero);
      const v0 = f32x4.mul(r0, scale);
      const v1 = f32x4.mul(r1, scale);
      const o = out + (<usize>g << 5);
      const first = g << 3;
      if (first + 8 <= tileWidth) {
        v128.store(o, v0);
        v128.store(o, v1, 16);
        tTop = f32x4.max(tTop, f32x4.max(t0, t1));
        rawTop = f32x4.max(rawTop, f32x4.max(r0, r1));
        vTop = f32x4.max(vTop, f32x4.max(v0, v1));
        const part = f32x4.add(v0, v1);
        sum = f64x2.add(sum, f64x2.add(f64x2.promote_low_f32x4(part), f64x2.promote_low_f32x4(v128.shuffle<f32>(part, part, 2, 3, 0, 1))));
      } else {
        // The image's last columns: only `tileWidth - first` of the eight are inside it.
        v128.store(lanes, v0);
        v128.store(lanes, v1, 16);
        v128.store(lanes, t0, 32);
        v128.store(lanes, t1, 48);
        v128.store(lanes, r0, 64);
        v128.store(lanes, r1, 80);
        for (let i = 0; i < tileWidth - first; i++) {
          const at = lanes + (<usize>i << 2);
          const v = load<f32>(at);
          store<f32>(o + (<usize>i << 2), v);
          edgeSum += <f64>v;
          vTop = f32x4.max(vTop, f32x4.splat(v));
          tTop = f32x4.max(tTop, f32x4.splat(load<f32>(at, 32)));
          rawTop = f32x4.max(rawTop, f32x4.splat(load<f32>(at, 64)));
        }
      }
    }
  }
  store<f32>(record + RECORD_PH, maxLane(rowPTop));
  store<f32>(record + RECORD_T, maxLane(tTop));
  store<f32>(record + RECORD_A, maxLane(xTop));
  store<f32>(record + RECORD_AM, maxLane(refTop));
  store<f32>(record + RECORD_RAW_V, maxLane(rawTop));
  store<f32>(record + RECORD_V, maxLane(vTop));
  store<f64>(record + RECORD_SUM, f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1) + edgeSum);
}

// ---- The float64 fallback -------------------------------------------------------------------------

/** The float64 focus map of one tile (at most TILE columns); records its largest v and sum. */
function focusTile64(x0: i32, tileWidth: i32, rows: i32, record: usize): void {
  const inputRows = rows + 2 * radius;
  const cols = (tileWidth + 7) & ~7;
  const c = tileOffset(x0, tileWidth, inputRows);
  for (let j = 0; j < inputRows; j++) {
    fillLuminance<f64>(lum, j, x0 - radius, x0 + cols + radius, c);
    blurRow(j, cols);
  }
  verticalPass(x0, tileWidth, rows, record);
}

/** Float64 horizontal pass over one row of x (lum): m and s of `cols` columns (a multiple of 8), both blurs at once. */
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
 * Float64 vertical pass and v for one tile, written as f32 to output; records its largest v and
 * its sum of v where verticalPass32 does (the rest of the record stays the float32 pass's). Eight columns (four
 * f64x2) per step with independent sums: one sum per step would wait on the adder's latency at
 * every tap (the pass was latency-bound that way, ~2.5x slower).
 */
function verticalPass(x0: i32, tileWidth: i32, rows: i32, record: usize): void {
  const w0 = v128.load(weights);
  const rowStep = <usize>(STRIDE * 8);
  const zero = f64x2.splat(0);
  const scale = f64x2.splat(outScale == 1 ? 1 : 1e-6); // 1 / S^2, in float64
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
      const v0 = f64x2.mul(f64x2.max(f64x2.sub(s0, f64x2.mul(m, m)), zero), scale);
      m = v128.load(at, 16);
      const v1 = f64x2.mul(f64x2.max(f64x2.sub(s1, f64x2.mul(m, m)), zero), scale);
      m = v128.load(at, 32);
      const v2 = f64x2.mul(f64x2.max(f64x2.sub(s2, f64x2.mul(m, m)), zero), scale);
      m = v128.load(at, 48);
      const v3 = f64x2.mul(f64x2.max(f64x2.sub(s3, f64x2.mul(m, m)), zero), scale);
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
  store<f32>(record + RECORD_V, <f32>top);
  store<f64>(record + RECORD_SUM, sum);
}

/**
 * The argmax merge of eight pixels from `i`: where v beats the kept maximum, or ties it from a
 * lower slice index k, stores v and k (SIMD compares and bit selects, no branches). Returns the
 * eight decisions as an i16x8 mask, for the caller to select the pixels' samples.
 */
@inline function mergeEight(v: usize, maxV: usize, win: usize, i: i32, kk: v128, k16: v128): v128 {
  const vp = v + (<usize>i << 2);
  const mp = maxV + (<usize>i << 2);
  const wp = win + (<usize>i << 1);
  const w01 = v128.load(wp);
  const v0 = v128.load(vp);
  const v1 = v128.load(vp, 16);
  const b0 = v128.load(mp);
  const b1 = v128.load(mp, 16);
  const m0 = v128.or(f32x4.gt(v0, b0), v128.and(f32x4.eq(v0, b0), i32x4.gt_s(i32x4.extend_low_i16x8_u(w01), kk)));
  const m1 = v128.or(f32x4.gt(v1, b1), v128.and(f32x4.eq(v1, b1), i32x4.gt_s(i32x4.extend_high_i16x8_u(w01), kk)));
  v128.store(mp, v128.bitselect(v0, b0, m0));
  v128.store(mp, v128.bitselect(v1, b1, m1), 16);
  const m01 = i16x8.narrow_i32x4_s(m0, m1);
  v128.store(wp, v128.bitselect(k16, w01, m01));
  return m01;
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
  const kk = i32x4.splat(k);
  const k16 = i16x8.splat(<i16>k);
  if (channels == 3 && !sixteen) {
    // Sixteen pixels per step: four f32x4 of v, two i16x8 of winners, three i8x16 of samples.
    for (; i + 16 <= n; i += 16) {
      const m01 = mergeEight(v, maxV, win, i, kk, k16);
      const m23 = mergeEight(v, maxV, win, i + 8, kk, k16);
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
  } else if (channels == 1 && !sixteen) {
    // Sixteen pixels per step, one i8x16 of samples.
    for (; i + 16 <= n; i += 16) {
      const mb = i8x16.narrow_i16x8_s(mergeEight(v, maxV, win, i, kk, k16), mergeEight(v, maxV, win, i + 8, kk, k16));
      const cp = comp + <usize>i;
      v128.store(cp, v128.bitselect(v128.load(pix + <usize>i), v128.load(cp), mb));
    }
  } else if (channels == 1) {
    // Eight pixels per step, one i16x8 of samples: the mask's lanes are the samples' own.
    for (; i + 8 <= n; i += 8) {
      const m = mergeEight(v, maxV, win, i, kk, k16);
      const cp = comp + (<usize>i << 1);
      v128.store(cp, v128.bitselect(v128.load(pix + (<usize>i << 1)), v128.load(cp), m));
    }
  } else if (channels == 3) {
    // Eight pixels per step, three i16x8 of samples: each pixel's mask lane spread over three.
    for (; i + 8 <= n; i += 8) {
      const m = mergeEight(v, maxV, win, i, kk, k16);
      const e0 = i8x16.shuffle(m, m, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 4, 5, 4, 5);
      const e1 = i8x16.shuffle(m, m, 4, 5, 6, 7, 6, 7, 6, 7, 8, 9, 8, 9, 8, 9, 10, 11);
      const e2 = i8x16.shuffle(m, m, 10, 11, 10, 11, 12, 13, 12, 13, 12, 13, 14, 15, 14, 15, 14, 15);
      const cp = comp + <usize>(i * 6);
      const pp = pix + <usize>(i * 6);
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
