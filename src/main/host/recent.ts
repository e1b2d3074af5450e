// Recently stacked folders, newest first, in a small JSON file in the user's config folder
// (written atomically, so a crash never leaves it half-written).
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const MAX_RECENT = 10;
const FILE_NAME = 'recent-stacks.json';

/** The OS's per-user config folder for Deepfield (the same one Electron's userData uses on Linux). */
export function defaultConfigDir(): string {
  const home = os.homedir();
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Deepfield');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Deepfield');
  return path.join(process.env.XDG_CONFIG_HOME || path.join(home, '.config'), 'Deepfield');
}

export class RecentStacks {
  constructor(private readonly configDir: string) {}

  private get file(): string {
    return path.join(this.configDir, FILE_NAME);
  }

  async list(): Promise<string[]> {
    try {
      const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as { stacks?: unknown };
      return Array.isArray(parsed.stacks) ? parsed.stacks.filter((s): s is string => typeof s === 'string') : [];
    } catch {
      return []; // missing or unreadable: no recent stacks, not an error worth showing
    }
  }

  async add(folder: string): Promise<void> {
    const stacks = [folder, ...(await this.list()).filter((s) => s !== folder)].slice(0, MAX_RECENT);
    await fs.mkdir(this.configDir, { recursive: true });
    const temporary = `${this.file}.${randomBytes(4).toString('hex')}.partial`;
    try {
      await fs.writeFile(temporary, JSON.stringify({ version: 1, stacks }, null, 2) + '\n');
      await fs.rename(temporary, this.file);
    } finally {
      await fs.rm(temporary, { force: true });
    }
  }
}
