// Separable box blur with edge-normalised windows (each output is the mean of the in-image
// samples of its window), repeated to approximate a Gaussian (three passes of a box of radius r
// have a standard deviation of about r). Cost per pixel does not depend on r, so the wide windows
// that regularisation needs stay cheap on 24 MP images.

function boxPass(src: Float32Array, out: Float32Array, width: number, height: number, radius: number, horizontal: boolean): void {
  const lines = horizontal ? height : width;
  const length = horizontal ? width : height;
  const step = horizontal ? 1 : width;
  for (let line = 0; line < lines; line++) {
    const start = horizontal ? line * width : line;
    let sum = 0;
    let count = 0;
    for (let i = 0; i < Math.min(radius, length); i++) {
      sum += src[start + i * step];
      count++;
    }
    for (let i = 0; i < length; i++) {
      const enter = i + radius;
      if (enter < length) {
        sum += src[start + enter * step];
        count++;
      }
      const leave = i - radius - 1;
      if (leave >= 0) {
        sum -= src[start + leave * step];
        count--;
      }
      out[start + i * step] = sum / count;
    }
  }
}

/** Blurs `values` (row-major, width x height) in place by `passes` box passes of `radius`. */
export function boxBlur(values: Float32Array, width: number, height: number, radius: number, passes = 3): Float32Array {
  if (radius < 1) return values;
  const scratch = new Float32Array(values.length);
  for (let i = 0; i < passes; i++) {
    boxPass(values, scratch, width, height, radius, true);
    boxPass(scratch, values, width, height, radius, false);
  }
  return values;
}
