// The session's answer to each call of API_OPERATIONS (shared/api.ts) that is the same for both
// hosts; the browser host serves these as they are, the desktop app puts its dialogs and folder
// checks in front of some (main/desktop/ipc.ts). Arguments arrive validated.
import type { ApiHandlers } from '../../shared/api';
import type { Session } from './session';

type HostSpecific = 'hostInfo' | 'chooseFolder' | 'droppedFolder';

export function sessionHandlers(session: Session): Omit<ApiHandlers<unknown>, HostSpecific> {
  return {
    listFolder: (_, folder) => session.listFolder(folder),
    recentStacks: () => session.recentStacks(),
    startStack: (_, source, options, range) => session.startStack(source, options, range),
    cancel: (_, jobId) => session.cancel(jobId),
    listJobs: () => session.listJobs(),
    jobSummary: (_, jobId) => session.summary(jobId),
    getFocusPreview: (_, jobId, slice) => session.focusPreview(jobId, slice),
    focusProfile: (_, jobId, x, y) => session.focusProfile(jobId, x, y),
    exportImage: (_, request) => session.exportImage(request),
    remerge: (_, jobId, method) => session.remerge(jobId, method),
    retouch: (_, jobId, strokes) => session.retouch(jobId, strokes),
  };
}
