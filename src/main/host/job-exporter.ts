// Exports of a finished job: one file (the composite, the index map, the coloured depth map, a
// slice's heatmap at full resolution) or the export dialog's many files, through the engine's
// writers as the command line writes them, always under a new name (exports.ts).
import path from 'node:path';
import type { ExportRequest, ExportResult } from '../../shared/api';
import { computeFocusMap, decodeAligned, DeepfieldError, writeDepthColourMap } from '../engine';
import { defaultExportName, exportComposite, heatmapRgb, indexMapWriter, rgbWriter, writeOutputsUnique, writeUnique, type ImageWriter } from './exports';
import type { JobRegistry } from './job-registry';
import { AccessDeniedError } from './paths';

export class JobExporter {
  constructor(
    private readonly jobs: JobRegistry,
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
    // What was painted is what is saved: the strokes are part of the job (and of the export's sidecar).
    const merged = await this.jobs.retouchedResult(job, await this.jobs.mergedResult(job, request.method, false));
    // Every name says the method, as the command line's users name their outputs.
    const method = merged.result.options.method;
    const safeName = job.name.replace(/[^\w.-]+/g, '_') || 'stack';
    if (request.kind === 'outputs') {
      if (!request.outputs) throw new DeepfieldError('Expected outputs for an export of kind "outputs"');
      // A new folder under the export folder (or the folder the user chose) holds every file.
      const parent = target ?? this.requireExportDir();
      return writeOutputsUnique(merged.result, path.join(parent, `${safeName}-${method}-export`), request.outputs, `${safeName}-${method}`, job.summary.excluded);
    }
    const file = target ?? path.join(this.requireExportDir(), defaultExportName(job.name, { ...request, method }));
    const { width, height } = job.layout;
    let writer: ImageWriter;
    switch (request.kind) {
      case 'composite':
        // The command line's writer: the reference slice's metadata and the provenance sidecar.
        return exportComposite(merged.result, file, request.format, request.quality, job.summary.excluded);
      case 'indexMap':
        writer = indexMapWriter(merged.result.indexMap, width, height, request.format);
        break;
      case 'depthColour':
        if (request.format !== 'png') throw new DeepfieldError('The depth map in colour is exported as PNG (its legend is text, which JPEG blurs)');
        // The same picture "More outputs" and --depth-map write: the map with its legend.
        writer = (output, stage) => writeDepthColourMap(output, merged.result.indexMap, job.layout, job.slices.length, undefined, stage);
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
