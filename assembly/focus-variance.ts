// The focus measure's hot kernel, compiled to WebAssembly SIMD by AssemblyScript
// (scripts/build-kernel.js): the raw local variance v = G*L^2 - (G*L)^2 of one block of rows, with
// L = 0.299 R + 0.587 G + 0.114 B folded into the first pass. The float64 JavaScript kernel in
// src/main/engine/focus/focus-measure.ts is the reference it is tested against.
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
// Speed (platform notes): both blurs in one horizontal pass (squaring L at every tap measured
// faster than loading squares computed once: the pass is bound by loads); the vertical pass sums
// m and s in separate loops (fewer register spills), eight columns per step with independent
// sums (one sum per step was bound by the adder's latency); a compile-time tile width with rows
// padded by 16 elements (no cache-set aliasing at power-of-two strides).
//
// mergeArgmax, at the end, merges a band of the map just computed into a copy of the plain argmax
// state (SIMD compares and bit selects, no branches), bit for bit what the JavaScript merge does.
//
// Memory is laid out by the caller (src/main/engine/focus/focus-variance-kernel.ts): every pointer is
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

/**
 * Vertical pass and v for one tile, written as f32 to output; adds to stats. Eight columns (four
 * f64x2) per step with independent sums: one sum per step would wait on the adder's latency at
 * every tap (the pass was latency-bound that way, ~2.5x slower).
 */
function verticalPass(x0: i32, tileWidth: i32, rows: i32): void {
  const w0 = v128.load(weights);
  const rowStep = <usize>(STRIDE * 8);
  const zero = f64x2.splat(0);
  const groups = (tileWidth + 7) >> 3; // of eight columns; the buffers hold TILE finite columns
  let top: f64 = load<f64>(stats, 8);
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
