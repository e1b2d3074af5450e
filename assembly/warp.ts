// The alignment warp's hot kernel, compiled to WebAssembly SIMD by AssemblyScript
// (scripts/build-kernel.js): for a block of output rows, the affine inverse mapping, Keys' cubic
// (a = -0.5) 4x4 weights, the per-channel gain and offset, rounding and clamping, for 8- and
// 16-bit interleaved samples with 1 to 4 channels. Taps beyond the slice repeat its edge. The
// JavaScript warp in src/main/engine/align/warp.ts is the reference it is tested against.
//
// One output pixel at a time, its channels in the four lanes. 8 bits, all four columns inside
// the slice (nearly every pixel): each of the four rows is one 16-byte load, two swizzles into
// (tap, tap) i16 pairs per channel and two i32x4 dot products with Q14 weights, then the vertical
// pass in float32. 16 bits, and 8 bits at the left and right edges: each tap is one widening load,
// one conversion and one float32 multiply-add. Rounding is to nearest with ties to even (the
// reference's Math.round rounds ties up) and clamping is by the saturating narrowings. Against
// the float64 reference (test/unit/align-warp-kernel.test.ts) results differ by at most one level,
// on about 0.3% of samples. Measured on a 6000x4000 RGB slice (one loaded core, CPU time): JS
// 2380 ms 8-bit / 2740 ms 16-bit, this kernel 460 / 680 ms including the band copies.
//
// Memory is laid out by the caller (src/main/engine/align/warp-kernel.ts): the source band (rows
// bandStart .. bandStart + bandRows of the slice, copied in, followed by 32 bytes of slack for the
// loads) and the output block (followed by 16 bytes of slack for the stores).

// Set by configure().
let sourceWidth: i32 = 0;
let channels: i32 = 0;
let sixteen: bool = false;
let pixelBytes: i32 = 0;
let rowBytes: i32 = 0;
let outWidth: i32 = 0;
let input: usize = 0;
let output: usize = 0;
let ma: f64 = 1;
let mb: f64 = 0;
let mc: f64 = 0;
let md: f64 = 0;
let me: f64 = 1;
let mf: f64 = 0;
let gain: v128 = f32x4.splat(1);
let offset: v128 = f32x4.splat(0);
// 8 bits: swizzles of four consecutive pixels' bytes into i16 pairs (tap 0, tap 1) and (tap 2,
// tap 3) per channel, zero-extended; channels beyond the pixel's read as 0.
let swizzleA: v128 = i8x16.splat(-1);
let swizzleB: v128 = i8x16.splat(-1);

// Keys with a = KEYS_A = -0.5 (src/main/engine/align/warp.ts) as w(t) = ((A t + B) t + C) t + D,
// one tap per lane (offsets -1, 0, 1, 2): A = (a, a+2, -(a+2), -a), B = (-2a, -(a+3), 2a+3, a),
// C = (a, 0, -a, 0), D = (0, 1, 0, 0).
const KA: v128 = f32x4(-0.5, 1.5, -1.5, 0.5);
const KB: v128 = f32x4(1.0, -2.5, 2.0, -0.5);
const KC: v128 = f32x4(-0.5, 0.0, 0.5, 0.0);
const KD: v128 = f32x4(0.0, 1.0, 0.0, 0.0);

export function heapBase(): usize {
  return __heap_base;
}

export function configure(
  sourceWidth_: i32,
  sourceHeight_: i32,
  channels_: i32,
  sixteen_: i32,
  outWidth_: i32,
  input_: usize,
  output_: usize,
  a: f64,
  b: f64,
  c: f64,
  d: f64,
  e: f64,
  f: f64,
  g0: f32, g1: f32, g2: f32, g3: f32,
  o0: f32, o1: f32, o2: f32, o3: f32,
): void {
  sourceWidth = sourceWidth_;
  channels = channels_;
  sixteen = sixteen_ != 0;
  pixelBytes = channels_ * (sixteen ? 2 : 1);
  rowBytes = sourceWidth_ * pixelBytes;
  outWidth = outWidth_;
  input = input_;
  output = output_;
  ma = a;
  mb = b;
  mc = c;
  md = d;
  me = e;
  mf = f;
  gain = f32x4(g0, g1, g2, g3);
  offset = f32x4(o0, o1, o2, o3);
  swizzleA = pairSwizzle(channels_, 0);
  swizzleB = pairSwizzle(channels_, 2);
}

/** Bytes (i16 lane 2 ch: tap `first`, lane 2 ch + 1: tap `first` + 1, of channel ch), 0xff = zero. */
function pairSwizzle(channels_: i32, first: i32): v128 {
  let low: u64 = 0xffffffffffffffff;
  let high: u64 = 0xffffffffffffffff;
  for (let ch: i32 = 0; ch < channels_; ch++) {
    const lane = <u64>((first * channels_ + ch) | (((first + 1) * channels_ + ch) << 16)) | 0xff00ff00;
    const shift = <u64>((ch & 1) * 32);
    const clear = ~(<u64>0xffffffff << shift);
    if (ch < 2) low = (low & clear) | (lane << shift);
    else high = (high & clear) | (lane << shift);
  }
  return i64x2.replace_lane(i64x2.splat(low), 1, high);
}

@inline function weights(tv: v128): v128 {
  return f32x4.add(f32x4.mul(f32x4.add(f32x4.mul(f32x4.add(f32x4.mul(KA, tv), KB), tv), KC), tv), KD);
}

/** A pixel's samples (up to four; the lanes past `channels` hold the next pixel's), as f32x4. */
@inline function tap<T>(at: usize): v128 {
  if (sizeof<T>() == 2) return f32x4.convert_i32x4_s(v128.load16x4_u(at));
  return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(v128.load8x8_u(at)));
}

/** One source row's four taps, weighted by wx. */
@inline function horizontal<T>(row: usize, x0: usize, x1: usize, x2: usize, x3: usize, w0: v128, w1: v128, w2: v128, w3: v128): v128 {
  return f32x4.add(
    f32x4.add(f32x4.mul(tap<T>(row + x0), w0), f32x4.mul(tap<T>(row + x1), w1)),
    f32x4.add(f32x4.mul(tap<T>(row + x2), w2), f32x4.mul(tap<T>(row + x3), w3)),
  );
}

/** Rounds to the nearest integer (ties to even), |v| < 2^22: cheaper than trunc_sat in V8. */
@inline function roundToI32(v: v128): v128 {
  return i32x4.sub(f32x4.add(v, f32x4.splat(12582912.0)), i32x4.splat(0x4b400000));
}

/** Sum over a row's four taps of w * sample, per channel, as f32x4 scaled by 2^14 (8 bits). */
@inline function rowQ14(at: usize, pairA: v128, pairB: v128, wa: v128, wb: v128): v128 {
  const pixels = v128.load(at);
  const sum = i32x4.add(i32x4.dot_i16x8_s(i8x16.swizzle(pixels, pairA), wa), i32x4.dot_i16x8_s(i8x16.swizzle(pixels, pairB), wb));
  return f32x4.convert_i32x4_s(sum);
}

@inline function clampi(v: i32, lo: i32, hi: i32): i32 {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Output rows y0 .. y0 + rows (of the output frame) into the output block, from the source band
 * holding slice rows bandStart .. bandStart + bandRows, which must cover every row a tap of these
 * output rows touches after clamping to the slice.
 */
export function warpRows(y0: i32, rows: i32, bandStart: i32, bandRows: i32): void {
  if (sixteen) run<u16>(y0, rows, bandStart, bandRows);
  else run<u8>(y0, rows, bandStart, bandRows);
}

@inline function run<T>(y0: i32, rows: i32, bandStart: i32, bandRows: i32): void {
  const lastColumn = sourceWidth - 1;
  const bandEnd = bandStart + bandRows - 1;
  const q14 = f32x4.splat(16384);
  const big = f32x4.splat(1048576.0);
  const small = f32x4.splat(-1048576.0);
  const unQ14 = f32x4.splat(1.0 / 16384);
  const pairA = swizzleA;
  const pairB = swizzleB;
  let out = output;
  for (let r = 0; r < rows; r++) {
    const y = <f64>(y0 + r);
    // Stepped along the row exactly as the JavaScript reference does. The caller keeps every
    // coordinate well within i32 (no clamping needed here).
    // (sx, sy) in one f64x2: lane by lane the same IEEE arithmetic as the scalar reference.
    let sxy = f64x2(mb * y + mc, me * y + mf);
    const step = f64x2(ma, md);
    for (let x = 0; x < outWidth; x++, sxy = f64x2.add(sxy, step)) {
      const fl = f64x2.floor(sxy);
      const ixy = i32x4.trunc_sat_f64x2_s_zero(fl);
      const ix = i32x4.extract_lane(ixy, 0);
      const iy = i32x4.extract_lane(ixy, 1);
      const t = f32x4.demote_f64x2_zero(f64x2.sub(sxy, fl));
      const wx = weights(v128.shuffle<f32>(t, t, 0, 0, 0, 0));
      const wy = weights(v128.shuffle<f32>(t, t, 1, 1, 1, 1));
      let r0: usize, r1: usize, r2: usize, r3: usize;
      if (iy > bandStart && iy + 2 <= bandEnd) {
        r0 = input + <usize>((iy - 1 - bandStart) * rowBytes);
        r1 = r0 + <usize>rowBytes;
        r2 = r1 + <usize>rowBytes;
        r3 = r2 + <usize>rowBytes;
      } else {
        r0 = input + <usize>((clampi(iy - 1, bandStart, bandEnd) - bandStart) * rowBytes);
        r1 = input + <usize>((clampi(iy, bandStart, bandEnd) - bandStart) * rowBytes);
        r2 = input + <usize>((clampi(iy + 1, bandStart, bandEnd) - bandStart) * rowBytes);
        r3 = input + <usize>((clampi(iy + 2, bandStart, bandEnd) - bandStart) * rowBytes);
      }
      const interior = ix >= 1 && ix + 2 <= lastColumn;
      let acc: v128;
      if (sizeof<T>() == 1 && interior) {
        // 8 bits, all four columns inside: the four taps of a row are one 16-byte load; the
        // horizontal pass is exact integer arithmetic on Q14 weights (two i16 dot products), the
        // vertical one float32. Quantising the weights moves the result by < 0.04 level.
        const q = roundToI32(f32x4.mul(wx, q14));
        const q16 = i16x8.narrow_i32x4_s(q, q);
        const wa = v128.shuffle<i16>(q16, q16, 0, 1, 0, 1, 0, 1, 0, 1);
        const wb = v128.shuffle<i16>(q16, q16, 2, 3, 2, 3, 2, 3, 2, 3);
        const c0 = <usize>((ix - 1) * pixelBytes);
        acc = f32x4.add(
          f32x4.add(
            f32x4.mul(rowQ14(r0 + c0, pairA, pairB, wa, wb), v128.shuffle<f32>(wy, wy, 0, 0, 0, 0)),
            f32x4.mul(rowQ14(r1 + c0, pairA, pairB, wa, wb), v128.shuffle<f32>(wy, wy, 1, 1, 1, 1)),
          ),
          f32x4.add(
            f32x4.mul(rowQ14(r2 + c0, pairA, pairB, wa, wb), v128.shuffle<f32>(wy, wy, 2, 2, 2, 2)),
            f32x4.mul(rowQ14(r3 + c0, pairA, pairB, wa, wb), v128.shuffle<f32>(wy, wy, 3, 3, 3, 3)),
          ),
        );
        acc = f32x4.mul(acc, unQ14);
      } else {
      let c0: usize, c1: usize, c2: usize, c3: usize;
      if (interior) {
        c0 = <usize>((ix - 1) * pixelBytes);
        c1 = c0 + <usize>pixelBytes;
        c2 = c1 + <usize>pixelBytes;
        c3 = c2 + <usize>pixelBytes;
      } else {
        c0 = <usize>(clampi(ix - 1, 0, lastColumn) * pixelBytes);
        c1 = <usize>(clampi(ix, 0, lastColumn) * pixelBytes);
        c2 = <usize>(clampi(ix + 1, 0, lastColumn) * pixelBytes);
        c3 = <usize>(clampi(ix + 2, 0, lastColumn) * pixelBytes);
      }
      const w0 = v128.shuffle<f32>(wx, wx, 0, 0, 0, 0);
      const w1 = v128.shuffle<f32>(wx, wx, 1, 1, 1, 1);
      const w2 = v128.shuffle<f32>(wx, wx, 2, 2, 2, 2);
      const w3 = v128.shuffle<f32>(wx, wx, 3, 3, 3, 3);
      acc = f32x4.add(
        f32x4.add(
          f32x4.mul(horizontal<T>(r0, c0, c1, c2, c3, w0, w1, w2, w3), v128.shuffle<f32>(wy, wy, 0, 0, 0, 0)),
          f32x4.mul(horizontal<T>(r1, c0, c1, c2, c3, w0, w1, w2, w3), v128.shuffle<f32>(wy, wy, 1, 1, 1, 1)),
        ),
        f32x4.add(
          f32x4.mul(horizontal<T>(r2, c0, c1, c2, c3, w0, w1, w2, w3), v128.shuffle<f32>(wy, wy, 2, 2, 2, 2)),
          f32x4.mul(horizontal<T>(r3, c0, c1, c2, c3, w0, w1, w2, w3), v128.shuffle<f32>(wy, wy, 3, 3, 3, 3)),
        ),
      );
      }
      // Rounding (to nearest, ties to even: the reference's Math.round differs only on exact
      // ties) and clamping to the sample range, by the saturating narrowings below.
      const n = roundToI32(f32x4.pmax(f32x4.pmin(f32x4.add(f32x4.mul(acc, gain), offset), big), small));
      // Stores whole lanes: a pixel with fewer channels spills into the next pixel's first
      // samples, which that pixel then overwrites (the block has slack after its last pixel).
      if (sizeof<T>() == 2) {
        const packed = i16x8.narrow_i32x4_u(n, n);
        if (channels > 2) v128.store64_lane(out, packed, 0);
        else if (channels == 2) v128.store32_lane(out, packed, 0);
        else v128.store16_lane(out, packed, 0);
      } else {
        const h = i16x8.narrow_i32x4_s(n, n);
        const packed = i8x16.narrow_i16x8_u(h, h);
        if (channels > 2) v128.store32_lane(out, packed, 0);
        else if (channels == 2) v128.store16_lane(out, packed, 0);
        else v128.store8_lane(out, packed, 0);
      }
      out += <usize>pixelBytes;
    }
  }
}
