// Stage "output", the moment of writing: a run's outputs are one unit. Every file is written in
// full under a temporary name beside its target (synced, its SHA-256 taken), and only then are
// all of them put in place together, the sidecar last, in one synchronous step: a JavaScript
// signal handler (SIGINT, SIGTERM, SIGHUP) can run before that step or after it, never inside it,
// so a run either finishes or takes everything back. A journal written just before the step lets
// the next run in the folder complete a set that SIGKILL or a power cut interrupted halfway.
//
// Temporary names carry the host and the process id (`.name.deepfield-<host>-<pid>-<hex>.partial.png`),
// so the next run can tell the files of a dead run from those of a live one and remove them.
// Without overwrite, a file is put in place with link(2), which fails if the name exists, so of
// two runs racing for one name exactly one wins; with overwrite, with rename(2), the old file
// kept under a backup name until the whole set is in place.
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants, copyFileSync, fsyncSync, linkSync, openSync, promises as fs, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancelledError, DeepfieldError, describeFsError } from '../errors';
import { sha256File } from './hash';

/** One output written under its temporary name, waiting to be put in place. */
export interface StagedFile {
  target: string;
  temporary: string;
  size: number;
  sha256: string;
}

interface JournalEntry {
  target: string;
  temporary: string;
  backup: string;
}

interface Journal {
  host: string;
  pid: number;
  overwrite: boolean;
  entries: JournalEntry[];
}

export interface TransactionOptions {
  /**
   * The file that names the set (the composite): runs putting sets with the same anchor in place
   * take turns, and the journal lies beside it. Default: the first file staged.
   */
  anchor?: string;
  /** Replace existing files (rename); without it an existing name fails the whole set (link). */
  overwrite?: boolean;
  signal?: AbortSignal;
  /**
   * Each planned file's rough size in bytes, for the disk-full message, in the plan's order:
   * the order files are put in place (files written in parallel finish in any order).
   */
  expectedBytes?: Map<string, number>;
}

/** What the next run found of interrupted runs in a folder and did about it. */
export interface RecoveryReport {
  /** Targets a dead run had begun to put in place, now completed from its journal. */
  completed: string[];
  /** Temporary, backup and lock files of dead runs, removed. */
  removed: string[];
}

// ---------------------------------------------------------------------------------------------
// Names

const HOST = os.hostname().replace(/[^A-Za-z0-9]/g, '_').slice(0, 40) || 'host';
type TemporaryKind = 'partial' | 'backup' | 'journal';
const TEMPORARY_NAME = /^\.(.*)\.deepfield-([A-Za-z0-9_]+)-(\d+)-([0-9a-f]{8})\.(partial|backup|journal)(\.[^.]*)?$/;
/** Before process ids were in the names: `.name.<12 hex>.partial.ext`, of unknown owner. */
const LEGACY_TEMPORARY_NAME = /^\..*\.[0-9a-f]{12}\.partial(\.[^.]*)?$/;
const LOCK_SUFFIX = '.deepfield-lock';
/** A run on another host, or of an older version, cannot be asked whether it is alive: its files are left for a day. */
const FOREIGN_TEMPORARY_AGE_MS = 24 * 3600_000;

function temporaryName(target: string, kind: TemporaryKind, id: string): string {
  const ext = kind === 'journal' ? '.json' : path.extname(target);
  // Keep the whole name under 255 bytes with the ~45 characters this adds.
  const base = path.basename(target, path.extname(target)).slice(0, 150);
  return path.join(path.dirname(target), `.${base}.deepfield-${HOST}-${process.pid}-${id}.${kind}${ext}`);
}

/** A hidden temporary path beside `target` that names this process (see recoverOutputFolder). */
export function temporaryPathFor(target: string): string {
  return temporaryName(path.resolve(target), 'partial', randomBytes(4).toString('hex'));
}

function lockPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}${LOCK_SUFFIX}`);
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

// ---------------------------------------------------------------------------------------------
// Disk full

const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/**
 * Whether a write failed because the device is full. Node reports the code; libvips (sharp) only
 * a message ("write error\nsystem error: No space left on device"), so that is checked too.
 */
export function isDiskFull(error: unknown): boolean {
  if (DISK_FULL_CODES.has(codeOf(error) ?? '')) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /No space left on device|Disk quota exceeded|ENOSPC|EDQUOT/i.test(message);
}

function megabytes(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 1e6));
}

// ---------------------------------------------------------------------------------------------
// Test hook: DEEPFIELD_TEST_PAUSE=<point> makes a run stop for DEEPFIELD_TEST_PAUSE_MS (default
// 3000) at that point of writing, after printing "deepfield-test: paused at <point>" on stderr,
// so a test can deliver a signal exactly there. Points: 'staged' (the first output written under
// its temporary name), 'prepared' (every output and the sidecar written, nothing in place yet),
// 'committing' (the first output in place, the rest not: a synchronous pause, as the step is).
// DEEPFIELD_TEST_ENOSPC=<n> makes the n-th staged file (1-based) fail as if the disk were full.

type PausePoint = 'staged' | 'prepared' | 'committing';

function pauseRequested(point: PausePoint): number {
  if (process.env.DEEPFIELD_TEST_PAUSE !== point) return 0;
  process.stderr.write(`deepfield-test: paused at ${point} (pid ${process.pid})\n`);
  return Number(process.env.DEEPFIELD_TEST_PAUSE_MS ?? 3000);
}

async function testPause(point: PausePoint): Promise<void> {
  const ms = pauseRequested(point);
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

function testPauseSync(point: PausePoint): void {
  const ms = pauseRequested(point);
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

let stagedCount = 0;
function injectedDiskFull(): boolean {
  const n = Number(process.env.DEEPFIELD_TEST_ENOSPC ?? 0);
  return n > 0 && ++stagedCount === n;
}

// ---------------------------------------------------------------------------------------------
// Transactions

/** Transactions of this process not yet in place or taken back, for an immediate exit. */
const open = new Set<OutputTransaction>();

/**
 * Removes every temporary file of this process's unfinished output sets, synchronously, for an
 * exit that cannot wait (a second Ctrl-C). Sets already in place are not touched; none can be
 * halfway, because putting a set in place never yields to the event loop. Returns how many sets
 * were taken back.
 */
export function rollBackOpenOutputsSync(): number {
  const count = open.size;
  for (const transaction of [...open]) transaction.rollBackSync();
  return count;
}

export class OutputTransaction {
  private readonly entries: Array<{ target: string; temporary: string; staged?: StagedFile }> = [];
  private readonly folders: string[] = [];
  private readonly id = randomBytes(4).toString('hex');
  private finished = false;

  constructor(private readonly options: TransactionOptions = {}) {
    open.add(this);
  }

  /** Every file staged so far, in the order they are put in place. */
  staged(): StagedFile[] {
    return this.ordered().flatMap((e) => (e.staged ? [e.staged] : []));
  }

  /** The plan's order (expectedBytes), then any other file in the order it was started. */
  private ordered(): Array<{ target: string; temporary: string; staged?: StagedFile }> {
    const planned = [...(this.options.expectedBytes?.keys() ?? [])].map((f) => path.resolve(f));
    const rank = (target: string) => {
      const i = planned.indexOf(target);
      return i < 0 ? planned.length : i;
    };
    return this.entries.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e.target) - rank(b.e.target) || a.i - b.i).map(({ e }) => e);
  }

  /** Creates `folder` (and parents) for outputs, remembering what to remove on roll-back. */
  async makeFolder(folder: string): Promise<void> {
    const missing: string[] = [];
    for (let dir = path.resolve(folder); ; dir = path.dirname(dir)) {
      if (await fs.stat(dir).catch(() => undefined)) break;
      missing.unshift(dir);
      if (path.dirname(dir) === dir) break;
    }
    await fs.mkdir(folder, { recursive: true });
    this.folders.push(...missing);
  }

  /**
   * Writes one output: `produce(temporary)` writes the file under its temporary name beside
   * `target`; it is then synced and hashed. Nothing is visible under `target` until commit().
   */
  async stage(target: string, produce: (temporary: string) => Promise<void>): Promise<StagedFile> {
    if (this.finished) throw new Error('This output set is already finished');
    this.options.signal?.throwIfAborted();
    const absolute = path.resolve(target);
    const entry: { target: string; temporary: string; staged?: StagedFile } = { target: absolute, temporary: temporaryName(absolute, 'partial', this.id) };
    if (this.entries.some((e) => e.target === absolute)) throw new DeepfieldError(`Two outputs would be the same file: ${target}`, target);
    this.entries.push(entry);
    try {
      await produce(entry.temporary);
      if (injectedDiskFull()) throw Object.assign(new Error('ENOSPC: no space left on device (injected by DEEPFIELD_TEST_ENOSPC)'), { code: 'ENOSPC' });
      const handle = await fs.open(entry.temporary, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      const { size } = await fs.stat(entry.temporary);
      entry.staged = { target: absolute, temporary: entry.temporary, size, sha256: await sha256File(entry.temporary) };
    } catch (error) {
      throw await this.describeWriteError(error, entry);
    }
    if (this.entries.filter((e) => e.staged).length === 1) await testPause('staged');
    if (this.options.signal?.aborted) throw new CancelledError();
    return entry.staged;
  }

  /** A write failure as one line: the disk-full line when it is one, else the file and reason. */
  private async describeWriteError(error: unknown, entry: { target: string; temporary: string }): Promise<unknown> {
    if (error instanceof CancelledError || error instanceof DeepfieldError) return error;
    if ((error as Error)?.name === 'AbortError') return error;
    if (isDiskFull(error)) {
      const failedSize = (await fs.stat(entry.temporary).catch(() => undefined))?.size ?? 0;
      return new DeepfieldError(`No space left on the device holding ${path.dirname(entry.target)} (needed about ${megabytes(this.neededBytes(entry.target, failedSize))} MB)`, entry.target);
    }
    return new DeepfieldError(`Cannot write ${entry.target}: ${describeFsError(error)}`, entry.target);
  }

  /**
   * What the whole set needs on disk: the files written so far at their real size, the rest at
   * their expected size (expectedOutputBytes) scaled by how the written ones compared with theirs.
   */
  private neededBytes(failed: string, failedSize: number): number {
    const expected = this.options.expectedBytes ?? new Map<string, number>();
    let written = 0;
    let writtenExpected = 0;
    for (const e of this.entries) {
      if (!e.staged) continue;
      written += e.staged.size;
      writtenExpected += expected.get(e.target) ?? e.staged.size;
    }
    // How this data compresses against the typical guesses, from the files that made it.
    const ratio = written > 0 && writtenExpected > 0 ? Math.min(4, Math.max(0.25, written / writtenExpected)) : 1;
    let rest = 0;
    for (const [target, bytes] of expected) if (!this.entries.some((e) => e.target === target && e.staged)) rest += bytes * ratio;
    if (!expected.has(failed)) rest += failedSize;
    return written + Math.max(rest, failedSize);
  }

  /**
   * Puts every staged file in place, in the order staged, or none of them. Throws (having taken
   * everything back) when cancelled before the step, when a name is taken without overwrite, or
   * when the file system refuses; after it returns, the whole set is in place.
   */
  async commit(): Promise<void> {
    if (this.finished) throw new Error('This output set is already finished');
    if (this.entries.some((e) => !e.staged)) throw new Error('An output is still being written');
    if (this.entries.length === 0) return this.finish();
    await testPause('prepared');
    const lock = await this.acquireLock();
    // Nothing below yields to the event loop until the set is in place or taken back.
    try {
      if (this.options.signal?.aborted) throw new CancelledError();
      this.commitSync();
    } catch (error) {
      releaseLock(lock);
      this.rollBackSync();
      throw error;
    }
    releaseLock(lock);
    this.finish();
    await syncFolders(this.entries.map((e) => path.dirname(e.target)));
  }

  private commitSync(): void {
    const overwrite = this.options.overwrite === true;
    const entries: JournalEntry[] = this.ordered().map((e) => ({ target: e.target, temporary: e.temporary, backup: temporaryName(e.target, 'backup', this.id) }));
    const journalFile = temporaryName(this.anchor(), 'journal', this.id);
    writeJournal(journalFile, { host: HOST, pid: process.pid, overwrite, entries });
    const placed: Array<{ entry: JournalEntry; backedUp: boolean }> = [];
    try {
      for (const entry of entries) {
        placed.push({ entry, backedUp: overwrite ? placeReplacing(entry) : placeNew(entry) });
        if (placed.length === 1) testPauseSync('committing');
      }
    } catch (error) {
      // Take back what this set put in place: restore what it replaced, remove what it created.
      for (const { entry, backedUp } of placed.reverse()) {
        if (backedUp) renameSync(entry.backup, entry.target);
        else unlinkQuietly(entry.target);
      }
      unlinkQuietly(journalFile);
      if (codeOf(error) === 'EEXIST') {
        const target = (error as { target?: string }).target ?? entries[0].target;
        throw new DeepfieldError(`Refusing to overwrite ${target}: it exists (another run wrote it meanwhile; pass --overwrite to replace it)`, target);
      }
      if (error instanceof DeepfieldError) throw error;
      const target = (error as { target?: string }).target ?? entries[0].target;
      if (isDiskFull(error)) throw new DeepfieldError(`No space left on the device holding ${path.dirname(target)} (needed about 1 MB)`, target);
      throw new DeepfieldError(`Cannot put ${target} in place: ${describeFsError(error)}`, target);
    }
    for (const { entry, backedUp } of placed) if (backedUp) unlinkQuietly(entry.backup);
    unlinkQuietly(journalFile);
  }

  /** Waits for another run of this process or another to finish putting the same composite in place. */
  private anchor(): string {
    return path.resolve(this.options.anchor ?? this.entries[0].target);
  }

  private async acquireLock(): Promise<string> {
    const lock = lockPathFor(this.anchor());
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(lock, 'wx');
        writeSync(fd, `${HOST} ${process.pid}\n`);
        closeSync(fd);
        return lock;
      } catch (error) {
        if (codeOf(error) !== 'EEXIST') throw new DeepfieldError(`Cannot write ${this.anchor()}: ${describeFsError(error)}`, this.anchor());
      }
      const [host, pid] = readHolder(lock);
      if (host === HOST && pid !== undefined && !isAlive(Number(pid))) {
        unlinkQuietly(lock);
        continue;
      }
      // Putting a set in place takes milliseconds: a lock held for a minute belongs to a run
      // that died on another host.
      if (attempt > 1200) {
        throw new DeepfieldError(`Cannot write ${this.anchor()}: ${lock} has been held by process ${pid ?? '?'} on ${host ?? '?'} for a minute (remove it if that run is gone)`, this.anchor());
      }
      if (this.options.signal?.aborted) throw new CancelledError();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Removes every temporary file of this set (nothing of it is in place). */
  async rollBack(): Promise<void> {
    this.rollBackSync();
  }

  rollBackSync(): void {
    if (this.finished) return;
    for (const entry of this.entries) unlinkQuietly(entry.temporary);
    for (const folder of [...this.folders].reverse()) {
      try {
        rmdirSync(folder); // only when empty: never anything that was there before
      } catch {
        // not empty or gone
      }
    }
    this.finish();
  }

  private finish(): void {
    this.finished = true;
    open.delete(this);
  }
}

function writeJournal(file: string, journal: Journal): void {
  const fd = openSync(file, 'wx');
  try {
    writeSync(fd, JSON.stringify(journal));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function tagged(error: unknown, target: string): unknown {
  if (error && typeof error === 'object') (error as { target?: string }).target = target;
  return error;
}

/** Without overwrite: link(2) the finished file to its name (fails if taken), then drop the temporary name. */
function placeNew(entry: JournalEntry): false {
  try {
    linkSync(entry.temporary, entry.target);
  } catch (error) {
    const code = codeOf(error);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw tagged(error, entry.target);
    // File systems without hard links (FAT, some network shares): an exclusive copy still
    // refuses a taken name, though the copy itself is not atomic (the sidecar's hash tells).
    try {
      copyFileSync(entry.temporary, entry.target, fsConstants.COPYFILE_EXCL);
    } catch (copyError) {
      throw tagged(copyError, entry.target);
    }
  }
  unlinkQuietly(entry.temporary);
  return false;
}

/** With overwrite: keep the old file under its backup name (a hard link), then rename over it. */
function placeReplacing(entry: JournalEntry): boolean {
  let backedUp = false;
  try {
    linkSync(entry.target, entry.backup);
    backedUp = true;
  } catch (error) {
    const code = codeOf(error);
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') {
      try {
        copyFileSync(entry.target, entry.backup);
        backedUp = true;
      } catch (copyError) {
        if (codeOf(copyError) !== 'ENOENT') throw tagged(copyError, entry.target);
      }
    } else if (code !== 'ENOENT') {
      throw tagged(error, entry.target);
    }
  }
  try {
    renameSync(entry.temporary, entry.target);
  } catch (error) {
    if (backedUp) unlinkQuietly(entry.backup);
    throw tagged(error, entry.target);
  }
  return backedUp;
}

/** The host and process id written into a lock file ([] when it is gone or unreadable). */
function readHolder(lock: string): string[] {
  try {
    return readFileSync(lock, 'utf8').trim().split(' ');
  } catch {
    return [];
  }
}

function releaseLock(lock: string): void {
  unlinkQuietly(lock);
}

async function syncFolders(folders: string[]): Promise<void> {
  for (const folder of new Set(folders)) {
    try {
      const handle = await fs.open(folder, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch {
      // Some platforms cannot sync a folder; the files themselves are synced.
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Recovery

const RECOVERY_INTERVAL_MS = 30_000;
const lastRecovery = new Map<string, number>();

/**
 * Cleans up after runs that died while writing into `folder`: a run that had begun putting its
 * set in place (its journal is there) is completed, so its set is whole and matches its sidecar;
 * the temporary and backup files of any other dead run are removed. A run is dead when its
 * process id is gone on this host; files of other hosts, or from before process ids were in the
 * names, are removed once a day old. Files of live runs are never touched.
 */
export async function recoverOutputFolder(folder: string): Promise<RecoveryReport> {
  const report: RecoveryReport = { completed: [], removed: [] };
  // A batch asks for every stack: one scan of a large output folder per half minute is enough.
  const now = Date.now();
  if (now - (lastRecovery.get(path.resolve(folder)) ?? -Infinity) < RECOVERY_INTERVAL_MS) return report;
  lastRecovery.set(path.resolve(folder), now);
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch {
    return report;
  }
  const dead = (host: string, pid: number, file: string) => (host === HOST ? !isAlive(pid) : isOld(file));
  const isOld = (file: string) => {
    try {
      return Date.now() - statSync(file).mtimeMs > FOREIGN_TEMPORARY_AGE_MS;
    } catch {
      return false;
    }
  };
  // Journals first: completing a set needs its temporary files.
  for (const name of names) {
    const match = TEMPORARY_NAME.exec(name);
    if (!match || match[5] !== 'journal') continue;
    const file = path.join(folder, name);
    if (!dead(match[2], Number(match[3]), file)) continue;
    report.completed.push(...completeJournal(file));
  }
  for (const name of await fs.readdir(folder).catch(() => [] as string[])) {
    const file = path.join(folder, name);
    const match = TEMPORARY_NAME.exec(name);
    let remove = false;
    if (match) remove = dead(match[2], Number(match[3]), file);
    else if (LEGACY_TEMPORARY_NAME.test(name)) remove = isOld(file);
    else if (name.endsWith(LOCK_SUFFIX)) {
      const [host, pid] = readHolder(file);
      remove = pid !== undefined && dead(host, Number(pid), file);
    }
    if (!remove) continue;
    try {
      unlinkSync(file);
      report.removed.push(file);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return report;
}

/** Completes the set a dead run's journal describes; returns the targets put in place. */
function completeJournal(file: string): string[] {
  let journal: Journal;
  try {
    journal = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // Cut short while being written: the run had put nothing in place yet.
    unlinkQuietly(file);
    return [];
  }
  const completed: string[] = [];
  for (const entry of journal.entries ?? []) {
    try {
      if (journal.overwrite) renameSync(entry.temporary, entry.target);
      else placeNew(entry);
      completed.push(entry.target);
    } catch {
      // Already in place (ENOENT: the dead run placed it), or the name was taken meanwhile.
    }
  }
  for (const entry of journal.entries ?? []) unlinkQuietly(entry.backup);
  unlinkQuietly(file);
  return completed;
}
