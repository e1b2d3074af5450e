// The alignment warp's hot kernel, compiled to WebAssembly SIMD by AssemblyScript
// (scripts/build-kernel.js): for a block of output rows, the affine inverse mapping, Keys' cubic
// (a = -0.5) 4x4 weights, the per-channel gain and offset, rounding and clamping, for 8- and
// 16-bit interleaved samples with 1 to 4 channels. Taps beyond the slice repeat its edge. The
// JavaScript warp in src/main/engine/align-warp.ts is the reference it is tested against.
//
// One output pixel at a time, its channels in the four f32 lanes: each tap is one unaligned
// 16-byte load, one swizzle that spreads the pixel's samples into 32-bit lanes (zero-extended),
// one conversion and one multiply-add. The sums are float32: against the float64 reference the
// result differs by at most one level, and only where the exact value lies within ~1e-3 of .5.
//
// Memory is laid out by the caller (src/main/engine/kernel/warp.ts): the source band (rows
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
let xLimit: f64 = 0;
let yLimit: f64 = 0;
let gain: v128 = f32x4.splat(1);
let offset: v128 = f32x4.splat(0);
let maxValue: v128 = f32x4.splat(255);
let spread: v128 = i8x16.splat(0); // swizzle: pixel samples at byte 0 (and 1) of each 32-bit lane

// Keys a = -0.5 as w(t) = ((A t + B) t + C) t + D, one tap per lane (offsets -1, 0, 1, 2).
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
  // Beyond these every tap is clamped to the edge anyway; keeps floor() within i32.
  xLimit = <f64>sourceWidth_ + 4;
  yLimit = <f64>sourceHeight_ + 4;
  gain = f32x4(g0, g1, g2, g3);
  offset = f32x4(o0, o1, o2, o3);
  maxValue = f32x4.splat(sixteen ? 65535 : 255);
  spread = sixteen
    ? i8x16(0, 1, -1, -1, 2, 3, -1, -1, 4, 5, -1, -1, 6, 7, -1, -1)
    : i8x16(0, -1, -1, -1, 1, -1, -1, -1, 2, -1, -1, -1, 3, -1, -1, -1);
}

@inline function weights(t: f32): v128 {
  const tv = f32x4.splat(t);
  return f32x4.add(f32x4.mul(f32x4.add(f32x4.mul(f32x4.add(f32x4.mul(KA, tv), KB), tv), KC), tv), KD);
}

@inline function tap(at: usize): v128 {
  return f32x4.convert_i32x4_s(i8x16.swizzle(v128.load(at), spread));
}

/** One source row's four taps, weighted by wx. */
@inline function horizontal(row: usize, x0: usize, x1: usize, x2: usize, x3: usize, w0: v128, w1: v128, w2: v128, w3: v128): v128 {
  return f32x4.add(
    f32x4.add(f32x4.mul(tap(row + x0), w0), f32x4.mul(tap(row + x1), w1)),
    f32x4.add(f32x4.mul(tap(row + x2), w2), f32x4.mul(tap(row + x3), w3)),
  );
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
  const lastColumn = sourceWidth - 1;
  const bandEnd = bandStart + bandRows - 1;
  const half = f32x4.splat(0.5);
  const zero = f32x4.splat(0);
  let out = output;
  for (let r = 0; r < rows; r++) {
    const y = <f64>(y0 + r);
    const rowX = mb * y + mc;
    const rowY = me * y + mf;
    for (let x = 0; x < outWidth; x++) {
      const fx = <f64>x;
      const sx = min(max(ma * fx + rowX, -4.0), xLimit);
      const sy = min(max(md * fx + rowY, -4.0), yLimit);
      const flx = Math.floor(sx);
      const fly = Math.floor(sy);
      const ix = <i32>flx;
      const iy = <i32>fly;
      const wx = weights(<f32>(sx - flx));
      const wy = weights(<f32>(sy - fly));
      let c0: usize, c1: usize, c2: usize, c3: usize;
      if (ix >= 1 && ix + 2 <= lastColumn) {
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
      const r0 = input + <usize>((clampi(iy - 1, bandStart, bandEnd) - bandStart) * rowBytes);
      const r1 = input + <usize>((clampi(iy, bandStart, bandEnd) - bandStart) * rowBytes);
      const r2 = input + <usize>((clampi(iy + 1, bandStart, bandEnd) - bandStart) * rowBytes);
      const r3 = input + <usize>((clampi(iy + 2, bandStart, bandEnd) - bandStart) * rowBytes);
      const w0 = v128.shuffle<f32>(wx, wx, 0, 0, 0, 0);
      const w1 = v128.shuffle<f32>(wx, wx, 1, 1, 1, 1);
      const w2 = v128.shuffle<f32>(wx, wx, 2, 2, 2, 2);
      const w3 = v128.shuffle<f32>(wx, wx, 3, 3, 3, 3);
      const acc = f32x4.add(
        f32x4.add(
          f32x4.mul(horizontal(r0, c0, c1, c2, c3, w0, w1, w2, w3), v128.shuffle<f32>(wy, wy, 0, 0, 0, 0)),
          f32x4.mul(horizontal(r1, c0, c1, c2, c3, w0, w1, w2, w3), v128.shuffle<f32>(wy, wy, 1, 1, 1, 1)),
        ),
        f32x4.add(
          f32x4.mul(horizontal(r2, c0, c1, c2, c3, w0, w1, w2, w3), v128.shuffle<f32>(wy, wy, 2, 2, 2, 2)),
          f32x4.mul(horizontal(r3, c0, c1, c2, c3, w0, w1, w2, w3), v128.shuffle<f32>(wy, wy, 3, 3, 3, 3)),
        ),
      );
      // Math.round (half up), then clamp to the sample range.
      const v = f32x4.pmin(f32x4.pmax(f32x4.floor(f32x4.add(f32x4.add(f32x4.mul(acc, gain), offset), half)), zero), maxValue);
      const n = i32x4.trunc_sat_f32x4_s(v);
      // Stores whole lanes: a pixel with fewer channels spills into the next pixel's first
      // samples, which that pixel then overwrites (the block has slack after its last pixel).
      if (sixteen) {
        const packed = i16x8.narrow_i32x4_u(n, n);
        if (channels > 2) v128.store64_lane(out, packed, 0);
        else if (channels == 2) v128.store32_lane(out, packed, 0);
        else v128.store16_lane(out, packed, 0);
      } else {
        const h = i16x8.narrow_i32x4_u(n, n);
        const packed = i8x16.narrow_i16x8_u(h, h);
        if (channels > 2) v128.store32_lane(out, packed, 0);
        else if (channels == 2) v128.store16_lane(out, packed, 0);
        else v128.store8_lane(out, packed, 0);
      }
      out += <usize>pixelBytes;
    }
  }
}
