// Electron main process entry (the desktop app). Placeholder window until the app lands.
import { app, BrowserWindow } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installAppMenu } from './about';
import { isCommandLineLaunch, runCommandLineAndExit, userArgs } from './cli-dispatch';

// `Deepfield stack ...` from a terminal: run the command line and exit before any window exists.
const launchArgs = userArgs(process.argv, Boolean(process.defaultApp));
if (isCommandLineLaunch(launchArgs)) await runCommandLineAndExit(launchArgs);
void app.whenReady().then(installAppMenu);

const here = path.dirname(fileURLToPath(import.meta.url));

app.whenReady().then(() => {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
    },
  });
  void window.loadFile(path.join(here, '../renderer/index.html'));
});
app.on('window-all-closed', () => app.quit());
