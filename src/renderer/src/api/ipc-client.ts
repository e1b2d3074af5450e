// DeepfieldApi over Electron IPC: the preload (src/preload/index.ts) exposes every call but
// imageUrl as window.deepfield; images come through the app's deepfield:// protocol, on the same
// paths the browser host uses.
import type { DeepfieldApi, PreloadApi } from '../../../shared/api';
import { imagePath } from './image-path';

declare global {
  interface Window {
    deepfield?: PreloadApi;
  }
}

/** The origin the desktop app serves the renderer and images from. */
export const APP_ORIGIN = 'deepfield://app';

export function createIpcApi(preload: PreloadApi): DeepfieldApi {
  return {
    hostInfo: () => preload.hostInfo(),
    chooseFolder: () => preload.chooseFolder(),
    droppedFolder: (file) => preload.droppedFolder(file),
    listFolder: (path) => preload.listFolder(path),
    recentStacks: () => preload.recentStacks(),
    startStack: (source, options, range) => preload.startStack(source, options, range),
    cancel: (jobId) => preload.cancel(jobId),
    jobSummary: (jobId) => preload.jobSummary(jobId),
    onJobEvent: (listener) => preload.onJobEvent(listener),
    getFocusPreview: (jobId, slice) => preload.getFocusPreview(jobId, slice),
    focusProfile: (jobId, x, y) => preload.focusProfile(jobId, x, y),
    imageUrl: (jobId, kind, options) => `${APP_ORIGIN}${imagePath(jobId, kind, options)}`,
    exportImage: (request) => preload.exportImage(request),
    remerge: (jobId, method) => preload.remerge(jobId, method),
    retouch: (jobId, strokes) => preload.retouch(jobId, strokes),
  };
}
