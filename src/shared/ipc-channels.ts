// Channel names between the preload and the main process: one per DeepfieldApi call, plus the
// event channel main pushes job events on. Only main and the preload use these.
export const IPC_CHANNELS = {
  hostInfo: 'deepfield:host-info',
  chooseFolder: 'deepfield:choose-folder',
  droppedFolder: 'deepfield:dropped-folder',
  listFolder: 'deepfield:list-folder',
  recentStacks: 'deepfield:recent-stacks',
  startStack: 'deepfield:start-stack',
  cancel: 'deepfield:cancel',
  jobSummary: 'deepfield:job-summary',
  getFocusPreview: 'deepfield:focus-preview',
  focusProfile: 'deepfield:focus-profile',
  exportImage: 'deepfield:export-image',
  remerge: 'deepfield:remerge',
  retouch: 'deepfield:retouch',
} as const;

export const JOB_EVENT_CHANNEL = 'deepfield:job-event';
