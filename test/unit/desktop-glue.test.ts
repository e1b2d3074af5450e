// The desktop app's IPC handlers and deepfield:// protocol with Electron replaced by a stand-in:
// arguments are validated, only folders the user chose are opened, calls from other frames are
// refused, and images and the page come through the protocol with the CSP.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { ipcChannel } from '../../src/shared/ipc-channels';
import { builtWorkerFile, random, tempDir, writeRgb8 } from '../helpers/fixtures';

const handlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
let protocolHandler: ((request: Request) => Promise<Response>) | undefined;
const dialogResult = { canceled: false, filePaths: [] as string[], filePath: undefined as string | undefined };

vi.mock('electron', () => ({
  app: { getVersion: () => '9.9.9', getPath: () => '/tmp' },
  BrowserWindow: { fromWebContents: () => null, getAllWindows: () => [] },
  dialog: { showOpenDialog: async () => dialogResult, showSaveDialog: async () => dialogResult },
  ipcMain: { handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => Promise<unknown>) => handlers.set(channel, fn) },
  protocol: { handle: (_scheme: string, fn: (request: Request) => Promise<Response>) => (protocolHandler = fn), registerSchemesAsPrivileged: () => {} },
}));

const { Engine } = await import('../../src/main/engine/job/engine');
const { Session } = await import('../../src/main/host/session');
const { AllowedFolders } = await import('../../src/main/desktop/allowed-folders');
const { registerIpc } = await import('../../src/main/desktop/ipc');
const { handleAppScheme } = await import('../../src/main/desktop/protocol');

const fromApp = { senderFrame: { url: 'deepfield://app/index.html' }, sender: {} };
const call = (channel: string, ...args: unknown[]) => handlers.get(channel)!(fromApp, ...args);

let engine: InstanceType<typeof Engine>;
let chosen: string;
let other: string;
beforeAll(async () => {
  const base = tempDir();
  chosen = path.join(base, 'chosen');
  other = path.join(base, 'other');
  const rnd = random(9);
  for (const dir of [chosen, other]) {
    await fs.mkdir(dir);
    for (let k = 1; k <= 2; k++) await writeRgb8(path.join(dir, `s${k}.png`), new Uint8Array(24 * 16 * 3).map(() => rnd() * 255), 24, 16);
  }
  const rendererDir = path.join(base, 'renderer');
  await fs.mkdir(rendererDir);
  await fs.writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>Deepfield</title>');
  engine = new Engine({ workerFile: builtWorkerFile(), threads: 1 });
  const session = new Session({ engine, configDir: tempDir(), previewSize: 8 });
  registerIpc(session, new AllowedFolders());
  handleAppScheme(session, rendererDir);
});
afterAll(async () => {
  await engine.close();
});

describe('IPC', () => {
  test('a folder the user did not choose is refused; after the dialog chose it, it stacks', async () => {
    await expect(call(ipcChannel('startStack'), { kind: 'folder', path: other })).rejects.toThrow(/was not chosen through Open folder/);
    dialogResult.filePaths = [chosen];
    expect(await call(ipcChannel('chooseFolder'))).toBe(chosen);
    const { jobId } = (await call(ipcChannel('startStack'), { kind: 'folder', path: chosen })) as { jobId: string };
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(call(ipcChannel('startStack'), { kind: 'folder', path: other })).rejects.toThrow(/was not chosen/);
  });

  test('a dropped file stands for its folder, which may then be opened', async () => {
    expect(await call(ipcChannel('droppedFolder'), path.join(other, 's1.png'))).toBe(other);
    expect(await call(ipcChannel('listFolder'), other)).toMatchObject({ path: other, imageCount: 2 });
  });

  test('malformed arguments are refused before reaching the session', async () => {
    await expect(call(ipcChannel('startStack'), { kind: 'folder', path: 42 })).rejects.toThrow(/^Invalid source/);
    await expect(call(ipcChannel('startStack'), { kind: 'demo' }, { previewSize: 4096 })).rejects.toThrow(/^Invalid options/);
    await expect(call(ipcChannel('focusProfile'), 'not-a-job', 1, 1)).rejects.toThrow(/^Invalid job id/);
    await expect(call(ipcChannel('exportImage'), { jobId: crypto.randomUUID(), kind: 'composite', format: 'bmp' })).rejects.toThrow(/^Invalid export request/);
  });

  test('a slice range, re-merging and a many-file export travel over IPC, validated', async () => {
    dialogResult.canceled = false;
    dialogResult.filePaths = [chosen];
    expect(await call(ipcChannel('chooseFolder'))).toBe(chosen);
    await expect(call(ipcChannel('startStack'), { kind: 'folder', path: chosen }, {}, { from: 2, to: 1 })).rejects.toThrow(/^Invalid range/);
    const { jobId } = (await call(ipcChannel('startStack'), { kind: 'folder', path: chosen }, { align: 'off' }, { from: 1, to: 2 })) as { jobId: string };
    let summary: { slices: unknown[] } | undefined;
    for (let i = 0; i < 200 && !summary; i++) {
      summary = (await call(ipcChannel('jobSummary'), jobId).catch(() => undefined)) as typeof summary;
      if (!summary) await new Promise((r) => setTimeout(r, 50));
    }
    expect(summary!.slices).toHaveLength(2);
    await expect(call(ipcChannel('remerge'), jobId, 'median')).rejects.toThrow(/^Invalid method/);
    expect(await call(ipcChannel('remerge'), jobId, 'pyramid')).toMatchObject({ jobId, method: 'pyramid' });
    // Many files: the folder dialog's choice gets a new sub-folder.
    const target = tempDir();
    dialogResult.filePaths = [target];
    const exported = (await call(ipcChannel('exportImage'), { jobId, kind: 'outputs', format: 'png', method: 'pyramid', outputs: { composite: { format: 'png' }, indexMap: true } })) as { path: string; files: string[] };
    expect(exported.path).toBe(path.join(target, 'chosen-pyramid-export'));
    expect((await fs.readdir(exported.path)).sort()).toEqual(['chosen-pyramid.png', 'chosen-pyramid.png.deepfield.json', 'index.png']);
  });

  test('calls from a frame that is not the app are refused', async () => {
    const foreign = { senderFrame: { url: 'https://example.com/' }, sender: {} };
    await expect(handlers.get(ipcChannel('hostInfo'))!(foreign)).rejects.toThrow(/Refused/);
    expect(await call(ipcChannel('hostInfo'))).toEqual({ kind: 'electron', version: '9.9.9' });
  });
});

describe('the deepfield:// protocol', () => {
  test('serves the page with the Content-Security-Policy, and nothing outside the renderer folder', async () => {
    const page = await protocolHandler!(new Request('deepfield://app/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect((await protocolHandler!(new Request('deepfield://app/..%2F..%2Fetc%2Fpasswd'))).status).toBe(404);
    expect((await protocolHandler!(new Request('deepfield://elsewhere/index.html'))).status).toBe(404);
  });

  test('serves a finished job image and refuses a malformed image request', async () => {
    dialogResult.filePaths = [chosen];
    await call(ipcChannel('chooseFolder'));
    const { jobId } = (await call(ipcChannel('startStack'), { kind: 'folder', path: chosen })) as { jobId: string };
    await expect.poll(async () => (await protocolHandler!(new Request(`deepfield://app/api/jobs/${jobId}/images/depth?maxSize=12`))).status, { timeout: 20_000 }).toBe(200);
    const image = await protocolHandler!(new Request(`deepfield://app/api/jobs/${jobId}/images/depth?maxSize=12`));
    expect(image.headers.get('content-type')).toBe('image/png');
    expect((await protocolHandler!(new Request(`deepfield://app/api/jobs/${jobId}/images/secret`))).status).toBe(400);
  });
});
