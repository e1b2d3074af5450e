// DeepfieldApi over HTTP and server-sent events, for the browser host (deepfield serve). The
// token comes from the address the server printed; it travels as a header on API calls and in
// the query where the browser makes the request itself (images, the event stream).
import type { DeepfieldApi, ExportResult, FolderListing, HostInfo, JobEvent, JobSummary, RemergeResult, RetouchResult } from '../../../shared/api';
import type { FocusPreview } from '../../../shared/types';
import { imagePath } from './image-path';

const TOKEN_HEADER = 'x-deepfield-token';

/** An error from the host, carrying the file it is about when there is one. */
export class HostError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'HostError';
  }
}

export function createHttpApi(token: string): DeepfieldApi {
  const withToken = (path: string) => `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await fetch(path, {
      method,
      headers: { [TOKEN_HEADER]: token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      const problem = (await response.json().catch(() => null)) as { error?: string; file?: string } | null;
      throw new HostError(problem?.error ?? `The Deepfield server answered ${response.status} ${response.statusText}`, response.status, problem?.file);
    }
    return (await response.json()) as T;
  }

  const listeners = new Set<(event: JobEvent) => void>();
  let events: EventSource | undefined;
  let opened: Promise<void> | undefined;
  /** One event stream for the page, open before any job starts so no event is missed. */
  function connect(): Promise<void> {
    if (!opened) {
      events = new EventSource(withToken('/api/events'));
      opened = new Promise<void>((resolve) => {
        events!.addEventListener('open', () => resolve(), { once: true });
        // A stream that cannot open must not hang startStack: the browser keeps retrying anyway.
        setTimeout(resolve, 3000);
      });
      events.onmessage = (message) => {
        const event = JSON.parse(message.data as string) as JobEvent;
        for (const listener of listeners) listener(event);
      };
    }
    return opened;
  }

  return {
    hostInfo: () => call<HostInfo>('GET', '/api/host'),
    chooseFolder: async () => null,
    droppedFolder: async () => null,
    listFolder: (path?: string) => call<FolderListing>('GET', path === undefined ? '/api/folders' : `/api/folders?path=${encodeURIComponent(path)}`),
    recentStacks: () => call<string[]>('GET', '/api/recent'),
    async startStack(source, options, range) {
      await connect();
      return call<{ jobId: string }>('POST', '/api/jobs', { source, options, ...(range ? { range } : {}) });
    },
    async cancel(jobId) {
      await call<null>('POST', `/api/jobs/${encodeURIComponent(jobId)}/cancel`);
    },
    jobSummary: (jobId) => call<JobSummary>('GET', `/api/jobs/${encodeURIComponent(jobId)}`),
    onJobEvent(listener) {
      listeners.add(listener);
      void connect();
      return () => listeners.delete(listener);
    },
    async getFocusPreview(jobId, slice): Promise<FocusPreview> {
      const response = await fetch(`/api/jobs/${encodeURIComponent(jobId)}/previews/${slice}`, { headers: { [TOKEN_HEADER]: token } });
      if (!response.ok) {
        const problem = (await response.json().catch(() => null)) as { error?: string } | null;
        throw new HostError(problem?.error ?? `No focus preview for slice ${slice}`, response.status);
      }
      // Float32 little-endian, row-major; the size travels in headers.
      const values = new Float32Array(await response.arrayBuffer());
      return { width: Number(response.headers.get('x-preview-width')), height: Number(response.headers.get('x-preview-height')), values };
    },
    focusProfile: (jobId, x, y) => call<{ values: number[]; winner: number }>('GET', `/api/jobs/${encodeURIComponent(jobId)}/profile?x=${x}&y=${y}`),
    imageUrl: (jobId, kind, options) => withToken(imagePath(jobId, kind, options)),
    exportImage: (request) => call<ExportResult>('POST', '/api/exports', request),
    remerge: (jobId, method) => call<RemergeResult>('POST', `/api/jobs/${encodeURIComponent(jobId)}/remerge`, { method }),
    retouch: (jobId, strokes) => call<RetouchResult>('POST', `/api/jobs/${encodeURIComponent(jobId)}/retouch`, { strokes }),
  };
}
