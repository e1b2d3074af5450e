// The images the viewer shows (a slice, the composite, the index and depth maps, the confidence
// map) for a job of the registry, rendered on request and kept in a cache of bounded size, with
// the 8-bit copies they are made from kept beside each result.
import { colourLut } from '../../shared/colour-maps';
import type { ImageKind, ImageUrlOptions } from '../../shared/api';
import type { PixelLayout, SliceRef } from '../../shared/types';
import { decodeAligned, DeepfieldError, scaleTo8Bit } from '../engine';
import type { Job, JobRegistry, MergedResult } from './job-registry';
import { colourise, indexTo8Bit, renderDepth, renderPixels, renderSlice, type RenderedImage } from './render-image';

const IMAGE_CACHE_BYTES = 96 * 1024 * 1024;
const MAX_IMAGE_SIZE = 16384;

export class ImageRenderer {
  private readonly imageCache = new Map<string, RenderedImage>();
  private imageCacheBytes = 0;

  constructor(private readonly jobs: JobRegistry) {}

  async renderImage(jobId: string, kind: ImageKind, options: ImageUrlOptions = {}): Promise<RenderedImage> {
    const job = kind === 'slice' ? this.jobs.job(jobId) : this.jobs.finishedJob(jobId);
    if (!job.layout || !job.slices) throw new DeepfieldError('The stack is still being read');
    const { width, height } = job.layout;
    const format = options.format ?? 'png';
    const maxSize = options.maxSize === undefined ? undefined : Math.min(MAX_IMAGE_SIZE, Math.max(1, Math.round(options.maxSize)));
    const region = options.region;
    if (region) {
      const ok = [region.x, region.y, region.width, region.height].every(Number.isInteger) && region.x >= 0 && region.y >= 0 && region.width > 0 && region.height > 0 && region.x + region.width <= width && region.y + region.height <= height;
      if (!ok) throw new DeepfieldError(`Expected a region inside ${width}x${height} for region but received ${JSON.stringify(region)}`);
    }
    const slice = kind === 'slice' ? options.slice ?? -1 : undefined;
    if (slice !== undefined && !(Number.isInteger(slice) && slice >= 0 && slice < job.slices.length)) {
      throw new DeepfieldError(`Expected a slice number from 0 to ${job.slices.length - 1} for slice but received ${options.slice}`);
    }
    // Slices of an aligned job are shown in the composite's frame once the alignment is known.
    const align = slice !== undefined && job.state === 'done' ? job.aligns?.[slice] : undefined;
    const method = kind === 'slice' || kind === 'confidence' ? '' : (options.method ?? job.options.method);
    // Strokes show from any revision on; 0 (or none) asks for the merged result, for before/after.
    const retouched = kind !== 'slice' && kind !== 'confidence' && (options.retouch ?? 0) > 0 && job.retouch.strokes.length > 0;
    const key = `${job.id}/${kind}/${slice ?? ''}/${align ? 'aligned' : ''}/${maxSize ?? ''}/${format}/${region ? Object.values(region).join(',') : ''}/${method}/${retouched ? job.retouchRevision : 0}`;
    const cached = this.imageCache.get(key);
    if (cached) {
      this.imageCache.delete(key); // re-insert: the Map's order is the recency order
      this.imageCache.set(key, cached);
      return cached;
    }
    const render = { format, maxSize, region };
    let image: RenderedImage;
    if (kind === 'slice' && align) {
      const pixels = await decodeAligned(job.slices[slice!], job.layout, align);
      const pixels8 = job.layout.bitDepth === 16 ? scaleTo8Bit(pixels as Uint16Array, job.layout) : (pixels as Uint8Array);
      image = await renderPixels(pixels8, width, height, job.layout.channels, render);
    } else if (kind === 'slice') {
      image = await renderSlice(job.slices[slice!], job.layout, render);
    } else {
      const done = this.jobs.finishedJob(jobId);
      if (kind === 'confidence') {
        image = await renderPixels(this.confidence8(done), width, height, 3, render);
      } else {
        const unretouched = await this.jobs.mergedResult(done, options.method, false);
        const merged = retouched ? await this.jobs.retouchedResult(done, unretouched) : unretouched;
        if (kind === 'composite') {
          image = await renderPixels(this.composite8(done, merged), width, height, done.layout.channels, render);
        } else if (kind === 'index') {
          image = await renderPixels(this.index8(done, merged), width, height, 1, render, true);
        } else {
          image = await renderDepth(this.index8(done, merged), width, height, done.slices.length, render);
        }
      }
    }
    this.cache(key, image);
    return image;
  }

  private composite8(job: Job & { layout: PixelLayout }, merged: MergedResult): Uint8Array {
    const composite = merged.result.composite;
    merged.composite8 ??= job.layout.bitDepth === 16 ? scaleTo8Bit(composite as Uint16Array, job.layout) : (composite as Uint8Array);
    return merged.composite8;
  }

  private index8(job: Job & { slices: SliceRef[] }, merged: MergedResult): Uint8Array {
    merged.index8 ??= indexTo8Bit(merged.result.indexMap, job.slices.length);
    return merged.index8;
  }

  /** The confidence map (0..1 per pixel) through the inferno map: dark where the focus peak is ambiguous. */
  private confidence8(job: Job & { slices: SliceRef[] }): Uint8Array {
    if (!job.confidence8) {
      if (!job.result) throw new DeepfieldError('This job kept no focus profile: run it again to see its confidence');
      const confidence = job.result.confidence();
      const levels = new Uint8Array(confidence.length);
      for (let i = 0; i < confidence.length; i++) levels[i] = Math.round(Math.min(1, Math.max(0, confidence[i])) * 255);
      job.confidence8 = colourise(levels, colourLut('inferno'));
    }
    return job.confidence8;
  }

  private cache(key: string, image: RenderedImage): void {
    if (image.data.length > IMAGE_CACHE_BYTES / 4) return;
    this.imageCache.set(key, image);
    this.imageCacheBytes += image.data.length;
    for (const oldest of this.imageCache.keys()) {
      if (this.imageCacheBytes <= IMAGE_CACHE_BYTES) break;
      this.dropCached(oldest);
    }
  }

  private dropCached(key: string): void {
    const image = this.imageCache.get(key);
    if (!image) return;
    this.imageCacheBytes -= image.data.length;
    this.imageCache.delete(key);
  }

  /** Drops the cached images of a job that is gone. */
  forget(jobId: string): void {
    for (const key of [...this.imageCache.keys()]) if (key.startsWith(jobId + '/')) this.dropCached(key);
  }
}
