// The folder browser behind the browser host's Open screen: sub-folders of a folder, and which of
// them hold a stack (two or more slice images).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { FolderEntry, FolderListing } from '../../shared/api';
import { isImageFileName, isRawFileName, naturalCompare } from '../engine';
import type { RootFolder } from './paths';

/** The slice images of a folder by name, in natural order (as they are stacked). */
async function imageNames(folder: string): Promise<string[]> {
  try {
    const entries = await fs.readdir(folder, { withFileTypes: true });
    return entries
      .filter((e) => !e.name.startsWith('.') && !e.isDirectory() && isImageFileName(e.name))
      .map((e) => e.name)
      .sort(naturalCompare);
  } catch {
    return []; // unreadable: shown as an empty folder rather than failing the whole listing
  }
}

/** Lists `folder` (already checked by the caller); with a root, entries leading outside it are left out. */
export async function listFolder(folder: string, root?: RootFolder): Promise<FolderListing> {
  const dirents = await fs.readdir(folder, { withFileTypes: true });
  const entries: FolderEntry[] = [];
  for (const dirent of dirents) {
    if (dirent.name.startsWith('.')) continue;
    const full = path.join(folder, dirent.name);
    let isFolder = dirent.isDirectory();
    if (dirent.isSymbolicLink()) {
      if (root && !(await root.contains(full))) continue;
      isFolder = await fs.stat(full).then((s) => s.isDirectory(), () => false);
    }
    if (!isFolder) continue;
    const imageCount = (await imageNames(full)).length;
    entries.push({ name: dirent.name, path: full, kind: imageCount >= 2 ? 'stack' : 'folder', imageCount });
  }
  entries.sort((a, b) => naturalCompare(a.name, b.name));
  const images = await imageNames(folder);
  const atRoot = root ? path.resolve(folder) === root.path : path.dirname(folder) === folder;
  return {
    path: folder,
    parent: atRoot ? null : path.dirname(folder),
    entries,
    imageCount: images.length,
    images,
    rawImages: images.filter(isRawFileName).length,
  };
}
