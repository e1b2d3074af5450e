// The open folder's slice images by name, in stacking order, so the strip can show the ones left
// out and the toolbar can say when Run stacks only some of them.
import { useEffect, useState } from 'react';
import type { DeepfieldApi, StackSource } from '../../../shared/api';

export function useFolderImages(api: DeepfieldApi, source: StackSource | null): string[] | null {
  const [listed, setListed] = useState<{ path: string; images: string[] } | null>(null);
  const path = source?.kind === 'folder' ? source.path : null;
  useEffect(() => {
    if (path === null) return;
    let current = true;
    api.listFolder(path).then(
      (listing) => current && setListed({ path, images: listing.images ?? [] }),
      () => current && setListed(null),
    );
    return () => {
      current = false;
    };
  }, [api, path]);
  return listed && listed.path === path ? listed.images : null;
}
