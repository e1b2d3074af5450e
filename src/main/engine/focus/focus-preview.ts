// A downsampled copy of a focus map (block means) for heatmap display: small enough to keep one
// per slice, raw values so every slice shares one scale.
import type { FocusPreview } from '../../../shared/types';

export class FocusPreviewBuilder {
  private readonly factor: number;
  private readonly sums: Float64Array;
  private readonly counts: Uint32Array;
  readonly width: number;
  readonly height: number;

  constructor(
    private readonly sourceWidth: number,
    sourceHeight: number,
    longestSide: number,
  ) {
    this.factor = Math.max(1, Math.ceil(Math.max(sourceWidth, sourceHeight) / longestSide));
    this.width = Math.ceil(sourceWidth / this.factor);
    this.height = Math.ceil(sourceHeight / this.factor);
    this.sums = new Float64Array(this.width * this.height);
    this.counts = new Uint32Array(this.width * this.height);
  }

  addBand(y0: number, variance: Float32Array): void {
    const rows = variance.length / this.sourceWidth;
    for (let y = 0; y < rows; y++) {
      const row = Math.floor((y0 + y) / this.factor) * this.width;
      const o = y * this.sourceWidth;
      for (let x = 0; x < this.sourceWidth; x++) {
        const cell = row + Math.floor(x / this.factor);
        this.sums[cell] += variance[o + x];
        this.counts[cell]++;
      }
    }
  }

  build(): FocusPreview {
    const values = new Float32Array(this.sums.length);
    for (let i = 0; i < values.length; i++) values[i] = this.counts[i] ? this.sums[i] / this.counts[i] : 0;
    return { width: this.width, height: this.height, values };
  }
}
