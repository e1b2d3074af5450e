// Exports of a finished job: one file (the composite, the index map, the coloured depth map, a
// slice's heatmap at full resolution) or the export dialog's many files through the engine's
// writeOutputs, always under a new name (exports.ts).
import path from 'node:path';
import type { ExportRequest, ExportResult } from '../../shared/api';
import { computeFocusMap, decodeAligned, DeepfieldError } from '../engine';
import { compositeWriter, defaultExportName, heatmapRgb, indexMapWriter, rgbWriter, writeOutputsUnique, writeUnique, type ImageWriter } from './exports';
import type { ImageRenderer } from './image-renderer';
import type { JobRegistry } from './job-registry';
import { AccessDeniedError } from './paths';
import { depthRgb } from './render-image';

export class JobExporter {
  constructor(
    private readonly jobs: JobRegistry,
    private readonly images: ImageRenderer,
    /** Browser host: where exports go (there is no save dialog). */
    private readonly exportDir: string | undefined,
  ) {}

  /**
   * Writes an export as a new file: into `target`'s folder under its name (desktop: the save
   * dialog's choice) or into the export folder under the default name (browser host), with
   * -2, -3, ... appended when the name is taken.
   */
  async exportImage(request: ExportRequest, target?: string): Promise<ExportResult> {
    const job = this.jobs.finishedJob(request.jobId);
    const merged = await this.jobs.mergedResult(job, request.method, false);
    if (request.kind === 'outputs') {
      if (!request.outputs) throw new DeepfieldError('Expected outputs for an export of kind "outputs"');
      // A new folder under the export folder (or the folder the user chose) holds every file.
      const parent = target ?? this.requireExportDir();
      const method = merged.result.options.method;
      const name = `${job.name}${method === job.options.method ? '' : `-${method}`}-export`;
      return writeOutputsUnique(merged.result, path.join(parent, name.replace(/[^\w.-]+/g, '_')), request.outputs);
    }
    const file = target ?? path.join(this.requireExportDir(), defaultExportName(job.name, request));
    const { width, height } = job.layout;
    let writer: ImageWriter;
    switch (request.kind) {
      case 'composite':
        writer = compositeWriter(merged.result.composite, job.layout, request.format, request.quality);
        break;
      case 'indexMap':
        writer = indexMapWriter(merged.result.indexMap, width, height, request.format);
        break;
      case 'depthColour':
        writer = rgbWriter(depthRgb(this.images.index8(job, merged), job.slices.length), width, height, request.format, request.quality);
        break;
      case 'heatmap': {
        const k = request.slice;
        if (k === undefined || !Number.isInteger(k) || k < 0 || k >= job.slices.length) {
          throw new DeepfieldError(`Expected a slice number from 0 to ${job.slices.length - 1} for slice but received ${k}`);
        }
        // Full resolution again, one slice at a time: decoded now rather than kept from the run.
        const focusMap = computeFocusMap(await decodeAligned(job.slices[k], job.layout, job.aligns?.[k]), job.layout, job.options.sigma);
        writer = rgbWriter(heatmapRgb(focusMap, job.summary.maxVariance, request.scale ?? 'linear', request.colourMap ?? 'viridis'), width, height, request.format, request.quality);
        break;
      }
    }
    return { path: await writeUnique(file, writer) };
  }

  private requireExportDir(): string {
    if (!this.exportDir) throw new AccessDeniedError('This host has no export folder: choose where to save');
    return this.exportDir;
  }


}
