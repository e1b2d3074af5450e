// Where a stack comes from: the desktop's folder dialog or the browser host's folder browser,
// a recent stack, or a folder dropped on the window.
import { useCallback, useState, type Dispatch, type DragEvent } from 'react';
import type { DeepfieldApi, HostInfo, StackSource } from '../../../shared/api';
import type { Action } from '../state/app-state';
import { describeError } from './describe-error';

export interface OpenControls {
  /** The browser host's folder browser is open. */
  browsing: boolean;
  closeBrowser: () => void;
  /** Open folder: the native dialog, or the folder browser in the browser host. */
  chooseFolder: () => void;
  openFolder: (path: string) => void;
  onDrop: (event: DragEvent) => void;
}

export function useOpen({
  api,
  hostInfo,
  dispatch,
  run,
}: {
  api: DeepfieldApi;
  hostInfo: HostInfo | null;
  dispatch: Dispatch<Action>;
  run: (source: StackSource) => Promise<void>;
}): OpenControls {
  const [browsing, setBrowsing] = useState(false);

  const openFolder = useCallback(
    (path: string) => {
      setBrowsing(false);
      void run({ kind: 'folder', path });
    },
    [run],
  );

  const chooseFolder = () => {
    if (hostInfo?.kind === 'browser') {
      setBrowsing(true);
      return;
    }
    api.chooseFolder().then(
      (path) => path && openFolder(path),
      (error: unknown) => dispatch({ type: 'toast', message: `Cannot open a folder: ${describeError(error)}`, tone: 'error' }),
    );
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    const file = event.dataTransfer.files[0];
    if (!file) return;
    api.droppedFolder(file).then(
      (path) => {
        if (path) openFolder(path);
        else dispatch({ type: 'toast', message: `The browser does not tell where ${file.name} is: use Open folder instead.` });
      },
      (error: unknown) => dispatch({ type: 'toast', message: `Cannot open the dropped ${file.name}: ${describeError(error)}`, tone: 'error' }),
    );
  };

  const closeBrowser = useCallback(() => setBrowsing(false), []);

  return { browsing, closeBrowser, chooseFolder, openFolder, onDrop };
}
