// `deepfield batch --queue` and `deepfield worker` against a real redis-server (started here on a
// free loopback port, stopped by PID): a batch across two worker processes, one of them killed
// with SIGKILL mid-stack, gives the same composites as one machine; Redis going away and coming
// back does not lose the batch; connection problems are one line naming the URL.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSummaryCsv } from '../../src/main/cli/batch-summary';
import { readStackFolder, batchSettingsFromFlags } from '../../src/main/cli/batch-core';
import { parseQueueUrl, shownUrl } from '../../src/main/cli/queue/connection';
import { QUEUE_NAME, stackJobData, stackJobId, stackJobOptions } from '../../src/main/cli/queue/stack-jobs';
import { writeSyntheticStack } from '../../src/main/demo/synthetic-stack';
import { type CliProcess, runCliToEnd, startCli } from '../helpers/cli-process';
import { readRaw, tempDir } from '../helpers/fixtures';
import { freePort, hasRedisServer, type RedisServer, startRedis } from '../helpers/redis';

// Aligned synthetic stacks: alignment off keeps the tiny frames whole (see batch.test.ts).
const JOB_FLAGS = ['--align', 'off'];
const STACK_NAMES = ['field-1', 'field-2', 'field-3', 'field-4', 'field-5', 'field-6'];
const CORRUPT = 'field-4';

async function sixStacks(parent: string): Promise<void> {
  for (const [i, name] of STACK_NAMES.entries()) {
    await writeSyntheticStack({ width: 240, height: 180, sliceCount: 6, seed: 10 + i }, path.join(parent, name), 'png');
  }
  // A truncated slice: the header promises more than the file holds.
  const bad = path.join(parent, CORRUPT, 'slice-03.png');
  const bytes = await fs.readFile(bad);
  await fs.writeFile(bad, bytes.subarray(0, Math.floor(bytes.length / 3)));
}

async function rowsOf(out: string) {
  return parseSummaryCsv(await fs.readFile(path.join(out, 'batch-summary.csv'), 'utf8'), 'batch-summary.csv');
}

async function stopAll(processes: CliProcess[]): Promise<void> {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  await Promise.all(processes.map((p) => p.exited));
}

describe('queue jobs and URLs', () => {
  const stack = { name: 'well-A1', folder: '/data/plate/well-A1', files: ['/data/plate/well-A1/z1.png'] };
  const flags = { sigma: 2, quality: 90, tiffCompression: 'deflate', metadata: true, subslice: false, heatmapScale: 'linear', colourMap: 'viridis', sidecar: true } as const;

  it('gives a stack the same job id for the same batch, and another for other options or versions', () => {
    const data = stackJobData('/data/plate', stack, batchSettingsFromFlags(flags, '/out'));
    expect(stackJobId(data)).toBe(stackJobId(stackJobData('/data/plate', { ...stack }, batchSettingsFromFlags({ ...flags }, '/out'))));
    expect(stackJobId(data)).toMatch(/^stack-[0-9a-f]{32}$/);
    expect(stackJobId(stackJobData('/data/plate', stack, batchSettingsFromFlags({ ...flags, sigma: 3 }, '/out')))).not.toBe(stackJobId(data));
    expect(stackJobId(stackJobData('/data/plate', stack, batchSettingsFromFlags(flags, '/elsewhere')))).not.toBe(stackJobId(data));
    expect(stackJobId({ ...data, deepfield: '0.0.1' })).not.toBe(stackJobId(data));
  });

  it('takes redis:// and rediss:// URLs only, and never prints a password', () => {
    expect(parseQueueUrl('redis://queue-host:6379/0')).toBe('redis://queue-host:6379/0');
    expect(parseQueueUrl('rediss://:pw@queue-host/2')).toBe('rediss://:pw@queue-host/2');
    for (const bad of ['http://queue-host:6379', 'queue-host:6379', 'redis://', 'redis://host/zero']) {
      expect(() => parseQueueUrl(bad), bad).toThrow(/^Expected a Redis URL like redis:\/\/host:6379\/0 for queue but received/);
    }
    expect(shownUrl('redis://:secret@queue-host:6379/0')).toBe('redis://:***@queue-host:6379/0');
    expect(shownUrl('redis://user:secret@queue-host:6379/0')).toBe('redis://user:***@queue-host:6379/0');
  });
});

describe.runIf(hasRedisServer())('deepfield batch --queue with deepfield worker', () => {
  let dir: string;
  let parent: string;
  let reference: string;
  const servers: RedisServer[] = [];
  const processes: CliProcess[] = [];

  // Stacks and the one-machine reference, generated once (several command line runs on 2 cores).
  beforeAll(async () => {
    dir = tempDir('deepfield-queue-');
    parent = path.join(dir, 'plate');
    reference = path.join(dir, 'one-machine');
    await sixStacks(parent);
    // The reference: the same folder on one machine.
    const local = await runCliToEnd(['batch', parent, '-o', reference, ...JOB_FLAGS]);
    expect(local.stderr).toMatch(/5 stacked, 0 up to date, 1 failed/);
  }, 180_000);

  afterAll(async () => {
    await stopAll(processes);
    for (const server of servers) await server.stop();
  });

  it('fails in one line naming the URL when Redis refuses the connection or the password', async () => {
    const port = await freePort();
    const refused = await runCliToEnd(['batch', parent, '-o', path.join(dir, 'x'), '--queue', `redis://127.0.0.1:${port}/0`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`deepfield: error: Cannot use the queue at redis://127.0.0.1:${port}/0: connection refused (is redis-server running there?)\n`);

    const locked = await startRedis({ dir: tempDir('deepfield-redis-'), password: 'right' });
    servers.push(locked);
    const wrong = await runCliToEnd(['worker', '--queue', `redis://:wrong@127.0.0.1:${locked.port}/0`]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(`deepfield: error: Cannot use the queue at redis://:***@127.0.0.1:${locked.port}/0: wrong user name or password\n`);
    const none = await runCliToEnd(['batch', parent, '-o', path.join(dir, 'x'), '--queue', `redis://127.0.0.1:${locked.port}/0`, '--status']);
    expect(none.stderr).toMatch(/^deepfield: error: Cannot use the queue at redis:\/\/127\.0\.0\.1:\d+\/0: the server needs a password/);
  }, 120_000);

  it('stacks a batch on two workers, one killed mid-stack, as one machine does', async () => {
    const redis = await startRedis({ dir: tempDir('deepfield-redis-') });
    servers.push(redis);
    const out = path.join(dir, 'queued');
    const submit = ['batch', parent, '-o', out, '--queue', redis.url, ...JOB_FLAGS];

    // Ctrl-C while following (no workers yet) leaves the jobs queued; queuing again adds nothing.
    const interrupted = startCli(submit);
    processes.push(interrupted);
    await interrupted.waitFor(/^batch: 6 stacks queued on /m);
    interrupted.child.kill('SIGINT');
    expect(await interrupted.exited).toBe(130);
    expect(interrupted.stderr()).toMatch(/stopped following the batch with 0 of 6 stacks finished; the other 6 stay queued for the workers/);
    expect((await runCliToEnd([...submit, '--no-wait'])).stderr).toMatch(/^batch: 0 stacks queued on .*, 6 already queued$/m);
    expect((await runCliToEnd([...submit, '--status'])).stdout).toMatch(/^6 stacks on .*: 6 waiting, 0 active, 0 done, 0 failed$/m);

    const follower = startCli(submit);
    processes.push(follower);
    const worker = (n: number) => startCli(['worker', '--queue', redis.url, '--concurrency', '1', '--threads', '1', '--lock-seconds', '3'], { ...process.env, DEEPFIELD_TEST_WORKER: String(n) });
    const first = worker(1);
    processes.push(first);
    // The first worker takes a stack; kill it while it stacks (the stack takes seconds here).
    await first.waitFor(/: (field-\d): started/);
    const victim = /: (field-\d): started/.exec(first.stderr())![1];
    const second = worker(2);
    processes.push(second);
    await new Promise((r) => setTimeout(r, 150));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe(null);

    expect(await follower.exited).toBe(1); // the corrupt stack failed
    // The killed worker's stack was taken over once its lock expired.
    expect(second.stderr()).toMatch(new RegExp(`${victim}: started \\(start 2`));
    const rows = await rowsOf(out);
    expect(rows.map((r) => [r.stack, r.status])).toEqual(STACK_NAMES.map((s) => [s, s === CORRUPT ? 'failed' : 'done']));
    const corrupt = rows.find((r) => r.stack === CORRUPT)!;
    expect(corrupt.message).toMatch(/slice-03\.png/);
    // Reported once: tried once, not retried.
    const failures = (first.stderr() + second.stderr()).match(new RegExp(`${CORRUPT}: failed`, 'g'));
    expect(failures).toHaveLength(1);
    expect(follower.stderr().match(new RegExp(`${CORRUPT}: failed`, 'g'))).toHaveLength(1);

    // One composite per good stack, pixel for pixel the one-machine batch's; nothing else left.
    const files = (await fs.readdir(out, { recursive: true })).map(String).sort();
    const expected = STACK_NAMES.filter((s) => s !== CORRUPT).flatMap((s) => [`${s}.png`, `${s}.png.deepfield.json`]);
    expect(files).toEqual(['batch-summary.csv', ...expected].sort());
    for (const name of STACK_NAMES.filter((s) => s !== CORRUPT)) {
      const queued = await readRaw(path.join(out, `${name}.png`));
      const local = await readRaw(path.join(reference, `${name}.png`));
      expect(Buffer.from(queued.data.buffer).equals(Buffer.from(local.data.buffer)), name).toBe(true);
    }

    const status = await runCliToEnd([...submit, '--status']);
    expect(status.stdout).toMatch(/^6 stacks on .*: 0 waiting, 0 active, 5 done, 1 failed$/m);
    expect(status.stdout).toMatch(new RegExp(`^failed: ${CORRUPT}: .*slice-03\\.png`, 'm'));

    // A rerun resumes: the good stacks are up to date, the corrupt one is tried again.
    const rerun = await runCliToEnd(submit);
    expect(rerun.stderr).toMatch(/batch: 0 stacked, 5 up to date, 1 failed/);
    await stopAll([second]);
    expect(second.stderr()).toMatch(/stopped$/m);
  }, 300_000);

  it('a worker refuses a job queued by another Deepfield version, saying so', async () => {
    const redis = await startRedis({ dir: tempDir('deepfield-redis-') });
    servers.push(redis);
    const out = path.join(dir, 'versions');
    const stack = await readStackFolder(path.join(parent, 'field-1'));
    // What an older submitter queued for this stack, under the id this version gives it.
    const data = stackJobData(parent, stack, batchSettingsFromFlags({ sigma: 2, align: 'off', quality: 90, tiffCompression: 'deflate', metadata: true, subslice: false, heatmapScale: 'linear', colourMap: 'viridis', sidecar: true } as never, out));
    const queue = new Queue(QUEUE_NAME, { connection: { url: redis.url } });
    await queue.add('field-1', { ...data, deepfield: '0.0.1' }, stackJobOptions(stackJobId(data)));
    const worker = startCli(['worker', '--queue', redis.url, '--threads', '1']);
    processes.push(worker);
    await worker.waitFor(/field-1: refused/);
    // The worker logs before the queue records the failure.
    while ((await queue.getJobState(stackJobId(data))) === 'active') await new Promise((r) => setTimeout(r, 100));
    const job = await queue.getJob(stackJobId(data));
    expect(job?.failedReason).toMatch(/submitted by Deepfield 0\.0\.1 but this worker runs Deepfield \d+\.\d+\.\d+: run the same Deepfield version on every machine/);
    expect(await job?.getState()).toBe('failed'); // at once, not retried
    await queue.close();
    await stopAll([worker]);
  }, 120_000);

  it('a worker stopped with SIGTERM mid-stack hands the stack back to the queue', async () => {
    const redis = await startRedis({ dir: tempDir('deepfield-redis-') });
    servers.push(redis);
    const one = path.join(dir, 'plate-one');
    await fs.cp(path.join(parent, 'field-2'), path.join(one, 'field-2'), { recursive: true });
    const submit = ['batch', one, '-o', path.join(dir, 'handed-back'), '--queue', redis.url, ...JOB_FLAGS];
    await runCliToEnd([...submit, '--no-wait']);
    const worker = startCli(['worker', '--queue', redis.url, '--threads', '1']);
    processes.push(worker);
    await worker.waitFor(/field-2: started/);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.stderr()).toMatch(/field-2: stopped and handed back to the queue\n.*: stopped\n$/);
    expect((await runCliToEnd([...submit, '--status'])).stdout).toMatch(/^1 stack on .*: 1 waiting, 0 active, 0 done, 0 failed$/m);
    expect(await fs.readdir(path.join(dir, 'handed-back'))).toEqual([]);
  }, 120_000);

  it('finishes a batch while Redis is stopped and started again', async () => {
    const redisDir = tempDir('deepfield-redis-');
    let redis = await startRedis({ dir: redisDir, persistent: true });
    servers.push(redis);
    const out = path.join(dir, 'restarted');
    const good = STACK_NAMES.filter((s) => s !== CORRUPT);
    const small = path.join(dir, 'plate-good');
    await fs.mkdir(small);
    for (const name of good.slice(0, 3)) await fs.cp(path.join(parent, name), path.join(small, name), { recursive: true });

    const worker = startCli(['worker', '--queue', redis.url, '--concurrency', '1', '--threads', '1']);
    processes.push(worker);
    const follower = startCli(['batch', small, '-o', out, '--queue', redis.url, ...JOB_FLAGS]);
    processes.push(follower);
    await follower.waitFor(/\[1\/3\]/);
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1500));
    redis = await startRedis({ dir: redisDir, persistent: true, port: redis.port });
    servers.push(redis);

    expect(await follower.exited, follower.stderr()).toBe(0);
    expect(follower.stderr()).toMatch(/batch: 3 stacked, 0 up to date, 0 failed/);
    const url = `redis://127.0.0.1:${redis.port}/0`;
    expect(follower.stderr()).toContain(`deepfield: lost the queue at ${url}: `);
    expect(follower.stderr()).toContain(`deepfield: the queue at ${url} is back`);
    expect(worker.stderr()).toContain(`deepfield: lost the queue at ${url}: `);
    expect((await rowsOf(out)).map((r) => r.status)).toEqual(['done', 'done', 'done']);
    await stopAll([worker]);
  }, 180_000);
});
