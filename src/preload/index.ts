// Preload: exposes one narrow, generic bridge to the sandboxed renderer as window.deepfield: a
// call goes to the IPC channel of its operation (main handles only the operations of
// API_OPERATIONS and validates their arguments), job events come back on their channel, and a
// dropped File's path is read here, where the page cannot choose it.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { JobEvent } from '../shared/api';
import { type DesktopBridge, ipcChannel, JOB_EVENT_CHANNEL } from '../shared/ipc-channels';

const bridge: DesktopBridge = {
  invoke: (name, ...args) => ipcRenderer.invoke(ipcChannel(name), ...args),
  onJobEvent: (listener) => {
    const forward = (_event: Electron.IpcRendererEvent, jobEvent: JobEvent) => listener(jobEvent);
    ipcRenderer.on(JOB_EVENT_CHANNEL, forward);
    return () => void ipcRenderer.removeListener(JOB_EVENT_CHANNEL, forward);
  },
  pathForFile: (file) => webUtils.getPathForFile(file as File),
};

contextBridge.exposeInMainWorld('deepfield', bridge);
