// IPC handlers: thin. One per operation of API_OPERATIONS (shared/api.ts), on the channel it
// names; each call's arguments are validated against the table once, here, any path is checked
// against the folders the user chose, and the session service does the rest.
import { app, BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent } from 'electron';
import path from 'node:path';
import { API_OPERATIONS, type ApiHandlers, type JobEvent, type OperationName, parseArguments } from '../../shared/api';
import { IMAGE_FORMATS } from '../../shared/formats';
import { ipcChannel, JOB_EVENT_CHANNEL } from '../../shared/ipc-channels';
import { DeepfieldError } from '../engine';
import { defaultExportName } from '../host/exports';
import { sessionHandlers } from '../host/api-handlers';
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

function windowOf(event: IpcMainInvokeEvent): BrowserWindow | undefined {
  return BrowserWindow.fromWebContents(event.sender) ?? undefined;
}

export function registerIpc(session: Session, allowed: AllowedFolders): () => void {
  const unsubscribe = session.onEvent((event: JobEvent) => {
    for (const window of BrowserWindow.getAllWindows()) window.webContents.send(JOB_EVENT_CHANNEL, event);
  });

  const handlers: ApiHandlers<IpcMainInvokeEvent> = {
    ...sessionHandlers(session),
    hostInfo: () => ({ kind: 'electron', version: app.getVersion() }),

    chooseFolder: async (event) => {
      const window = windowOf(event);
      const options = { title: 'Open a folder of focus slices', properties: ['openDirectory' as const] };
      const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
      if (result.canceled || result.filePaths.length === 0) return null;
      await allowed.allow(result.filePaths[0]);
      return result.filePaths[0];
    },

    // The preload turns a dropped File into its path (webUtils.getPathForFile); the page itself
    // cannot name a path here, it only has File objects.
    droppedFolder: async (_event, dropped) => {
      const folder = await folderOfDrop(dropped);
      await allowed.allow(folder);
      return folder;
    },

    listFolder: async (_event, folder) => {
      if (folder === undefined) throw new DeepfieldError('Choose a folder with Open folder first');
      return session.listFolder(await allowed.check(folder));
    },

    recentStacks: async () => {
      const recent = await session.recentStacks();
      // Chosen by the user in an earlier run: allowed again.
      for (const folder of recent) await allowed.allow(folder).catch(() => undefined);
      return recent;
    },

    startStack: async (_event, source, options, range) => {
      const checked = source.kind === 'folder' ? { kind: 'folder' as const, path: await allowed.check(source.path) } : source;
      return session.startStack(checked, options, range);
    },

    exportImage: async (event, request) => {
      const summary = session.summary(request.jobId);
      const stackName = summary.source.kind === 'folder' ? path.basename(summary.source.path) : 'demo';
      const window = windowOf(event);
      if (request.kind === 'outputs') {
        // Many files: the user picks a folder, and the session makes a new sub-folder in it.
        const folderOptions = { title: 'Export into folder', defaultPath: app.getPath('pictures'), properties: ['openDirectory' as const, 'createDirectory' as const] };
        const chosen = window ? await dialog.showOpenDialog(window, folderOptions) : await dialog.showOpenDialog(folderOptions);
        if (chosen.canceled || chosen.filePaths.length === 0) return null;
        return session.exportImage(request, chosen.filePaths[0]);
      }
      const options = {
        title: 'Export',
        defaultPath: path.join(app.getPath('pictures'), defaultExportName(stackName, request)),
        filters: [{ name: IMAGE_FORMATS[request.format].label, extensions: IMAGE_FORMATS[request.format].extensions.map((e) => e.slice(1)) }],
      };
      const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
      if (result.canceled || !result.filePath) return null;
      // The user chose this path; the session still never replaces an existing file.
      return session.exportImage(request, result.filePath);
    },
  };

  for (const name of Object.keys(API_OPERATIONS) as OperationName[]) {
    const handler = handlers[name] as (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;
    handle(ipcChannel(name), (event, ...args) => handler(event, ...parseArguments(name, args)));
  }
  return unsubscribe;
}
