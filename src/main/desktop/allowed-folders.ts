// The desktop app opens only folders the user chose: through the folder dialog, by dropping them
// on the window, or earlier (the recent list). A request for any other path is refused, so a
// compromised renderer cannot read the disk at will.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AccessDeniedError, isInside, NotFoundError } from '../host/paths';

export class AllowedFolders {
  /** Real paths (symbolic links resolved) of the folders the user chose. */
  private readonly folders = new Set<string>();

  async allow(folder: string): Promise<void> {
    this.folders.add(await fs.realpath(folder));
  }

  /** Returns `requested` (absolute) if it, links resolved, lies in a folder the user chose. */
  async check(requested: string): Promise<string> {
    const absolute = path.resolve(requested);
    let real;
    try {
      real = await fs.realpath(absolute);
    } catch {
      throw new NotFoundError(`${absolute} does not exist`, absolute);
    }
    for (const folder of this.folders) if (isInside(folder, real)) return absolute;
    throw new AccessDeniedError(`${absolute} was not chosen through Open folder or a drop`, absolute);
  }
}

/** A dropped path stands for a folder: itself, or the folder of a dropped file. */
export async function folderOfDrop(dropped: string): Promise<string> {
  const stat = await fs.stat(dropped);
  return stat.isDirectory() ? dropped : path.dirname(dropped);
}
