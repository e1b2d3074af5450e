// What the host is (desktop or browser) and the stacks opened before.
import { useCallback, useEffect, useState, type Dispatch } from 'react';
import type { DeepfieldApi, HostInfo } from '../../../shared/api';
import type { Action } from '../state/app-state';
import { describeError } from './describe-error';

export interface Host {
  hostInfo: HostInfo | null;
  recent: string[];
  refreshRecent: () => void;
}

export function useHost(api: DeepfieldApi, dispatch: Dispatch<Action>): Host {
  const [hostInfo, setHostInfo] = useState<HostInfo | null>(null);
  const [recent, setRecent] = useState<string[]>([]);

  const refreshRecent = useCallback(() => {
    api.recentStacks().then(setRecent, () => setRecent([]));
  }, [api]);

  useEffect(() => {
    api.hostInfo().then(setHostInfo, (error: unknown) => dispatch({ type: 'failed', error: { message: `Cannot reach the Deepfield host: ${describeError(error)}` } }));
    refreshRecent();
  }, [api, dispatch, refreshRecent]);

  return { hostInfo, recent, refreshRecent };
}
