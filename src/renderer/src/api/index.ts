// The renderer's one way to the host: IPC when the desktop app's preload is present, HTTP
// otherwise. The UI imports getApi and never learns which.
import type { DeepfieldApi } from '../../../shared/api';
import { createHttpApi } from './http-client';
import { createIpcApi } from './ipc-client';

export { HostError } from './http-client';

const TOKEN_KEY = 'deepfield-token';

/** The browser host's token: from the address, kept for reloads of this tab. */
function browserToken(): string {
  const fromUrl = new URLSearchParams(window.location.search).get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

let api: DeepfieldApi | undefined;

export function getApi(): DeepfieldApi {
  api ??= window.deepfield ? createIpcApi(window.deepfield) : createHttpApi(browserToken());
  return api;
}
