// The one window: sandboxed, isolated, no Node in the page, no navigation away from the app's
// own origin, no new windows, no permissions, nothing fetched from the network.
import { BrowserWindow, session as electronSession, shell } from 'electron';
import path from 'node:path';
import { APP_ORIGIN } from './protocol';

/** electron-vite's dev server, only when developing (never in a packaged app). */
function devServerUrl(packaged: boolean): string | undefined {
  return packaged ? undefined : process.env.ELECTRON_RENDERER_URL;
}

export function lockDownSession(packaged: boolean): void {
  const dev = devServerUrl(packaged);
  const ses = electronSession.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  // No remote content: only the app's own scheme (and, when developing, the dev server).
  ses.webRequest.onBeforeRequest((details, callback) => {
    const url = details.url;
    const allowed =
      url.startsWith(APP_ORIGIN + '/') ||
      /^(data|blob|devtools):/.test(url) ||
      (dev !== undefined && (url.startsWith(dev) || url.startsWith('ws://localhost')));
    callback({ cancel: !allowed });
  });
}

export function createMainWindow(preloadDir: string, packaged: boolean): BrowserWindow {
  const window = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    backgroundColor: '#2b2b2b', // the viewer's neutral grey, so no white flash at start
    title: 'Deepfield',
    webPreferences: {
      preload: path.join(preloadDir, 'index.cjs'),
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  const dev = devServerUrl(packaged);
  const home = dev ?? `${APP_ORIGIN}/index.html`;
  const own = (url: string) => url.startsWith(dev ?? APP_ORIGIN + '/');
  window.webContents.on('will-navigate', (event, url) => {
    if (!own(url)) event.preventDefault();
  });
  window.webContents.on('will-redirect', (event, url) => {
    if (!own(url)) event.preventDefault();
  });
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(({ url }) => {
    // Links to documentation open in the user's browser, never inside the app.
    if (/^https:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void window.loadURL(home);
  return window;
}
