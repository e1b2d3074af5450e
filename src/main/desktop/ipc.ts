// IPC handlers: thin. Each validates its arguments with a schema, checks any path against the
// folders the user chose, and hands over to the session service.
import { app, BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent } from 'electron';
import path from 'node:path';
import type { ExportRequest, HostInfo, JobEvent } from '../../shared/api';
import { IPC_CHANNELS, JOB_EVENT_CHANNEL } from '../../shared/ipc-channels';
import { DeepfieldError } from '../engine';
import {
  exportRequestSchema,
  jobIdSchema,
  mergeMethodSchema,
  retouchStrokesSchema,
  parseArgument,
  pathSchema,
  pixelSchema,
  sliceIndexSchema,
  sliceRangeSchema,
  stackOptionsInputSchema,
  stackSourceSchema,
} from '../host/api-schemas';
import { defaultExportName } from '../host/exports';
import type { Session } from '../host/session';
import { type AllowedFolders, folderOfDrop } from './allowed-folders';
import { APP_ORIGIN } from './protocol';

/** Errors cross IPC as plain messages; keep them one readable line. */
function handle(channel: string, handler: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown): void {
  ipcMain.handle(channel, async (event, ...args) => {
    // Only our own page may call: not a dev tools frame, not a page navigated elsewhere.
    const sender = event.senderFrame?.url ?? '';
    if (!sender.startsWith(APP_ORIGIN + '/') && !(process.env.ELECTRON_RENDERER_URL && sender.startsWith(process.env.ELECTRON_RENDERER_URL))) {
      throw new Error(`Refused: ${channel} called from ${sender || 'an unknown frame'}`);
    }
    try {
      return await handler(event, ...args);
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new Error(message);
    }
  });
}

export function registerIpc(session: Session, allowed: AllowedFolders): () => void {
  const unsubscribe = session.onEvent((event: JobEvent) => {
    for (const window of BrowserWindow.getAllWindows()) window.webContents.send(JOB_EVENT_CHANNEL, event);
  });

  handle(IPC_CHANNELS.hostInfo, (): HostInfo => ({ kind: 'electron', version: app.getVersion() }));

  handle(IPC_CHANNELS.chooseFolder, async (event) => {
    const window = BrowserWindow.fromWebContents(event.sender) ?? undefined;
    const options = { title: 'Open a folder of focus slices', properties: ['openDirectory' as const] };
    const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
    if (result.canceled || result.filePaths.length === 0) return null;
    await allowed.allow(result.filePaths[0]);
    return result.filePaths[0];
  });

  // The preload turns a dropped File into its path (webUtils.getPathForFile); the page itself
  // cannot name a path here, it only has File objects.
  handle(IPC_CHANNELS.droppedFolder, async (_event, dropped) => {
    const folder = await folderOfDrop(parseArgument(pathSchema, dropped, 'dropped path'));
    await allowed.allow(folder);
    return folder;
  });

  handle(IPC_CHANNELS.listFolder, async (_event, requested) => {
    const folder = parseArgument(pathSchema.optional(), requested, 'path');
    if (folder === undefined) throw new DeepfieldError('Choose a folder with Open folder first');
    return session.listFolder(await allowed.check(folder));
  });

  handle(IPC_CHANNELS.recentStacks, async () => {
    const recent = await session.recentStacks();
    // Chosen by the user in an earlier run: allowed again.
    for (const folder of recent) await allowed.allow(folder).catch(() => undefined);
    return recent;
  });

  handle(IPC_CHANNELS.startStack, async (_event, source, options, range) => {
    const parsed = parseArgument(stackSourceSchema, source, 'source');
    const stackOptions = parseArgument(stackOptionsInputSchema, options, 'options');
    const sliceRange = parseArgument(sliceRangeSchema, range, 'range');
    if (parsed.kind === 'folder') parsed.path = await allowed.check(parsed.path);
    return session.startStack(parsed, stackOptions, sliceRange);
  });

  handle(IPC_CHANNELS.remerge, (_event, jobId, method) =>
    session.remerge(parseArgument(jobIdSchema, jobId, 'job id'), parseArgument(mergeMethodSchema, method, 'method')),
  );

  handle(IPC_CHANNELS.retouch, (_event, jobId, strokes) =>
    session.retouch(parseArgument(jobIdSchema, jobId, 'job id'), parseArgument(retouchStrokesSchema, strokes, 'strokes')),
  );

  handle(IPC_CHANNELS.cancel, (_event, jobId) => session.cancel(parseArgument(jobIdSchema, jobId, 'job id')));
  handle(IPC_CHANNELS.jobSummary, (_event, jobId) => session.summary(parseArgument(jobIdSchema, jobId, 'job id')));
  handle(IPC_CHANNELS.getFocusPreview, (_event, jobId, slice) =>
    session.focusPreview(parseArgument(jobIdSchema, jobId, 'job id'), parseArgument(sliceIndexSchema, slice, 'slice')),
  );
  handle(IPC_CHANNELS.focusProfile, (_event, jobId, x, y) => {
    const pixel = parseArgument(pixelSchema, { x, y }, 'pixel');
    return session.focusProfile(parseArgument(jobIdSchema, jobId, 'job id'), pixel.x, pixel.y);
  });

  handle(IPC_CHANNELS.exportImage, async (event, request) => {
    const parsed: ExportRequest = parseArgument(exportRequestSchema, request, 'export request');
    const summary = session.summary(parsed.jobId);
    const stackName = summary.source.kind === 'folder' ? path.basename(summary.source.path) : 'demo';
    const window = BrowserWindow.fromWebContents(event.sender) ?? undefined;
    if (parsed.kind === 'outputs') {
      // Many files: the user picks a folder, and the session makes a new sub-folder in it.
      const folderOptions = { title: 'Export into folder', defaultPath: app.getPath('pictures'), properties: ['openDirectory' as const, 'createDirectory' as const] };
      const chosen = window ? await dialog.showOpenDialog(window, folderOptions) : await dialog.showOpenDialog(folderOptions);
      if (chosen.canceled || chosen.filePaths.length === 0) return null;
      return session.exportImage(parsed, chosen.filePaths[0]);
    }
    const options = {
      title: 'Export',
      defaultPath: path.join(app.getPath('pictures'), defaultExportName(stackName, parsed)),
      filters: [{ name: parsed.format.toUpperCase(), extensions: parsed.format === 'jpeg' ? ['jpg', 'jpeg'] : parsed.format === 'tiff' ? ['tif', 'tiff'] : ['png'] }],
    };
    const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
    if (result.canceled || !result.filePath) return null;
    // The user chose this path; the session still never replaces an existing file.
    return session.exportImage(parsed, result.filePath);
  });

  return unsubscribe;
}
