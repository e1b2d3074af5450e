// DeepfieldApi over Electron IPC: every call of API_OPERATIONS goes through the preload's generic
// bridge (src/preload/index.ts, window.deepfield); images come through the app's deepfield://
// protocol, on the same paths the browser host uses.
import { API_OPERATIONS, type ApiCalls, type DeepfieldApi, type DesktopBridge, imagePath, type OperationName } from '../../../shared/api';

declare global {
  interface Window {
    deepfield?: DesktopBridge;
  }
}

/** The origin the desktop app serves the renderer and images from. */
export const APP_ORIGIN = 'deepfield://app';

export function createIpcApi(bridge: DesktopBridge): DeepfieldApi {
  const calls = Object.fromEntries(
    (Object.keys(API_OPERATIONS) as OperationName[]).map((name) => [name, (...args: unknown[]) => bridge.invoke(name, ...args)]),
  ) as ApiCalls;
  return {
    ...calls,
    // Only a real File from a drop has a path; the page cannot hand main a path of its choosing.
    droppedFolder: async (file) => {
      const dropped = bridge.pathForFile(file);
      return dropped ? calls.droppedFolder(dropped) : null;
    },
    onJobEvent: (listener) => bridge.onJobEvent(listener),
    imageUrl: (jobId, kind, options) => `${APP_ORIGIN}${imagePath(jobId, kind, options)}`,
  };
}
