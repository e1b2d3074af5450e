// Which paths a host may touch. The browser host confines every path to its --root folder, with
// symbolic links resolved first (a link inside the root pointing outside it is outside).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DeepfieldError } from '../engine';

/** A path the host refuses to read (HTTP 403). */
export class AccessDeniedError extends DeepfieldError {
  constructor(message: string, file?: string) {
    super(message, file);
    this.name = 'AccessDeniedError';
  }
}

/** Something asked for that does not exist (HTTP 404). */
export class NotFoundError extends DeepfieldError {
  constructor(message: string, file?: string) {
    super(message, file);
    this.name = 'NotFoundError';
  }
}

export function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The root folder of a confined host, with its real path resolved once. */
export class RootFolder {
  private constructor(
    /** As the user gave it, absolute: the prefix of every path shown to the user. */
    readonly path: string,
    /** With symbolic links resolved: what containment is checked against. */
    readonly realPath: string,
  ) {}

  static async open(root: string): Promise<RootFolder> {
    const absolute = path.resolve(root);
    let real;
    try {
      real = await fs.realpath(absolute);
    } catch {
      throw new DeepfieldError(`The root folder ${absolute} does not exist`, absolute);
    }
    if (!(await fs.stat(real)).isDirectory()) throw new DeepfieldError(`The root ${absolute} is not a folder`, absolute);
    return new RootFolder(absolute, real);
  }

  /**
   * Resolves `requested` (absolute, or relative to the root) and checks that it, with every
   * symbolic link followed, lies inside the root. Returns the absolute path as the user sees it.
   */
  async resolve(requested: string): Promise<string> {
    const absolute = path.resolve(this.path, requested);
    if (!isInside(this.path, absolute) && !isInside(this.realPath, absolute)) {
      throw new AccessDeniedError(`${requested} is outside the root folder ${this.path}`, absolute);
    }
    await this.checkReal(absolute, requested);
    return absolute;
  }

  /** Checks that an existing path's real location is inside the root. */
  async checkReal(absolute: string, shown = absolute): Promise<void> {
    let real;
    try {
      real = await fs.realpath(absolute);
    } catch {
      throw new NotFoundError(`${shown} does not exist`, absolute);
    }
    if (!isInside(this.realPath, real)) {
      throw new AccessDeniedError(`${shown} leads outside the root folder ${this.path} (through a symbolic link)`, absolute);
    }
  }

  async contains(absolute: string): Promise<boolean> {
    try {
      await this.checkReal(absolute);
      return true;
    } catch {
      return false;
    }
  }
}
