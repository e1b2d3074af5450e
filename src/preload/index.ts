// Preload: exposes the narrow typed API (DeepfieldApi minus imageUrl) to the sandboxed renderer
// as window.deepfield. Every call goes to one IPC channel; main validates the arguments.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { JobEvent, PreloadApi } from '../shared/api';
import { IPC_CHANNELS, JOB_EVENT_CHANNEL } from '../shared/ipc-channels';

const invoke = <T>(channel: string, ...args: unknown[]) => ipcRenderer.invoke(channel, ...args) as Promise<T>;

const api: PreloadApi = {
  hostInfo: () => invoke(IPC_CHANNELS.hostInfo),
  chooseFolder: () => invoke(IPC_CHANNELS.chooseFolder),
  // Only a real File from a drop has a path; the page cannot hand main a path of its choosing.
  droppedFolder: async (file) => {
    const dropped = webUtils.getPathForFile(file as File);
    return dropped ? invoke<string>(IPC_CHANNELS.droppedFolder, dropped) : null;
  },
  listFolder: (path) => invoke(IPC_CHANNELS.listFolder, path),
  recentStacks: () => invoke(IPC_CHANNELS.recentStacks),
  startStack: (source, options, range) => invoke(IPC_CHANNELS.startStack, source, options, range),
  cancel: (jobId) => invoke(IPC_CHANNELS.cancel, jobId),
  jobSummary: (jobId) => invoke(IPC_CHANNELS.jobSummary, jobId),
  onJobEvent: (listener) => {
    const forward = (_event: Electron.IpcRendererEvent, jobEvent: JobEvent) => listener(jobEvent);
    ipcRenderer.on(JOB_EVENT_CHANNEL, forward);
    return () => void ipcRenderer.removeListener(JOB_EVENT_CHANNEL, forward);
  },
  getFocusPreview: (jobId, slice) => invoke(IPC_CHANNELS.getFocusPreview, jobId, slice),
  focusProfile: (jobId, x, y) => invoke(IPC_CHANNELS.focusProfile, jobId, x, y),
  exportImage: (request) => invoke(IPC_CHANNELS.exportImage, request),
  remerge: (jobId, method) => invoke(IPC_CHANNELS.remerge, jobId, method),
  retouch: (jobId, strokes) => invoke(IPC_CHANNELS.retouch, jobId, strokes),
};

contextBridge.exposeInMainWorld('deepfield', api);
