// An in-memory DeepfieldApi for component tests: a stack of `sliceCount` slices whose focus
// sweeps from left to right, run by hand (step) so a test sees each stage of a job.
import type {
  DeepfieldApi,
  ExportRequest,
  FolderListing,
  ImageKind,
  ImageUrlOptions,
  JobEvent,
  JobSummary,
  OperationArgs,
  SliceRange,
  StackSource,
} from '../../src/shared/api';
import type { MergeMethod, StackOptionsInput } from '../../src/shared/options';
import type { FocusPreview, PixelLayout } from '../../src/shared/types';

export interface FakeApiOptions {
  sliceCount?: number;
  layout?: PixelLayout;
  /** Slice whose decoding fails with an engine error, naming its file. */
  failingSlice?: number;
  /**
   * Reported in the summary as the alignment: slice `failed` (0-based) is flagged as failed;
   * `nothingApplied`: align 'auto' found the stack aligned already.
   */
  alignment?: { failed?: number; nothingApplied?: boolean };
  /** Sent with 'started': the stack looks like a microscope z-stack for this reason. */
  microscope?: string;
}

export interface FakeApi extends DeepfieldApi {
  started: { source: StackSource; options?: StackOptionsInput; range?: SliceRange }[];
  remerges: { jobId: string; method: MergeMethod }[];
  /** Every strokes list sent, in order. */
  retouches: { jobId: string; strokes: OperationArgs<'retouch'>[1] }[];
  cancelled: string[];
  exports: ExportRequest[];
  profiles: { x: number; y: number }[];
  /** Sends the job's next event (started, one progress per slice, then done or error). */
  step(): void;
  /** Sends every remaining event. */
  finish(): void;
}

export function createFakeApi(options: FakeApiOptions = {}): FakeApi {
  const sliceCount = options.sliceCount ?? 3;
  const layout: PixelLayout = options.layout ?? { width: 64, height: 48, channels: 3, bitDepth: 8 };
  const listeners = new Set<(event: JobEvent) => void>();
  const slices = Array.from({ length: sliceCount }, (_, index) => ({ index, name: `slice_${String(index + 1).padStart(3, '0')}.png` }));
  let jobCounter = 0;
  let queue: JobEvent[] = [];

  const emit = (event: JobEvent) => listeners.forEach((listener) => listener(event));

  const summaryFor = (jobId: string, source: StackSource): JobSummary => ({
    jobId,
    source,
    layout,
    slices,
    stats: slices.map((s) => ({ ...s, meanVariance: 10 + s.index, maxVariance: 100 + s.index, pixelsWon: Math.round((layout.width * layout.height) / sliceCount) })),
    skipped: [],
    maxVariance: 100 + sliceCount - 1,
    timings: { totalMs: 1234 },
    method: 'argmax',
    ...(options.alignment
      ? {
          alignment: {
            method: 'similarity' as const,
            mode: 'auto' as const,
            applied: !options.alignment.nothingApplied,
            largestMotion: { slice: 0, motion: 1.5, uncertainty: 0.12 },
            summary: options.alignment.nothingApplied
              ? 'aligned stack detected: nothing applied; largest motion 0.04 px (slice_001.png), uncertainty 0.30 px'
              : `${sliceCount - 1} of ${sliceCount - 1} slices aligned (similarity); largest motion 1.50 px (slice_001.png), uncertainty 0.12 px`,
            reference: Math.floor(sliceCount / 2),
            crop: { x: 0, y: 0, ...layout },
            estimateMs: 12,
            slices: slices.map((s) => {
              const reference = s.index === Math.floor(sliceCount / 2);
              const failed = s.index === options.alignment?.failed;
              const moved = reference ? ('reference' as const) : options.alignment?.nothingApplied ? ('still' as const) : ('ok' as const);
              return {
                ...s,
                status: failed ? ('failed' as const) : moved,
                motion: reference || failed ? 0 : 1.5,
                ...(failed ? { reason: 'scale off by 14%' } : {}),
                shiftX: reference || failed ? 0 : 1.5 * (s.index - 1),
                shiftY: reference || failed ? 0 : -0.25 * s.index,
                rotationDeg: reference || failed ? 0 : 0.1 * s.index,
                scale: reference || failed ? 1 : 1 + 0.004 * (s.index - 1),
                matrix: [1, 0, 0, 0, 1, 0],
                gains: [1.02, 1, 0.98],
                offsets: [0, 0, 0],
              };
            }),
          },
        }
      : {}),
  });

  const api: FakeApi = {
    started: [],
    cancelled: [],
    exports: [],
    profiles: [],
    remerges: [],
    retouches: [],
    async hostInfo() {
      return { kind: 'browser', version: '0.0.0-test', root: '/data', exportDir: '/data/exports' };
    },
    async chooseFolder() {
      return null;
    },
    async listJobs() {
      return [];
    },
    async listFolder(path?: string): Promise<FolderListing> {
      if (!path || path === '/data') {
        return {
          path: '/data',
          parent: null,
          entries: [
            { name: 'pcb', path: '/data/pcb', kind: 'stack', imageCount: 7 },
            { name: 'other', path: '/data/other', kind: 'stack', imageCount: 8 },
            { name: 'bracket', path: '/data/bracket', kind: 'stack', imageCount: 4 },
            { name: 'notes', path: '/data/notes', kind: 'folder', imageCount: 0 },
          ],
          imageCount: 0,
        };
      }
      if (path === '/data/bracket') {
        // Camera RAW slices, as the host counts them.
        const images = Array.from({ length: 4 }, (_, k) => `IMG_${k + 1}.dng`);
        return { path, parent: '/data', entries: [], imageCount: 4, images, rawImages: 4 };
      }
      const count = path === '/data/pcb' ? 7 : path === '/data/other' ? 8 : 0;
      const images = Array.from({ length: count }, (_, k) => `slice_${String(k + 1).padStart(3, '0')}.png`);
      return { path, parent: '/data', entries: [], imageCount: count, images };
    },
    async droppedFolder() {
      return null;
    },
    async recentStacks() {
      return ['/data/pcb'];
    },
    async startStack(source, stackOptions, range) {
      api.started.push({ source, options: stackOptions, ...(range ? { range } : {}) });
      const jobId = `job-${++jobCounter}`;
      queue = [{ type: 'started', jobId, source, layout, slices, skipped: [], ...(options.microscope ? { microscope: options.microscope } : {}) }];
      slices.forEach((slice, i) => {
        if (options.failingSlice === i) {
          queue.push({ type: 'error', jobId, message: `Cannot decode ${slice.name}: unsupported image format`, file: `/data/pcb/${slice.name}` });
          return;
        }
        queue.push({
          type: 'progress', jobId, phase: 'focus', done: i + 1, total: sliceCount, elapsedMs: 500 * (i + 1),
          slice: { index: i, name: slice.name, meanVariance: 10 + i, maxVariance: 100 + i },
        });
      });
      if (options.failingSlice === undefined) queue.push({ type: 'done', jobId, summary: summaryFor(jobId, source) });
      return { jobId };
    },
    async cancel(jobId) {
      api.cancelled.push(jobId);
      queue = [{ type: 'cancelled', jobId }];
    },
    async jobSummary(jobId) {
      return summaryFor(jobId, { kind: 'demo' });
    },
    onJobEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async getFocusPreview(_jobId, slice): Promise<FocusPreview> {
      const width = 16;
      const height = 12;
      const values = new Float32Array(width * height);
      // Slice k is sharpest in the k-th vertical band.
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          values[y * width + x] = Math.floor((x * sliceCount) / width) === slice ? 100 : 5;
        }
      }
      return { width, height, values };
    },
    async focusProfile(_jobId, x, y) {
      api.profiles.push({ x, y });
      return { values: slices.map((s) => (s.index === 1 ? 90 : 10)), winner: 1 };
    },
    imageUrl(jobId: string, kind: ImageKind, imageOptions: ImageUrlOptions = {}) {
      const query = new URLSearchParams();
      if (imageOptions.slice !== undefined) query.set('slice', String(imageOptions.slice));
      if (imageOptions.maxSize !== undefined) query.set('maxSize', String(imageOptions.maxSize));
      if (imageOptions.method !== undefined) query.set('method', imageOptions.method);
      if (imageOptions.retouch) query.set('retouch', String(imageOptions.retouch));
      return `/fake/${jobId}/${kind}.png?${query}`;
    },
    async exportImage(request) {
      api.exports.push(request);
      if (request.kind === 'outputs') return { path: '/data/exports/pcb-export', files: ['/data/exports/pcb-export/composite.png'] };
      return { path: `/data/exports/${request.kind}.${request.format === 'jpeg' ? 'jpg' : request.format}` };
    },
    async remerge(jobId, method) {
      api.remerges.push({ jobId, method });
      return { jobId, method, pixelsWon: slices.map(() => Math.round((layout.width * layout.height) / sliceCount)), ms: 5 };
    },
    async retouch(jobId, strokes) {
      api.retouches.push({ jobId, strokes });
      return { jobId, revision: api.retouches.length, pixelsWon: slices.map(() => Math.round((layout.width * layout.height) / sliceCount)), ms: 5 };
    },
    step() {
      const event = queue.shift();
      if (event) emit(event);
    },
    finish() {
      while (queue.length > 0) api.step();
    },
  };
  return api;
}
