// The renderer<->host contract (API_OPERATIONS in shared/api.ts) holds end to end over both
// transports: each call the renderer's clients make reaches the session with the same arguments,
// and its answer comes back as the table's result schema says. The session is a stand-in that
// records calls; the HTTP server, the IPC handlers and both clients are the real, derived ones.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { API_OPERATIONS, type DeepfieldApi, type DesktopBridge, type JobEvent, type OperationName } from '../../src/shared/api';
import { ipcChannel } from '../../src/shared/ipc-channels';
import { tempDir } from '../helpers/fixtures';

const ipcHandlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
vi.mock('electron', () => ({
  app: { getVersion: () => '9.9.9', getPath: () => '/tmp' },
  BrowserWindow: { fromWebContents: () => null, getAllWindows: () => [] },
  dialog: {},
  ipcMain: { handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => Promise<unknown>) => ipcHandlers.set(channel, fn) },
  protocol: {},
}));

const { startBrowserHost } = await import('../../src/main/host/http-server');
const { registerIpc } = await import('../../src/main/desktop/ipc');
const { AllowedFolders } = await import('../../src/main/desktop/allowed-folders');
const { createHttpApi } = await import('../../src/renderer/src/api/http-client');
const { createIpcApi } = await import('../../src/renderer/src/api/ipc-client');

const jobId = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
let folder: string;

/** What the stand-in session answers, and the calls it saw (method name and arguments). */
const calls: Array<[string, unknown[]]> = [];
const summary = {
  jobId,
  source: { kind: 'demo' as const },
  layout: { width: 4, height: 2, channels: 3 as const, bitDepth: 8 as const },
  slices: [{ index: 0, name: 'a.png' }],
  stats: [{ index: 0, name: 'a.png', meanVariance: 1, maxVariance: 2, pixelsWon: 8 }],
  skipped: [],
  maxVariance: 2,
  timings: { totalMs: 5 },
  method: 'argmax' as const,
};
const answers = {
  listFolder: () => ({ path: folder, parent: null, entries: [{ name: 'x', path: path.join(folder, 'x'), kind: 'stack' as const, imageCount: 3 }], imageCount: 0 }),
  recentStacks: () => [folder],
  startStack: () => ({ jobId }),
  summary: () => summary,
  remerge: () => ({ jobId, method: 'pyramid' as const, pixelsWon: [8], ms: 1 }),
  retouch: () => ({ jobId, revision: 1, pixelsWon: [8], ms: 1 }),
  cancel: () => undefined,
  listJobs: () => [{ jobId, source: { kind: 'demo' as const }, name: 'demo', state: 'queued' as const, position: 1 }],
  focusPreview: () => ({ width: 2, height: 1, values: Float32Array.of(0.5, 1.25) }),
  focusProfile: () => ({ values: [1, 3, 2], winner: 1 }),
  exportImage: () => ({ path: '/somewhere/out.png' }),
};
const session = new Proxy(
  { root: undefined, exportDir: '/exports', onEvent: () => () => undefined },
  {
    get(target, name: string) {
      if (name in target) return target[name as keyof typeof target];
      const answer = answers[name as keyof typeof answers];
      return (...args: unknown[]) => {
        calls.push([name, args]);
        return answer();
      };
    },
  },
);

/** Each call with arguments a renderer sends, and the session method it must reach. */
const SAMPLES = (): Array<{ name: OperationName; args: unknown[]; reaches?: string; desktopOnly?: boolean }> => [
  { name: 'hostInfo', args: [] },
  { name: 'listFolder', args: [folder] },
  { name: 'recentStacks', args: [] },
  { name: 'startStack', args: [{ kind: 'folder', path: folder }, { sigma: 1.5, method: 'smooth', align: 'off', rawColour: 'linear' }, { from: 2, to: 3 }] },
  { name: 'startStack', args: [{ kind: 'demo' }, {}] },
  { name: 'cancel', args: [jobId] },
  { name: 'listJobs', args: [] },
  { name: 'jobSummary', args: [jobId], reaches: 'summary' },
  { name: 'getFocusPreview', args: [jobId, 3], reaches: 'focusPreview' },
  { name: 'focusProfile', args: [jobId, 5, 7] },
  { name: 'remerge', args: [jobId, 'pyramid'] },
  { name: 'retouch', args: [jobId, [{ tool: 'brush', slice: 0, size: 12, hardness: 0.5, opacity: 1, points: [[3, 4], [5.5, 6]] }, { tool: 'eraser', size: 4, hardness: 1, opacity: 1, points: [[1, 1]] }]] },
];

let httpApi: DeepfieldApi;
let ipcApi: DeepfieldApi;
let closeHost: () => Promise<void>;

beforeAll(async () => {
  folder = await fs.realpath(tempDir());
  const staticDir = tempDir();
  const host = await startBrowserHost({ session: session as never, staticDir, version: 'test' });
  closeHost = host.close;
  // The client asks for paths on its own origin, as a page does.
  const realFetch = globalThis.fetch;
  vi.stubGlobal('fetch', (url: string, init?: RequestInit) => realFetch(`http://127.0.0.1:${host.port}${url}`, init));
  vi.stubGlobal(
    'EventSource',
    class {
      onmessage?: (message: { data: string }) => void;
      addEventListener(_type: string, listener: () => void) {
        setTimeout(listener, 0);
      }
    },
  );
  httpApi = createHttpApi(host.token);

  const allowed = new AllowedFolders();
  await allowed.allow(folder);
  registerIpc(session as never, allowed);
  const fromApp = { senderFrame: { url: 'deepfield://app/index.html' }, sender: {} };
  const bridge: DesktopBridge = {
    invoke: (name, ...args) => ipcHandlers.get(ipcChannel(name))!(fromApp, ...structuredClone(args)),
    onJobEvent: (_listener: (event: JobEvent) => void) => () => undefined,
    pathForFile: () => '',
  };
  ipcApi = createIpcApi(bridge);
});

afterAll(async () => {
  vi.unstubAllGlobals();
  await closeHost?.();
});

describe.each([
  ['HTTP', () => httpApi],
  ['IPC', () => ipcApi],
])('over %s', (_transport, api) => {
  test('every call reaches the session with the arguments sent, and answers as its result schema says', async () => {
    for (const sample of SAMPLES()) {
      calls.length = 0;
      const call = api()[sample.name] as (...args: unknown[]) => Promise<unknown>;
      const answer = await call(...sample.args);
      const result = API_OPERATIONS[sample.name].result.safeParse(answer);
      expect(result.success, `${sample.name} answers ${JSON.stringify(answer)}`).toBe(true);
      if (sample.name === 'hostInfo') continue;
      expect(calls, sample.name).toHaveLength(1);
      const [method, received] = calls[0];
      expect(method).toBe(sample.reaches ?? sample.name);
      // Trailing arguments the renderer left out arrive as undefined; options arrive with the
      // defaults of shared/options.ts filled in.
      expect(received.slice(0, sample.args.length), sample.name).toMatchObject(sample.args);
      expect(received.slice(sample.args.length).every((a) => a === undefined)).toBe(true);
    }
  });

  test('a malformed argument is refused before the session sees it, naming the argument', async () => {
    calls.length = 0;
    await expect(api().focusProfile('not-a-job', 1, 1)).rejects.toThrow(/Invalid job id/);
    await expect(api().startStack({ kind: 'demo' }, { sigma: 0 })).rejects.toThrow(/Invalid options: .*sigma/);
    await expect(api().remerge(jobId, 'median' as never)).rejects.toThrow(/Invalid method/);
    await expect(api().retouch(jobId, [{ tool: 'brush', slice: 0, size: 0, points: [[1, 1]] }])).rejects.toThrow(/Invalid strokes: 0\.size/);
    expect(calls).toEqual([]);
  });

  test('the focus preview arrives as Float32 values with its size', async () => {
    const preview = await api().getFocusPreview(jobId, 0);
    expect(preview.width).toBe(2);
    expect(preview.values).toBeInstanceOf(Float32Array);
    expect(Array.from(preview.values)).toEqual([0.5, 1.25]);
  });
});

test('every operation has one name per argument, and every route names only its arguments', () => {
  for (const [name, spec] of Object.entries(API_OPERATIONS)) {
    expect(spec.names.length, name).toBe(spec.args.def.items.length);
    const http = (spec as { http?: string }).http;
    for (const param of http?.match(/:\w+/g) ?? []) expect(spec.names, name).toContain(param.slice(1));
  }
});
