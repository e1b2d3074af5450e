// Preload: exposes the narrow typed API to the sandboxed renderer.
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('deepfieldHost', { kind: 'electron' });
