// The About dialog (version, runtime, documentation link) and the licences of the bundled
// libraries, read from out/licences.json which scripts/collect-licences.js writes at build time.
import { app, BrowserWindow, dialog, Menu, shell, type MenuItemConstructorOptions } from 'electron';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface LicenceEntry {
  name: string;
  version: string;
  licence: string;
  homepage: string | null;
  note?: string;
  text: string | null;
}

interface LicenceList {
  app: { name: string; version: string; licence: string; homepage: string | null };
  runtime: LicenceEntry[];
  packages: LicenceEntry[];
}

function readLicences(): LicenceList | undefined {
  try {
    return JSON.parse(readFileSync(path.join(app.getAppPath(), 'out', 'licences.json'), 'utf8')) as LicenceList;
  } catch {
    return undefined; // a development build made without scripts/collect-licences.js
  }
}

function isWebLink(url: string | null | undefined): url is string {
  return typeof url === 'string' && /^https?:\/\//.test(url);
}

/**
 * Where the documentation is: the project's web page when package.json names one, else the
 * README shipped beside the app (electron-builder's extraResources: resources/docs/README.md),
 * or the repository's README in a development build.
 */
function documentation(homepage: string | null | undefined): { label: string; open: () => Promise<unknown> } | undefined {
  if (isWebLink(homepage)) return { label: homepage, open: () => shell.openExternal(homepage) };
  const candidates = [path.join(process.resourcesPath ?? '', 'docs', 'README.md'), path.join(app.getAppPath(), 'README.md')];
  const file = candidates.find((f) => existsSync(f));
  return file ? { label: file, open: () => shell.openPath(file) } : undefined;
}

export async function showAboutDialog(parent?: BrowserWindow): Promise<void> {
  const licences = readLicences();
  const docs = documentation(licences?.app.homepage);
  const buttons = ['OK', 'Licences…', ...(docs ? ['Documentation'] : [])];
  const options = {
    type: 'info' as const,
    title: `About ${app.getName()}`,
    message: `${app.getName()} ${app.getVersion()}`,
    detail: [
      'Focus stacking: merge slices focused at different depths into one all-in-focus image.',
      '',
      `Electron ${process.versions.electron} · Chromium ${process.versions.chrome} · Node.js ${process.versions.node}`,
      `${licences?.app.licence ?? 'MIT'} licence. Bundled libraries: ${licences ? licences.packages.length : 'list not built'}; see Licences.`,
      ...(docs ? [`Documentation: ${docs.label}`] : []),
    ].join('\n'),
    buttons,
    defaultId: 0,
    cancelId: 0,
    noLink: true,
  };
  const { response } = parent ? await dialog.showMessageBox(parent, options) : await dialog.showMessageBox(options);
  if (buttons[response] === 'Licences…') showLicencesWindow(licences);
  if (buttons[response] === 'Documentation') await docs?.open();
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function licencesHtml(licences: LicenceList | undefined): string {
  const entry = (p: LicenceEntry) => `
    <details><summary><b>${escapeHtml(p.name)}</b> ${escapeHtml(p.version)} — ${escapeHtml(p.licence)}</summary>
      ${isWebLink(p.homepage) ? `<p><a href="${escapeHtml(p.homepage)}">${escapeHtml(p.homepage)}</a></p>` : ''}
      ${p.note ? `<p>${escapeHtml(p.note)}</p>` : ''}
      <pre>${escapeHtml(p.text ?? 'No licence text was shipped with this package; see its licence identifier above.')}</pre>
    </details>`;
  const body = licences
    ? `<h1>${escapeHtml(licences.app.name)} ${escapeHtml(licences.app.version)} (${escapeHtml(licences.app.licence)})</h1>
       <h2>Runtime</h2>${licences.runtime.map(entry).join('')}
       <h2>Libraries (${licences.packages.length})</h2>${licences.packages.map(entry).join('')}`
    : '<p>The licence list was not generated for this build (run <code>npm run build</code>).</p>';
  return `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Licences</title><style>
body { font: 13px system-ui, sans-serif; margin: 16px 20px; color: #222; background: #fafafa; }
@media (prefers-color-scheme: dark) { body { color: #ddd; background: #1e1e1e; } a { color: #8cb4ff; } }
details { margin: 4px 0; } pre { white-space: pre-wrap; font-size: 11px; opacity: 0.85; }
</style></head><body>${body}</body></html>`;
}

function showLicencesWindow(licences: LicenceList | undefined): void {
  const window = new BrowserWindow({
    width: 720,
    height: 640,
    title: 'Licences',
    autoHideMenuBar: true,
    webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false },
  });
  // Homepage links open in the user's browser, never inside the app.
  window.webContents.on('will-navigate', (event, url) => {
    event.preventDefault();
    if (isWebLink(url)) void shell.openExternal(url);
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (isWebLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void window.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(licencesHtml(licences))}`);
}

/** "About Deepfield" for whichever menu holds it (the app menu on macOS, Help elsewhere). */
export function aboutMenuItem(): MenuItemConstructorOptions {
  return {
    label: `About ${app.getName()}`,
    click: (_item, window) => void showAboutDialog(window instanceof BrowserWindow ? window : undefined),
  };
}

/** Electron's default menus with About in its platform's place. Call after `ready`. */
export function installAppMenu(): void {
  const isMac = process.platform === 'darwin';
  const docs = documentation(readLicences()?.app.homepage);
  const template: MenuItemConstructorOptions[] = [
    ...(isMac
      ? [{
          label: app.getName(),
          submenu: [aboutMenuItem(), { type: 'separator' }, { role: 'services' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { role: 'quit' }],
        } satisfies MenuItemConstructorOptions]
      : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        ...(docs ? [{ label: 'Documentation', click: () => void docs.open() }] : []),
        ...(isMac ? [] : [aboutMenuItem()]),
      ],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
