// Electron main process entry (the desktop app): wires the session service (shared with the
// browser host) to one locked-down window through IPC and the deepfield:// protocol.
import { app, BrowserWindow } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installAppMenu } from './about';
import { isCommandLineLaunch, runCommandLineAndExit, userArgs } from './cli-dispatch';
import { AllowedFolders } from './desktop/allowed-folders';
import { registerIpc } from './desktop/ipc';
import { handleAppScheme, registerAppScheme } from './desktop/protocol';
import { createMainWindow, lockDownSession } from './desktop/window';
import { closeMetadataTool, Engine } from './engine';
import { Session } from './host/session';

// `Deepfield stack ...` from a terminal: run the command line and exit before any window exists.
const launchArgs = userArgs(process.argv, Boolean(process.defaultApp));
if (isCommandLineLaunch(launchArgs)) await runCommandLineAndExit(launchArgs);
void app.whenReady().then(installAppMenu);

const here = path.dirname(fileURLToPath(import.meta.url));

function startDesktopApp(): void {
  registerAppScheme();
  const engine = new Engine({ workerFile: path.join(here, 'slice-worker.js') });
  const session = new Session({ engine, configDir: app.getPath('userData'), previewSize: 1024 });
  void app.whenReady().then(() => {
    lockDownSession(app.isPackaged);
    handleAppScheme(session, path.resolve(here, '../renderer'));
    registerIpc(session, new AllowedFolders());
    createMainWindow(path.resolve(here, '../preload'), app.isPackaged);
  });
  app.on('second-instance', () => {
    const [window] = BrowserWindow.getAllWindows();
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => {
    session.close();
    void engine.close();
    void closeMetadataTool(); // the ExifTool process exports started, which would outlive the app
  });
}

// One window: a second launch focuses the first instead of running a second engine.
if (app.requestSingleInstanceLock()) startDesktopApp();
else app.quit();
