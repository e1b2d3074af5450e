// The open folder's slice images by name, in stacking order, so the strip can show the ones left
// out and the toolbar can say when Run stacks only some of them; and how many are camera RAW
// (as the host tells), so the toolbar offers the RAW colour choice only for such a stack.
import { useEffect, useState } from 'react';
import type { DeepfieldApi, StackSource } from '../../../shared/api';

export interface FolderImages {
  names: string[];
  rawCount: number;
}

export function useFolderImages(api: DeepfieldApi, source: StackSource | null): FolderImages | null {
  const [listed, setListed] = useState<{ path: string; images: FolderImages } | null>(null);
  const path = source?.kind === 'folder' ? source.path : null;
  useEffect(() => {
    if (path === null) return;
    let current = true;
    api.listFolder(path).then(
      (listing) => current && setListed({ path, images: { names: listing.images ?? [], rawCount: listing.rawImages ?? 0 } }),
      () => current && setListed(null),
    );
    return () => {
      current = false;
    };
  }, [api, path]);
  return listed && listed.path === path ? listed.images : null;
}
