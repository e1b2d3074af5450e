// How many slices the open folder holds, so the toolbar can say when Run stacks only some of them.
import { useEffect, useState } from 'react';
import type { DeepfieldApi, StackSource } from '../../../shared/api';

export function useFolderCount(api: DeepfieldApi, source: StackSource | null): number | null {
  const [count, setCount] = useState<{ path: string; images: number } | null>(null);
  const path = source?.kind === 'folder' ? source.path : null;
  useEffect(() => {
    if (path === null) return;
    let current = true;
    api.listFolder(path).then(
      (listing) => current && setCount({ path, images: listing.imageCount ?? 0 }),
      () => current && setCount(null),
    );
    return () => {
      current = false;
    };
  }, [api, path]);
  return count && count.path === path ? count.images : null;
}
