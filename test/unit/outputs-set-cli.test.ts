// A run's outputs as one set, through the command line (node bin/deepfield.js after a build):
// signals at several points of writing over an older set, two runs racing for one name, a full
// disk, and batch runs resuming after lost, partial, stale and killed outputs. After every case
// either the older set or the newer one is whole and matches its sidecar, no temporary file is
// left once the next run has been in the folder, and what the run said was true.
// The pause points come from the DEEPFIELD_TEST_PAUSE hook (src/main/engine/output/transaction.ts).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSyntheticStack } from '../../src/main/demo/synthetic-stack';
import { checkStackOutputs } from '../../src/main/engine/output/stack-status';
import { readSidecar } from '../../src/main/engine/output/sidecar';
import { cliPath, random, tempDir } from '../helpers/fixtures';
import sharp from 'sharp';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], options: { env?: Record<string, string>; onStderr?: (text: string, child: ChildProcess) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Small and quick: no alignment, no metadata tool, one worker. */
const QUICK = ['--align', 'off', '--no-metadata', '--threads', '1'];

/** Hidden files Deepfield writes while a run is in progress (temporary, backup, journal, lock). */
async function leftovers(dir: string): Promise<string[]> {
  const names = (await fs.readdir(dir, { recursive: true })).map(String);
  return names.filter((n) => path.basename(n).startsWith('.'));
}

/** The set's state by its own sidecar: 'up to date' when every file is there and matches it. */
async function setState(composite: string): Promise<{ state: string; sigma?: number }> {
  const sidecar = await readSidecar(`${composite}.deepfield.json`);
  const status = await checkStackOutputs({ inputs: sidecar.inputs, options: sidecar.options, plan: sidecar.outputs });
  return { state: status.state, sigma: sidecar.options.sigma };
}

/** A small stack and its set written with --sigma 5: the older set a new run writes over. */
async function olderSet(seed: number): Promise<{ dir: string; slices: string; out: string; job: string[] }> {
  const dir = tempDir();
  const slices = path.join(dir, 'slices');
  await writeSyntheticStack({ width: 64, height: 48, sliceCount: 3, seed }, slices, 'png');
  const out = path.join(dir, 'out.png');
  const job = [slices, '-o', out, '--index-map', path.join(dir, 'out.index.png'), ...QUICK];
  const old = await runCli(['stack', ...job, '--sigma', '5']);
  expect(old.code, old.stderr).toBe(0);
  return { dir, slices, out, job };
}

describe('signals while writing over an older set', () => {
  const points = ['staged', 'prepared', 'committing'] as const;
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL'] as const;
  const cases = points.flatMap((point) => signals.map((signal) => ({ point, signal })));

  it.each(cases)('$signal at $point leaves the old or the new set whole, and says which', async ({ point, signal }) => {
    const { dir, slices, out, job } = await olderSet(4);

    let sent = false;
    const run = await runCli(['stack', ...job, '--sigma', '2', '--overwrite'], {
      env: { DEEPFIELD_TEST_PAUSE: point, DEEPFIELD_TEST_PAUSE_MS: '1500' },
      onStderr: (text, child) => {
        if (!sent && text.includes(`paused at ${point}`)) {
          sent = true;
          child.kill(signal);
        }
      },
    });
    expect(sent, run.stderr).toBe(true);
    // Putting the set in place is one synchronous step: a signal there is handled once it is done.
    const finished = point === 'committing';
    if (signal === 'SIGKILL') {
      expect(run.signal).toBe('SIGKILL');
      // The next run in the folder cleans up, and completes a set the killed run had begun to put in place.
      const next = await runCli(['stack', slices, '-o', path.join(dir, 'other.png'), ...QUICK]);
      expect(next.code, next.stderr).toBe(0);
      if (finished) expect(next.stderr).toMatch(/completed .*out\.index\.png, which an interrupted run had begun to put in place/);
    } else if (finished) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/interrupted after the outputs were complete/);
      expect(run.stderr).toMatch(/wrote .*out\.png/);
    } else {
      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr).toMatch(/cancelled, nothing written/);
    }
    expect(await setState(out)).toEqual({ state: 'up to date', sigma: finished ? 2 : 5 });
    expect(await leftovers(dir)).toEqual([]);
  });
});

describe('a second Ctrl-C while writing', () => {
  it('stops at once, removing what is not in place, and leaves the older set whole', async () => {
    const { dir, out, job } = await olderSet(5);
    let sent = 0;
    const run = await runCli(['stack', ...job, '--sigma', '2', '--overwrite'], {
      env: { DEEPFIELD_TEST_PAUSE: 'staged', DEEPFIELD_TEST_PAUSE_MS: '3000' },
      onStderr: (text, child) => {
        if (sent === 0 && text.includes('paused at staged')) {
          sent = 1;
          child.kill('SIGINT');
        } else if (sent === 1 && text.includes('cancelling')) {
          sent = 2;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent, run.stderr).toBe(2);
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/stopped at once \(SIGINT\): outputs not yet in place were removed, none is half written/);
    expect(await setState(out)).toEqual({ state: 'up to date', sigma: 5 });
    expect(await leftovers(dir)).toEqual([]);
  });
});

describe('two runs writing the same outputs', () => {
  it('without --overwrite, exactly one wins and the other exits 1 naming the file', async () => {
    const dir = tempDir();
    const slices = path.join(dir, 'slices');
    await writeSyntheticStack({ width: 64, height: 48, sliceCount: 3, seed: 6 }, slices, 'png');
    const out = path.join(dir, 'race.png');
    const job = (sigma: string) => ['stack', slices, '-o', out, '--index-map', path.join(dir, 'race.index.png'), '--sigma', sigma, ...QUICK];
    // Both pass the checks before either has written anything, then race to put their sets in place.
    const env = { DEEPFIELD_TEST_PAUSE: 'prepared', DEEPFIELD_TEST_PAUSE_MS: '1000' };
    const runs = await Promise.all([runCli(job('1.5'), { env }), runCli(job('3'), { env })]);
    expect(runs.map((r) => r.code).sort()).toEqual([0, 1]);
    const loser = runs.find((r) => r.code === 1)!;
    expect(loser.stderr).toMatch(/Refusing to overwrite .*race(\.index)?\.png/);
    const winner = runs.indexOf(runs.find((r) => r.code === 0)!);
    expect(await setState(out)).toEqual({ state: 'up to date', sigma: winner === 0 ? 1.5 : 3 });
    expect(await leftovers(dir)).toEqual([]);
  });

  it('with --overwrite, the later set replaces the earlier one whole', async () => {
    const dir = tempDir();
    const slices = path.join(dir, 'slices');
    await writeSyntheticStack({ width: 64, height: 48, sliceCount: 3, seed: 7 }, slices, 'png');
    const out = path.join(dir, 'race.png');
    const job = (sigma: string) => ['stack', slices, '-o', out, '--index-map', path.join(dir, 'race.index.png'), '--sigma', sigma, '--overwrite', ...QUICK];
    const env = { DEEPFIELD_TEST_PAUSE: 'prepared', DEEPFIELD_TEST_PAUSE_MS: '1000' };
    const runs = await Promise.all([runCli(job('1.5'), { env }), runCli(job('3'), { env })]);
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    expect((await setState(out)).state).toBe('up to date');
    expect(await leftovers(dir)).toEqual([]);
  });
});

describe('a full disk', () => {
  /** A 2 MB tmpfs when this process may mount one (root in a container that allows it), else undefined. */
  function mountSmallDisk(): string | undefined {
    const mountPoint = tempDir('deepfield-tmpfs-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { stdio: 'ignore' });
      mounted.push(mountPoint);
      return mountPoint;
    } catch {
      return undefined;
    }
  }
  const mounted: string[] = [];
  afterAll(() => {
    for (const point of mounted) execFileSync('umount', [point]);
  });

  it('takes back everything the run wrote and says how much it needed', async () => {
    const dir = tempDir();
    const slices = path.join(dir, 'slices');
    await fs.mkdir(slices);
    // Noise does not compress: 800x600 RGB is about 1.4 MB per picture, 6 pictures in all.
    const rnd = random(8);
    for (let k = 0; k < 3; k++) {
      const noise = new Uint8Array(800 * 600 * 3).map(() => Math.floor(rnd() * 256));
      await sharp(noise, { raw: { width: 800, height: 600, channels: 3 } }).blur(k + 0.5).png().toFile(path.join(slices, `z${k}.png`));
    }
    const disk = mountSmallDisk();
    const outDir = disk ?? path.join(dir, 'out');
    if (!disk) await fs.mkdir(outDir);
    console.log(disk ? `disk full on a 2 MB tmpfs at ${disk}` : 'disk full injected (DEEPFIELD_TEST_ENOSPC): this process cannot mount a tmpfs');
    const out = path.join(outDir, 'full.png');
    const args = ['stack', slices, '-o', out, '--index-map', path.join(outDir, 'full.index.png'), '--heatmaps', path.join(outDir, 'heat'), ...QUICK];
    const run = await runCli(args, { env: disk ? {} : { DEEPFIELD_TEST_ENOSPC: '3' } });
    expect(run.code, run.stderr).toBe(1);
    const line = run.stderr.trim().split('\n').pop()!;
    expect(line).toMatch(new RegExp(`^deepfield: error: No space left on the device holding ${outDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/heat)? \\(needed about \\d+ MB\\)$`));
    if (disk) expect(Number(/about (\d+) MB/.exec(line)![1])).toBeGreaterThanOrEqual(3);
    // Nothing of the run is left: no file, no temporary file, not the heatmap folder it made.
    expect(await fs.readdir(outDir)).toEqual([]);
  });
});

describe('batch resuming', () => {
  it('makes every stack whole again after a lost composite, a lost sidecar, a changed file and a kill, without --overwrite', async () => {
    const dir = tempDir();
    const parent = path.join(dir, 'plate');
    const out = path.join(dir, 'out');
    for (const [i, name] of ['a', 'b', 'c', 'd'].entries()) {
      await writeSyntheticStack({ width: 64, height: 48, sliceCount: 3, seed: 20 + i }, path.join(parent, name), 'png');
    }
    const batch = ['batch', parent, '-o', out, '--index-map', '--jobs', '1', '--json', ...QUICK];
    const first = await runCli(batch);
    expect(first.code, first.stderr).toBe(0);
    const untouched = (await fs.stat(path.join(out, 'd.png'))).mtimeMs;

    await fs.rm(path.join(out, 'a.png')); // a lost composite
    await fs.rm(path.join(out, 'b.png.deepfield.json')); // a lost sidecar
    await fs.writeFile(path.join(out, 'c.index.png'), 'not the index map any more'); // replaced since
    // Killed while putting a's new set in place.
    let killed = false;
    const second = await runCli(batch, {
      env: { DEEPFIELD_TEST_PAUSE: 'committing', DEEPFIELD_TEST_PAUSE_MS: '1500' },
      onStderr: (text, child) => {
        if (!killed && text.includes('paused at committing')) {
          killed = true;
          child.kill('SIGKILL');
        }
      },
    });
    expect(killed, second.stderr).toBe(true);

    const third = await runCli(batch);
    expect(third.code, third.stderr).toBe(0);
    const rows = JSON.parse(third.stdout).stacks as Array<{ stack: string; status: string; message?: string }>;
    // a: completed from the killed run's journal; b and c: made again; d: never redone.
    expect(rows.map((r) => [r.stack, r.status])).toEqual([
      ['a', 'up to date'],
      ['b', 'done'],
      ['c', 'done'],
      ['d', 'up to date'],
    ]);
    expect(rows[1].message).toMatch(/was partial/);
    expect(rows[2].message).toMatch(/was stale: c\.index\.png does not match its sidecar/);
    for (const name of ['a', 'b', 'c', 'd']) expect((await setState(path.join(out, `${name}.png`))).state, name).toBe('up to date');
    expect((await fs.stat(path.join(out, 'd.png'))).mtimeMs).toBe(untouched);
    expect(await leftovers(out)).toEqual([]);
  });

  it('says which stacks were written when cancelled after some finished', async () => {
    const dir = tempDir();
    const parent = path.join(dir, 'plate');
    const out = path.join(dir, 'out');
    for (let i = 1; i <= 3; i++) await writeSyntheticStack({ width: 64, height: 48, sliceCount: 3, seed: 30 + i }, path.join(parent, `t${i}`), 'png');
    let sent = false;
    const run = await runCli(['batch', parent, '-o', out, '--jobs', '1', ...QUICK], {
      // t2 waits before putting its set in place, so the interrupt lands while it is being written.
      env: { DEEPFIELD_TEST_PAUSE: 'prepared', DEEPFIELD_TEST_PAUSE_MS: '1500' },
      onStderr: (text, child) => {
        if (!sent && /t1: done/.test(text) && text.split('paused at prepared').length > 2) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent, run.stderr).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stderr).not.toMatch(/nothing written/);
    expect(run.stderr).toMatch(/cancelled: 1 stack\(s\) finished before the interrupt are written \(t1\)/);
    expect((await fs.readdir(out)).sort()).toEqual(['batch-summary.csv', 't1.png', 't1.png.deepfield.json']);
  });
});
