// Where a stack comes from: the desktop's folder dialog or the browser host's folder browser,
// a recent stack, or a folder dropped on the window.
import { useCallback, useState, type Dispatch, type DragEvent } from 'react';
import type { DeepfieldApi, HostInfo, StackSource } from '../../../shared/api';
import type { Action } from '../state/app-state';
import { describeError } from './describe-error';

/** How deep under the root a dropped folder is looked for, and how many folders are listed at most. */
const SEARCH_DEPTH = 4;
const SEARCH_FOLDERS = 400;

/**
 * The name of a dropped folder, or null for a dropped file. Chromium says which through the
 * entry; without one, a File with no type and no extension is taken for a folder.
 */
function droppedFolderName(item: DataTransferItem | undefined, file: File): string | null {
  const entry = item?.webkitGetAsEntry?.();
  if (entry) return entry.isDirectory ? entry.name : null;
  return file.type === '' && !/\.[a-z0-9]{2,5}$/i.test(file.name) ? file.name : null;
}

/** The stack folder named `name` under the host's root, breadth first, nearest the root; null if none. */
export async function findUnderRoot(api: Pick<DeepfieldApi, 'listFolder'>, name: string): Promise<string | null> {
  let level: (string | undefined)[] = [undefined];
  let listed = 0;
  for (let depth = 0; depth < SEARCH_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    for (const folder of level) {
      if (listed++ >= SEARCH_FOLDERS) return null;
      const listing = await api.listFolder(folder).catch(() => null);
      if (!listing) continue;
      const match = listing.entries.find((entry) => entry.name === name && entry.kind === 'stack');
      if (match) return match.path;
      next.push(...listing.entries.map((entry) => entry.path));
    }
    level = next;
  }
  return null;
}

export interface OpenControls {
  /** The browser host's folder browser is open. */
  browsing: boolean;
  closeBrowser: () => void;
  /** Open folder: the native dialog, or the folder browser in the browser host. */
  chooseFolder: () => void;
  /** Stacks a folder, less the files named in `exclude`. */
  openFolder: (path: string, exclude?: string[]) => void;
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
    (path: string, exclude?: string[]) => {
      setBrowsing(false);
      void run({ kind: 'folder', path, ...(exclude?.length ? { exclude } : {}) });
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
    const folderName = droppedFolderName(event.dataTransfer.items?.[0], file);
    api
      .droppedFolder(file)
      // A browser never tells where a dropped folder is: the host looks for one of that name under its root.
      // (The desktop app is told the path itself, so only the browser host gets here with a name.)
      .then((path) => path ?? (folderName ? findUnderRoot(api, folderName) : null))
      .then(
        (path) => {
          if (path) openFolder(path);
          else if (folderName) dispatch({ type: 'toast', message: `No stack folder named ${folderName} under ${hostInfo?.root ?? 'the served folder'}: use Open folder instead.`, tone: 'error' });
          else dispatch({ type: 'toast', message: `Drop the folder that holds the slices (not ${file.name}), or use Open folder.` });
        },
        (error: unknown) => dispatch({ type: 'toast', message: `Cannot open the dropped ${file.name}: ${describeError(error)}`, tone: 'error' }),
      );
  };

  const closeBrowser = useCallback(() => setBrowsing(false), []);

  return { browsing, closeBrowser, chooseFolder, openFolder, onDrop };
}
