// A run's outputs as one set (src/main/engine/output/transaction.ts): all in place or none, an
// existing name refused without overwrite, an older set restored whole when replacing it fails,
// the files of dead runs cleaned up (or their set completed) by the next run in the folder.
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputTransaction, recoverOutputFolder, rollBackOpenOutputsSync, temporaryPathFor } from '../../src/main/engine/output/transaction';
import { sha256File } from '../../src/main/engine/output/hash';
import { tempDir } from '../helpers/fixtures';

const write = (text: string) => (temporary: string) => fs.writeFile(temporary, text);

async function listHidden(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => n.startsWith('.')).sort();
}

/** The process id of a process that has exited (so it is not alive). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/** This host's temporary name for `target`, as process `pid` would have made it. */
function temporaryOf(target: string, pid: number, kind = 'partial'): string {
  return temporaryPathFor(target).replace(`-${process.pid}-`, `-${pid}-`).replace('.partial', `.${kind}`);
}

describe('output transaction', () => {
  it('puts every staged file in place together and leaves no temporary file', async () => {
    const dir = tempDir();
    const transaction = new OutputTransaction();
    const a = await transaction.stage(path.join(dir, 'a.png'), write('A'));
    await transaction.stage(path.join(dir, 'a.png.deepfield.json'), write('{}'));
    expect(existsSync(path.join(dir, 'a.png'))).toBe(false); // nothing visible before commit
    expect(a.sha256).toBe(await sha256File(a.temporary));
    await transaction.commit();
    expect(await fs.readFile(path.join(dir, 'a.png'), 'utf8')).toBe('A');
    expect(await fs.readdir(dir)).toEqual(['a.png', 'a.png.deepfield.json']);
  });

  it('puts files in place in the plan\'s order, whichever finished first, the sidecar last', async () => {
    const dir = tempDir();
    const [composite, index, sidecar] = ['c.png', 'c.index.png', 'c.png.deepfield.json'].map((n) => path.join(dir, n));
    const transaction = new OutputTransaction({ expectedBytes: new Map([[composite, 1], [index, 1], [sidecar, 1]]) });
    await transaction.stage(index, write('I'));
    await transaction.stage(composite, write('C'));
    await transaction.stage(sidecar, write('{}'));
    expect(transaction.staged().map((f) => f.target)).toEqual([composite, index, sidecar]);
    await transaction.commit();
  });

  it('without overwrite, refuses the whole set when one name exists, naming it, and leaves that file alone', async () => {
    const dir = tempDir();
    await fs.writeFile(path.join(dir, 'b.png'), 'theirs');
    const transaction = new OutputTransaction();
    await transaction.stage(path.join(dir, 'a.png'), write('A'));
    await transaction.stage(path.join(dir, 'b.png'), write('B'));
    await expect(transaction.commit()).rejects.toThrow(/Refusing to overwrite .*b\.png: it exists/);
    expect(await fs.readdir(dir)).toEqual(['b.png']); // a.png, put in place first, was taken back
    expect(await fs.readFile(path.join(dir, 'b.png'), 'utf8')).toBe('theirs');
  });

  it('with overwrite, restores the older set whole when putting the new one in place fails halfway', async () => {
    const dir = tempDir();
    await fs.writeFile(path.join(dir, 'a.png'), 'old A');
    // A folder where the second file goes: rename(2) onto it fails after the first was replaced.
    await fs.mkdir(path.join(dir, 'b.png'));
    await fs.writeFile(path.join(dir, 'b.png', 'keep'), '');
    const transaction = new OutputTransaction({ overwrite: true });
    await transaction.stage(path.join(dir, 'a.png'), write('new A'));
    await transaction.stage(path.join(dir, 'b.png'), write('new B'));
    await expect(transaction.commit()).rejects.toThrow(/b\.png/);
    expect(await fs.readFile(path.join(dir, 'a.png'), 'utf8')).toBe('old A');
    expect(await listHidden(dir)).toEqual([]);
  });

  it('with overwrite, replaces an older set and keeps no backup', async () => {
    const dir = tempDir();
    await fs.writeFile(path.join(dir, 'a.png'), 'old A');
    const transaction = new OutputTransaction({ overwrite: true });
    await transaction.stage(path.join(dir, 'a.png'), write('new A'));
    await transaction.commit();
    expect(await fs.readFile(path.join(dir, 'a.png'), 'utf8')).toBe('new A');
    expect(await fs.readdir(dir)).toEqual(['a.png']);
  });

  it('takes back its temporary files and the folders it created on roll-back, also synchronously', async () => {
    const dir = tempDir();
    const transaction = new OutputTransaction();
    await transaction.makeFolder(path.join(dir, 'heat', 'maps'));
    await transaction.stage(path.join(dir, 'heat', 'maps', 'h.png'), write('H'));
    await transaction.stage(path.join(dir, 'c.png'), write('C'));
    expect(rollBackOpenOutputsSync()).toBeGreaterThanOrEqual(1);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('says the disk is full, with the folder and about how much the set needs', async () => {
    const dir = tempDir();
    const transaction = new OutputTransaction({ expectedBytes: new Map([[path.join(dir, 'a.tif'), 30e6], [path.join(dir, 'b.png'), 20e6]]) });
    const full = async (temporary: string) => {
      await fs.writeFile(temporary, 'partly');
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    await expect(transaction.stage(path.join(dir, 'a.tif'), full)).rejects.toThrow(`No space left on the device holding ${dir} (needed about 50 MB)`);
    // libvips reports it in its message only
    const sharpLike = async () => {
      throw new Error(`${dir}/x.png: write error\nsystem error: No space left on device\nvips2png: unable to write to target`);
    };
    await expect(new OutputTransaction().stage(path.join(dir, 'x.png'), sharpLike)).rejects.toThrow(/^No space left on the device holding/);
    await transaction.rollBack();
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('cancelled before it is put in place, writes nothing', async () => {
    const dir = tempDir();
    const controller = new AbortController();
    const transaction = new OutputTransaction({ signal: controller.signal });
    await transaction.stage(path.join(dir, 'a.png'), write('A'));
    controller.abort();
    await expect(transaction.commit()).rejects.toThrow(/Cancelled/);
    expect(await fs.readdir(dir)).toEqual([]);
  });
});

describe('recovery after runs that died while writing', () => {
  it('removes the temporary files of a dead process and keeps those of a live one', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'out.png');
    const dead = temporaryOf(target, deadPid());
    const live = temporaryPathFor(target); // this process: alive
    await fs.writeFile(dead, 'x');
    await fs.writeFile(live, 'y');
    const report = await recoverOutputFolder(dir);
    expect(report.removed).toEqual([dead]);
    expect(existsSync(live)).toBe(true);
  });

  it('completes the set a dead process had begun to put in place, from its journal', async () => {
    const dir = tempDir();
    const pid = deadPid();
    const composite = path.join(dir, 'out.png');
    const sidecar = `${composite}.deepfield.json`;
    // The dead run replaced the composite, then died before the sidecar: the old sidecar is there.
    await fs.writeFile(composite, 'new composite');
    await fs.writeFile(sidecar, 'old sidecar');
    const sidecarTemporary = temporaryOf(sidecar, pid);
    await fs.writeFile(sidecarTemporary, 'new sidecar');
    const journal = temporaryOf(composite, pid, 'journal').replace(/\.png$/, '.json');
    const entries = [
      { target: composite, temporary: temporaryOf(composite, pid), backup: temporaryOf(composite, pid, 'backup') },
      { target: sidecar, temporary: sidecarTemporary, backup: temporaryOf(sidecar, pid, 'backup') },
    ];
    await fs.writeFile(entries[0].backup, 'old composite');
    await fs.writeFile(journal, JSON.stringify({ host: 'x', pid, overwrite: true, entries }));
    const report = await recoverOutputFolder(dir);
    expect(report.completed).toEqual([sidecar]);
    expect(await fs.readFile(sidecar, 'utf8')).toBe('new sidecar');
    expect(await fs.readFile(composite, 'utf8')).toBe('new composite');
    expect(await fs.readdir(dir)).toEqual(['out.png', 'out.png.deepfield.json']);
  });
});
