// The session service (the hosts' shared back end) in plain Node: jobs and their events, exact
// focus profiles, image rendering, exports that never overwrite, recent stacks, root confinement.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import exifr from 'exifr';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { JobEvent } from '../../src/shared/api';
import { depthColour } from '../../src/shared/colour-maps';
import { decodeSlice } from '../../src/main/engine/input/decode';
import { computeFocusMap } from '../../src/main/engine/focus/focus-measure';
import { Engine } from '../../src/main/engine/job/engine';
import { closeMetadataTool } from '../../src/main/engine/output/metadata';
import { AccessDeniedError, RootFolder } from '../../src/main/host/paths';
import { Session } from '../../src/main/host/session';
import { encodeDng } from '../helpers/dng';
import { builtWorkerFile, random, readRaw, sharedData, tempDir, writeRgb8 } from '../helpers/fixtures';

let engine: Engine;
beforeAll(() => {
  engine = new Engine({ workerFile: builtWorkerFile(), threads: 2 });
});
afterAll(async () => {
  await engine.close();
  await closeMetadataTool(); // exports started it; left running, it outlives the test run
});

/** A stack of textured slices whose sharpness differs by region, written as PNGs. */
async function writeStack(dir: string, count = 4, width = 96, height = 64): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const rnd = random(3);
  for (let k = 0; k < count; k++) {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        // Slice k is busy in band k of the width and smooth elsewhere.
        const band = Math.floor((x * count) / width);
        const v = band === k ? rnd() * 255 : 128 + 20 * Math.sin((x + y) / 9);
        data.set([v, v * 0.8, 255 - v], (y * width + x) * 3);
      }
    }
    await writeRgb8(path.join(dir, `z${k + 1}.png`), data, width, height);
  }
}

function newSession(extra: Partial<ConstructorParameters<typeof Session>[0]> = {}): Session {
  return new Session({ engine, configDir: tempDir('deepfield-config-'), previewSize: 32, ...extra });
}

/** Runs a job to its end and returns every event it sent. */
async function runToEnd(session: Session, start: () => Promise<{ jobId: string }>): Promise<{ jobId: string; events: JobEvent[] }> {
  const events: JobEvent[] = [];
  let resolveEnd!: () => void;
  const ended = new Promise<void>((r) => (resolveEnd = r));
  const off = session.onEvent((e) => {
    events.push(e);
    if (e.type === 'done' || e.type === 'error' || e.type === 'cancelled') resolveEnd();
  });
  const { jobId } = await start();
  await ended;
  off();
  return { jobId, events: events.filter((e) => e.jobId === jobId) };
}

describe('jobs', () => {
  test('a folder job sends started, one progress per slice with the slice, then done with statistics', async () => {
    const dir = path.join(tempDir(), 'stack');
    await writeStack(dir);
    const session = newSession();
    const { jobId, events } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: dir }));
    expect(events[0]).toMatchObject({ type: 'queued', position: 0, name: 'stack' });
    expect(events[1]).toMatchObject({ type: 'progress', phase: 'probe', done: 0, total: 0 });
    expect(events[2]).toMatchObject({ type: 'started', layout: { width: 96, height: 64, channels: 3, bitDepth: 8 } });
    expect(events[2].type === 'started' && events[2].slices.map((s) => s.name)).toEqual(['z1.png', 'z2.png', 'z3.png', 'z4.png']);
    const focus = events.filter((e) => e.type === 'progress' && e.phase === 'focus');
    expect(focus).toHaveLength(4);
    const done = events.at(-1)!;
    expect(done.type).toBe('done');
    if (done.type !== 'done') return;
    expect(done.summary.stats.reduce((n, s) => n + s.pixelsWon, 0)).toBe(96 * 64);
    expect(done.summary.maxVariance).toBe(Math.max(...done.summary.stats.map((s) => s.maxVariance)));
    const preview = session.focusPreview(jobId, 2);
    expect(preview.width).toBe(32);
    expect(preview.values.length).toBe(preview.width * preview.height);
    expect(await session.recentStacks()).toEqual([dir]);
  });

  test('cancelling a running job ends it with a cancelled event', async () => {
    const session = newSession();
    const { events } = await runToEnd(session, async () => {
      const started = await session.startStack({ kind: 'folder', path: path.join(sharedData, 'pcb') });
      session.cancel(started.jobId);
      return started;
    });
    expect(events.at(-1)!.type).toBe('cancelled');
  });

  test('a slice of another size fails the job with a message naming the file', async () => {
    const dir = tempDir();
    await writeStack(dir, 2);
    await writeRgb8(path.join(dir, 'z3.png'), new Uint8Array(10 * 10 * 3), 10, 10);
    const session = newSession();
    const { events } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: dir }));
    const last = events.at(-1)!;
    expect(last.type).toBe('error');
    if (last.type === 'error') {
      expect(last.message).toContain('z3.png');
      expect(last.file).toBe(path.join(dir, 'z3.png'));
    }
  });

  test('the demo stack is written once and stacks', async () => {
    const parent = tempDir();
    const session = newSession({ demo: { spec: { width: 120, height: 80, sliceCount: 5, seed: 2 }, parent } });
    const { events } = await runToEnd(session, () => session.startStack({ kind: 'demo' }));
    const done = events.at(-1)!;
    expect(done.type).toBe('done');
    if (done.type === 'done') expect(done.summary.slices).toHaveLength(5);
    expect((await fs.readdir(parent)).length).toBe(1);
  });
});

describe('the job queue', () => {
  const ENDS = new Set(['done', 'error', 'cancelled']);

  /** Every event from now until `count` jobs have ended. */
  function record(session: Session, count: number): { events: JobEvent[]; ended: Promise<void> } {
    const events: JobEvent[] = [];
    let resolveEnd!: () => void;
    const ended = new Promise<void>((r) => (resolveEnd = r));
    const off = session.onEvent((e) => {
      events.push(e);
      if (events.filter((x) => ENDS.has(x.type)).length === count) {
        off();
        resolveEnd();
      }
    });
    return { events, ended };
  }

  /** Folders a, b, c... each a small stack. */
  async function stacks(...names: string[]): Promise<string[]> {
    const parent = tempDir();
    return Promise.all(names.map(async (name) => {
      await writeStack(path.join(parent, name), 3, 48, 32);
      return path.join(parent, name);
    }));
  }

  /** Submits a job per folder, in order, as fast as the calls answer; their ids. */
  async function submit(session: Session, folders: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const folder of folders) ids.push((await session.startStack({ kind: 'folder', path: folder })).jobId);
    return ids;
  }

  /** What happened, in order: 'run a' when a job leaves the queue (its first progress), 'done a' when it ends. */
  function timeline(events: JobEvent[], names: Map<string, string>): string[] {
    const seen = new Set<string>();
    return events.flatMap((e) => {
      const name = names.get(e.jobId) ?? '?';
      if (e.type === 'progress' && !seen.has(e.jobId)) {
        seen.add(e.jobId);
        return [`run ${name}`];
      }
      return ENDS.has(e.type) ? [`${e.type} ${name}`] : [];
    });
  }

  test('jobs run one at a time in the order they were submitted, each told how many are ahead while it waits', async () => {
    const session = newSession();
    const folders = await stacks('a', 'b', 'c');
    const { events, ended } = record(session, 3);
    const ids = await submit(session, folders);
    expect(session.listJobs().map((j) => [j.name, j.state, j.position])).toEqual([['a', 'running', undefined], ['b', 'queued', 1], ['c', 'queued', 2]]);
    await ended;
    const names = new Map(ids.map((id, k) => [id, 'abc'[k]]));
    expect(timeline(events, names)).toEqual(['run a', 'done a', 'run b', 'done b', 'run c', 'done c']);
    const places = (k: number) => events.filter((e) => e.type === 'queued' && e.jobId === ids[k]).map((e) => e.type === 'queued' && e.position);
    expect([places(0), places(1), places(2)]).toEqual([[0], [1], [2, 1]]);
    expect(session.listJobs().map((j) => [j.name, j.state])).toEqual([['c', 'done'], ['b', 'done']]);
  });

  test('cancelling a queued job takes it out of the queue: it never runs, and the jobs behind it move up', async () => {
    const session = newSession();
    const folders = await stacks('a', 'b', 'c');
    const { events, ended } = record(session, 3);
    const ids = await submit(session, folders);
    session.cancel(ids[1]);
    expect(session.listJobs().map((j) => [j.name, j.state, j.position])).toEqual([['a', 'running', undefined], ['c', 'queued', 1]]);
    await ended;
    expect(timeline(events, new Map(ids.map((id, k) => [id, 'abc'[k]])))).toEqual(['run a', 'cancelled b', 'done a', 'run c', 'done c']);
    expect(events.filter((e) => e.jobId === ids[2] && e.type === 'queued').map((e) => e.type === 'queued' && e.position)).toEqual([2, 1]);
    expect(() => session.summary(ids[1])).toThrow(/No job/);
  });

  test('a failed job does not stop the queue, and stays listed with its one-line reason', async () => {
    const session = newSession();
    const [bad, good] = await stacks('bad', 'good');
    await writeRgb8(path.join(bad, 'z9.png'), new Uint8Array(10 * 10 * 3), 10, 10);
    const { events, ended } = record(session, 2);
    const first = await session.startStack({ kind: 'folder', path: bad });
    const second = await session.startStack({ kind: 'folder', path: good });
    await ended;
    expect(timeline(events, new Map([[first.jobId, 'bad'], [second.jobId, 'good']]))).toEqual(['run bad', 'error bad', 'run good', 'done good']);
    const failed = session.listJobs().find((j) => j.jobId === first.jobId)!;
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/z9\.png/);
    expect(failed.error!.split('\n')).toHaveLength(1);
  });

  test('a finished job’s result is let go once newer ones replace it, and subscribers are told', async () => {
    const session = newSession({ keepJobs: 1 });
    const folders = await stacks('a', 'b', 'c');
    const { events, ended } = record(session, 3);
    const ids = await submit(session, folders);
    await ended;
    expect(events.filter((e) => e.type === 'released').map((e) => e.jobId)).toEqual([ids[0], ids[1]]);
    expect(session.listJobs().map((j) => j.jobId)).toEqual([ids[2]]);
    expect(() => session.summary(ids[0])).toThrow(/No job/);
    await expect(session.renderImage(ids[1], 'composite')).rejects.toThrow(/No job/);
    expect(session.summary(ids[2]).slices).toHaveLength(3);
  });
});

describe('a finished job', () => {
  let session: Session;
  let jobId: string;
  let dir: string;
  beforeAll(async () => {
    dir = path.join(tempDir(), 'my stack');
    await writeStack(dir);
    session = newSession({ exportDir: path.join(tempDir(), 'exports') });
    ({ jobId } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: dir }, { sigma: 1.5 })));
  });

  test('the focus profile at a pixel equals the full focus map of every slice there, and names the winner', async () => {
    const summary = session.summary(jobId);
    const maps = await Promise.all(
      [1, 2, 3, 4].map(async (k) => {
        const slice = { file: path.join(dir, `z${k}.png`), name: `z${k}.png` };
        return computeFocusMap(await decodeSlice(slice, summary.layout), summary.layout, 1.5);
      }),
    );
    // Interior, corner and edge pixels: the window must match the full map's mirror padding too.
    for (const [x, y] of [[40, 30], [0, 0], [95, 63], [3, 62], [70, 1]]) {
      const profile = await session.focusProfile(jobId, x, y);
      const expected = maps.map((m) => m[y * 96 + x]);
      profile.values.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 6));
      const best = expected.indexOf(Math.max(...expected));
      expect(profile.winner).toBe(best);
    }
  });

  test('a pixel outside the image is refused', async () => {
    await expect(session.focusProfile(jobId, 96, 0)).rejects.toThrow(/inside 96x64/);
  });

  test('the depth image colours every pixel with the colour of the slice that won it', async () => {
    const image = await session.renderImage(jobId, 'depth');
    expect(image.contentType).toBe('image/png');
    const { data, info } = await sharp(image.data).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([96, 64]);
    for (const [x, y] of [[5, 5], [40, 30], [90, 60]]) {
      const { winner } = await session.focusProfile(jobId, x, y);
      const i = (y * 96 + x) * info.channels;
      expect([data[i], data[i + 1], data[i + 2]]).toEqual(depthColour(winner, 4));
    }
  });

  test('images are scaled to maxSize and cut to a region', async () => {
    const small = await session.renderImage(jobId, 'composite', { maxSize: 48, format: 'jpeg' });
    expect(small.contentType).toBe('image/jpeg');
    expect(await sharp(small.data).metadata()).toMatchObject({ width: 48, height: 32, format: 'jpeg' });
    const part = await session.renderImage(jobId, 'slice', { slice: 1, region: { x: 10, y: 20, width: 30, height: 10 } });
    expect(await sharp(part.data).metadata()).toMatchObject({ width: 30, height: 10 });
    await expect(session.renderImage(jobId, 'slice', { slice: 4 })).rejects.toThrow(/slice number from 0 to 3/);
    await expect(session.renderImage(jobId, 'index', { region: { x: 90, y: 0, width: 10, height: 5 } })).rejects.toThrow(/region inside/);
  });

  test('an export writes a complete file and a second export of the same thing gets a new name', async () => {
    const first = await session.exportImage({ jobId, kind: 'composite', format: 'png' });
    const second = await session.exportImage({ jobId, kind: 'composite', format: 'png' });
    expect(path.basename(first.path)).toBe('my_stack-argmax.png');
    expect(path.basename(second.path)).toBe('my_stack-argmax-2.png');
    const firstBytes = await fs.readFile(first.path);
    expect(await sharp(first.path).metadata()).toMatchObject({ width: 96, height: 64 });
    // No temporary file is left beside the exports; each composite has its sidecar.
    expect((await fs.readdir(path.dirname(first.path))).sort()).toEqual(['my_stack-argmax-2.png', 'my_stack-argmax-2.png.deepfield.json', 'my_stack-argmax.png', 'my_stack-argmax.png.deepfield.json']);
    // An existing file of someone else is never replaced.
    const target = path.join(path.dirname(first.path), 'mine.tif');
    await fs.writeFile(target, 'keep me');
    const third = await session.exportImage({ jobId, kind: 'composite', format: 'tiff' }, target);
    expect(third.path).toBe(path.join(path.dirname(first.path), 'mine-2.tif'));
    expect(await fs.readFile(target, 'utf8')).toBe('keep me');
    expect(await fs.readFile(first.path)).toEqual(firstBytes);
    expect(await sharp(third.path).metadata()).toMatchObject({ depth: 'ushort', format: 'tiff' });
  });

  test('index map, depth and heatmap exports', async () => {
    const index = await session.exportImage({ jobId, kind: 'indexMap', format: 'png' });
    expect(await sharp(index.path).metadata()).toMatchObject({ depth: 'ushort', channels: 1 });
    // The quick depth map is the one --depth-map writes: the map with its legend panel beside it.
    const depth = await session.exportImage({ jobId, kind: 'depthColour', format: 'png' });
    expect(path.basename(depth.path)).toBe('my_stack-argmax-depth.png');
    const depthMeta = await sharp(depth.path).metadata();
    expect(depthMeta).toMatchObject({ format: 'png', height: 64 });
    expect(depthMeta.width).toBeGreaterThan(96);
    await expect(session.exportImage({ jobId, kind: 'depthColour', format: 'jpeg' })).rejects.toThrow(/depth map in colour is exported as PNG/);
    const heat = await session.exportImage({ jobId, kind: 'heatmap', slice: 2, format: 'png', scale: 'log' });
    expect(path.basename(heat.path)).toBe('my_stack-heatmap-03.png');
    await expect(session.exportImage({ jobId, kind: 'indexMap', format: 'jpeg' })).rejects.toThrow(/PNG or TIFF/);
  });
});

describe('a session confined to a root folder', () => {
  test('refuses folders outside the root, including through a symbolic link', async () => {
    const base = tempDir();
    const root = path.join(base, 'root');
    const outside = path.join(base, 'outside');
    await writeStack(path.join(root, 'inside'), 2);
    await writeStack(outside, 2);
    await fs.symlink(outside, path.join(root, 'sneaky'));
    const session = newSession({ root: await RootFolder.open(root) });
    await expect(session.startStack({ kind: 'folder', path: outside })).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(session.startStack({ kind: 'folder', path: '../outside' })).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(session.startStack({ kind: 'folder', path: path.join(root, 'sneaky') })).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(session.listFolder(path.join(root, 'sneaky'))).rejects.toBeInstanceOf(AccessDeniedError);
    const listing = await session.listFolder();
    expect(listing.parent).toBeNull();
    expect(listing.entries.map((e) => [e.name, e.kind, e.imageCount])).toEqual([['inside', 'stack', 2]]);
  });

  test('skips a slice that is a symbolic link to a file outside the root', async () => {
    const base = tempDir();
    const root = path.join(base, 'root');
    await writeStack(path.join(root, 'stack'), 3);
    await writeStack(path.join(base, 'elsewhere'), 1);
    await fs.symlink(path.join(base, 'elsewhere', 'z1.png'), path.join(root, 'stack', 'z4.png'));
    const session = newSession({ root: await RootFolder.open(root) });
    const { events } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: 'stack' }));
    const done = events.at(-1)!;
    expect(done.type).toBe('done');
    if (done.type !== 'done') return;
    expect(done.summary.slices.map((s) => s.name)).toEqual(['z1.png', 'z2.png', 'z3.png']);
    expect(done.summary.skipped).toEqual([{ file: path.join(root, 'stack', 'z4.png'), reason: 'a link to a file outside the root folder' }]);
  });
});

describe('focus profile on a real JPEG slice', () => {
  test('the window decode gives the full map value at interior and border pixels of a pcb slice', async () => {
    const { focusValueAt } = await import('../../src/main/host/focus-profile');
    const slice = { file: path.join(sharedData, 'pcb', 'pcb_004.jpg'), name: 'pcb_004.jpg' };
    const layout = { width: 2048, height: 1536, channels: 3, bitDepth: 8 } as const;
    const map = computeFocusMap(await decodeSlice(slice, layout), layout, 2);
    let max = 0;
    for (const v of map) max = Math.max(max, v);
    for (const [x, y] of [[1024, 768], [0, 0], [2047, 1535], [5, 900], [1500, 3]]) {
      const value = await focusValueAt(slice, layout, 2, x, y);
      expect(Math.abs(value - map[y * 2048 + x])).toBeLessThanOrEqual(1e-6 * max);
    }
  });
});

describe('an aligned job (pcb: a hand-held bracket)', () => {
  test('the focus profile equals the full focus map of each aligned slice, and its peak is the winner', { timeout: 180_000 }, async () => {
    const { decodeAligned } = await import('../../src/main/engine/align/tasks');
    const session = newSession();
    const { jobId, events } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: path.join(sharedData, 'pcb') }));
    expect(events.at(-1)!.type).toBe('done');
    const summary = session.summary(jobId);
    // The session keeps how each slice was warped; read it to build the reference maps.
    const aligns = (session as unknown as { jobs: { job(id: string): { aligns?: import('../../src/main/engine/align/tasks').SliceAlign[]; slices: { file: string; name: string }[] } } }).jobs.job(jobId);
    expect(aligns.aligns).toHaveLength(7);
    const pixels = [[summary.layout.width >> 1, summary.layout.height >> 1], [0, 0], [summary.layout.width - 1, 40]];
    const profiles = await Promise.all(pixels.map(([x, y]) => session.focusProfile(jobId, x, y)));
    for (let k = 0; k < 7; k++) {
      const map = computeFocusMap(await decodeAligned(aligns.slices[k], summary.layout, aligns.aligns![k]), summary.layout, 2);
      pixels.forEach(([x, y], i) => expect(profiles[i].values[k]).toBeCloseTo(map[y * summary.layout.width + x], 4));
    }
    for (const profile of profiles) expect(profile.winner).toBe(profile.values.indexOf(Math.max(...profile.values)));
    const slice = await session.renderImage(jobId, 'slice', { slice: 0 });
    expect(await sharp(slice.data).metadata()).toMatchObject({ width: summary.layout.width, height: summary.layout.height });

    // The app's quick export is the command line's: the reference slice's EXIF and a sidecar.
    const exported = await session.exportImage({ jobId, kind: 'composite', format: 'png' }, path.join(tempDir(), 'pcb-argmax.png'));
    expect(exported.files).toEqual([exported.path, `${exported.path}.deepfield.json`]);
    const tags = await exifr.parse(exported.path, { tiff: true, exif: true });
    expect(Object.keys(tags ?? {}).length).toBeGreaterThan(20);
    expect(tags.Make).toBeTruthy();
    const sidecar = JSON.parse(await fs.readFile(`${exported.path}.deepfield.json`, 'utf8'));
    expect(sidecar.files.map((f: { name: string }) => f.name)).toEqual(summary.slices.map((s) => s.name));
    expect(sidecar.options).toMatchObject({ method: 'argmax', sigma: 2 });
    expect(sidecar.written).toEqual([exported.path]);
  });
});

describe('app options: slice range, alignment, method switching, confidence, export dialog', () => {
  let session: Session;
  let dir: string;
  let exportDir: string;
  beforeAll(async () => {
    dir = path.join(tempDir(), 'range stack');
    await writeStack(dir, 5);
    exportDir = path.join(tempDir(), 'exports');
    session = newSession({ exportDir, keepJobs: 4 });
  });

  test('a slice range stacks only those slices of the folder, in order', async () => {
    const { jobId, events } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: dir }, { align: 'off' }, { from: 2, to: 4 }));
    const summary = session.summary(jobId);
    expect(summary.slices.map((s) => s.name)).toEqual(['z2.png', 'z3.png', 'z4.png']);
    expect(summary.range).toEqual({ from: 2, to: 4 });
    expect(events.filter((e) => e.type === 'progress' && e.phase === 'focus')).toHaveLength(3);
  });

  test('files left out by the user are not stacked, and the job and its exported sidecar say which', async () => {
    const { jobId } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: dir, exclude: ['z2.png', 'z4.png'] }, { align: 'off' }));
    const summary = session.summary(jobId);
    expect(summary.slices.map((s) => s.name)).toEqual(['z1.png', 'z3.png', 'z5.png']);
    expect(summary.excluded).toEqual(['z2.png', 'z4.png']);
    const exported = await session.exportImage({ jobId, kind: 'composite', format: 'png' });
    const sidecar = JSON.parse(await fs.readFile(`${exported.path}.deepfield.json`, 'utf8'));
    expect(sidecar.excluded).toEqual(['z2.png', 'z4.png']);
    expect(sidecar.files.map((f: { name: string }) => f.name)).toEqual(['z1.png', 'z3.png', 'z5.png']);
    const listing = await session.listFolder(dir);
    expect(listing.images).toEqual(['z1.png', 'z2.png', 'z3.png', 'z4.png', 'z5.png']);
  });

  test('a range whose first slice is past the folder fails the job with a message saying so', async () => {
    const { events } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: dir }, { align: 'off' }, { from: 7, to: 9 }));
    expect(events.at(-1)).toMatchObject({ type: 'error', message: expect.stringMatching(/first slice from 1 to 5 .* received 7/) });
  });

  test('the alignment options reach the engine and the summary carries each slice’s alignment', async () => {
    const { jobId } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: dir }, { align: 'translation', reference: 1, brightness: false }));
    const alignment = session.summary(jobId).alignment!;
    expect(alignment.method).toBe('translation');
    expect(alignment.reference).toBe(1);
    expect(alignment.slices).toHaveLength(5);
    expect(alignment.slices[1].status).toBe('reference');
    // brightness off: every gain stays 1.
    for (const slice of alignment.slices) expect(slice.gains.every((g) => g === 1)).toBe(true);
  });

  test('switching method re-merges from the kept focus profile: no focus measure runs again and no events are sent', async () => {
    const { jobId } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: dir }, { align: 'off', method: 'argmax' }));
    const argmax = await session.renderImage(jobId, 'composite', {});
    // Every task the engine's pool runs, by kind: a re-merge may only run compose passes (a
    // second decode, never a second focus measure).
    const pool = (engine as unknown as { pool: { run: (task: { kind?: string }, options: unknown) => Promise<unknown> } }).pool;
    const run = vi.spyOn(pool, 'run');
    const events: JobEvent[] = [];
    const off = session.onEvent((e) => events.push(e));
    try {
      await expect(session.renderImage(jobId, 'composite', { method: 'pyramid' })).rejects.toThrow(/re-merge it first/);
      const remerged = await session.remerge(jobId, 'pyramid');
      expect(remerged.method).toBe('pyramid');
      expect(remerged.pixelsWon.reduce((a, b) => a + b, 0)).toBe(96 * 64);
      const tasks = run.mock.calls.map(([task]) => task.kind);
      expect(tasks).not.toContain('measure');
      expect(events).toEqual([]);
      const pyramid = await session.renderImage(jobId, 'composite', { method: 'pyramid' });
      expect(pyramid.data.equals(argmax.data)).toBe(false);
      // The stacked method is still there, unchanged, and asking again re-merges nothing.
      expect((await session.renderImage(jobId, 'composite', { method: 'argmax' })).data.equals(argmax.data)).toBe(true);
      run.mockClear();
      expect((await session.remerge(jobId, 'pyramid')).ms).toBe(0);
      expect(run).not.toHaveBeenCalled();
    } finally {
      off();
      run.mockRestore();
    }
  });

  test('the confidence map is an image of the stack’s size, dark where the peak is ambiguous', async () => {
    const { jobId } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: dir }, { align: 'off' }));
    const image = await session.renderImage(jobId, 'confidence', {});
    const { data, info } = await sharp(image.data).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([96, 64]);
    // Not one flat colour: textured bands are decisive, flat ones are not.
    const reds = new Set<number>();
    for (let i = 0; i < data.length; i += info.channels) reds.add(data[i]);
    expect(reds.size).toBeGreaterThan(10);
  });

  test('the export dialog’s outputs go through writeOutputs into a new folder, never over an earlier one', async () => {
    const { jobId } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: dir }, { align: 'off' }));
    const outputs = { composite: { format: 'tiff' as const, depth: 16 as const, tiffCompression: 'lzw' as const, metadata: false }, indexMap: true, depthMap: true, heightMap: true, zStep: '0.5um', subslice: true, heatmaps: true, focusMap: true, maskedSlices: [0, 2] };
    const first = await session.exportImage({ jobId, kind: 'outputs', format: 'png', outputs });
    expect(first.path).toBe(path.join(exportDir, 'range_stack-argmax-export'));
    const names = first.files!.map((f) => path.relative(first.path, f)).sort();
    expect(names).toEqual(expect.arrayContaining(['range_stack-argmax.tif', 'range_stack-argmax.tif.deepfield.json', 'depth.png', 'focus-map.png', 'height.tif', 'index.png']));
    expect(names.filter((n) => n.startsWith(`heatmaps${path.sep}`))).toHaveLength(5);
    expect(names.filter((n) => n.startsWith(`in-focus${path.sep}`))).toHaveLength(2);
    expect(await sharp(path.join(first.path, 'range_stack-argmax.tif')).metadata()).toMatchObject({ format: 'tiff', depth: 'ushort', width: 96, height: 64 });
    expect(await sharp(path.join(first.path, 'height.tif')).metadata()).toMatchObject({ depth: 'float' });
    const second = await session.exportImage({ jobId, kind: 'outputs', format: 'png', outputs: { composite: { format: 'webp', quality: 80 } } });
    expect(second.path).toBe(path.join(exportDir, 'range_stack-argmax-export-2'));
    expect(second.files).toEqual([path.join(second.path, 'range_stack-argmax.webp'), path.join(second.path, 'range_stack-argmax.webp.deepfield.json')]);
  });

  test('an export dialog request that cannot be written is refused before any folder is made', async () => {
    const { jobId } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: dir }, { align: 'off' }));
    const before = await fs.readdir(exportDir).catch(() => []);
    await expect(session.exportImage({ jobId, kind: 'outputs', format: 'png', outputs: { composite: { format: 'jpeg', depth: 16 } } })).rejects.toThrow(/Expected 8 for depth with JPEG/);
    await expect(session.exportImage({ jobId, kind: 'outputs', format: 'png', outputs: { composite: { format: 'png' }, heightMap: true } })).rejects.toThrow(/slice spacing/);
    await expect(session.exportImage({ jobId, kind: 'outputs', format: 'png', outputs: { composite: { format: 'png' }, maskedSlices: [9] } })).rejects.toThrow(/from 1 to 5 .* received 10/);
    expect(await fs.readdir(exportDir).catch(() => [])).toEqual(before);
  });
});

describe('retouching a finished job (microtubules: 16-bit greyscale, unaligned)', () => {
  test('strokes change the composite and index map only under the brush, in images and in exports (whose sidecar records them), and an empty list takes them back', { timeout: 180_000 }, async () => {
    const session = newSession({ exportDir: tempDir('deepfield-exports-') });
    const folder = path.join(sharedData, 'microtubules');
    const { jobId } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: folder }, { align: 'off' }));
    const summary = session.summary(jobId);
    expect(summary.layout).toMatchObject({ channels: 1, bitDepth: 16 });
    const { width, height } = summary.layout;
    const exportTiff = async () => {
      const out = await session.exportImage({ jobId, kind: 'outputs', format: 'tiff', outputs: { composite: { format: 'tiff', metadata: false }, indexMap: true } });
      const file = (pattern: RegExp) => out.files!.find((f) => pattern.test(path.basename(f)))!;
      return {
        composite: (await readRaw(file(/\.tif$/))).data,
        index: (await readRaw(file(/^index\.png$/))).data,
        sidecar: JSON.parse(await fs.readFile(file(/\.deepfield\.json$/), 'utf8')),
      };
    };
    const merged = await exportTiff();
    expect(merged.sidecar.retouch).toBeUndefined();

    const stroke = { tool: 'brush' as const, slice: 0, size: 30, hardness: 1, opacity: 1, points: [[200, 300], [320, 420]] as Array<[number, number]> };
    const changed = await session.retouch(jobId, [stroke]);
    expect(changed.revision).toBe(1);
    expect(changed.pixelsWon.reduce((a, b) => a + b, 0)).toBe(width * height);
    const retouched = await exportTiff();
    // The export's provenance sidecar carries the strokes: --replay repeats them.
    expect(retouched.sidecar.retouch).toEqual({ version: 1, strokes: [stroke] });
    const slice0 = (await decodeSlice({ file: path.join(folder, 'z00.tif'), name: 'z00.tif' }, summary.layout)) as Uint16Array;
    let inside = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const p = y * width + x;
        // Distance of the pixel's centre from the stroke's segment.
        const t = Math.min(1, Math.max(0, ((x + 0.5 - 200) * 120 + (y + 0.5 - 300) * 120) / (120 * 120 * 2)));
        const d = Math.hypot(x + 0.5 - (200 + 120 * t), y + 0.5 - (300 + 120 * t));
        if (d <= 15) {
          inside++;
          expect(retouched.composite[p]).toBe(slice0[p]);
          expect(retouched.index[p]).toBe(0);
        } else {
          expect(retouched.composite[p]).toBe(merged.composite[p]);
          expect(retouched.index[p]).toBe(merged.index[p]);
        }
      }
    }
    expect(inside).toBeGreaterThan(4000);

    // The viewer's before/after: revision 0 is the merged result, the latest the retouched one.
    const before = await session.renderImage(jobId, 'composite', { region: { x: 190, y: 290, width: 140, height: 140 } });
    const after = await session.renderImage(jobId, 'composite', { region: { x: 190, y: 290, width: 140, height: 140 }, retouch: changed.revision });
    expect(Buffer.compare(before.data, after.data)).not.toBe(0);

    expect((await session.retouch(jobId, [])).revision).toBe(2);
    const undone = await exportTiff();
    expect(Array.from(undone.composite)).toEqual(Array.from(merged.composite));
    expect(undone.sidecar.retouch).toBeUndefined();
  });
});

describe('camera RAW slices in the app (issue 16)', () => {
  test('the folder listing counts the RAW slices, and a job with rawColour linear gives a darker composite than srgb', async () => {
    const dir = path.join(tempDir(), 'raw bracket');
    await fs.mkdir(dir);
    const [width, height] = [64, 48];
    for (let k = 0; k < 2; k++) {
      // Slice k is busy (2x2 blocks, which survive demosaicing) in half k and a mid grey elsewhere.
      const rnd = random(20 + k);
      const rgb = new Float64Array(width * height * 3);
      for (let i = 0; i < width * height; i++) rgb.fill(Math.floor(((i % width) * 2) / width) === k ? 0.1 + 0.8 * rnd() : 0.3, i * 3, i * 3 + 3);
      await fs.writeFile(path.join(dir, `IMG_${k + 1}.dng`), encodeDng({ width, height, rgb }));
    }
    await writeRgb8(path.join(dir, 'notes.png'), new Uint8Array(4 * 4 * 3), 4, 4);
    const session = newSession();
    expect(await session.listFolder(dir)).toMatchObject({ images: ['IMG_1.dng', 'IMG_2.dng', 'notes.png'], rawImages: 2 });
    const composite = async (rawColour: 'srgb' | 'linear') => {
      const { jobId } = await runToEnd(session, () => session.startStack({ kind: 'folder', path: dir, exclude: ['notes.png'] }, { align: 'off', rawColour }));
      const image = await session.renderImage(jobId, 'composite', {});
      return (await sharp(image.data).stats()).channels[1].mean;
    };
    // The sRGB curve lifts mid tones: 0.3 of the light is about 0.58 of the range, against 0.3 in linear.
    const [srgb, linear] = [await composite('srgb'), await composite('linear')];
    expect(linear).toBeLessThan(srgb * 0.8);
  });
});
