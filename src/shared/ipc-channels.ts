// The desktop app's IPC names, without zod: the sandboxed preload imports this file, and must
// bundle nothing but it. One channel per operation of API_OPERATIONS (shared/api.ts), plus the
// channel main pushes job events on.
import type { DesktopBridge, OperationName } from './api';

export const ipcChannel = (name: OperationName): string => `deepfield:${name}`;

export const JOB_EVENT_CHANNEL = 'deepfield:job-event';

export type { DesktopBridge };
