// The browser host under load, as a user's browser would load it: `deepfield serve` in its own
// process, twenty stack jobs posted at once on the real pcb stack. They wait in a visible queue
// and run one at a time, so the host's peak memory (VmHWM, Linux) stays under 1 GB, and what a
// finished job held is let go once newer ones replace it: the memory held after twenty is about
// about what it held once the first three had finished (the host keeps the newest two results).
import { spawn, type ChildProcess } from 'node:child_process';
import { eventStreamReader } from '../helpers/event-stream';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath, hasSharedStack, sharedData, tempDir } from '../helpers/fixtures';

interface Served {
  child: ChildProcess;
  port: number;
  token: string;
}

function serve(root: string, exportDir: string): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, 'serve', '--root', root, '--export-dir', exportDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const match = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]+)/.exec(out);
      if (match) resolve({ child, port: Number(match[1]), token: match[2] });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`deepfield serve exited (${code}) before printing its address: ${out}`)));
  });
}

function call(served: Served, method: string, pathAndQuery: string, body?: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port: served.port, path: pathAndQuery, method, headers: { host: `127.0.0.1:${served.port}`, 'x-deepfield-token': served.token, ...(payload ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : null });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The job events as they stream, until `until` says enough. */
function events(served: Served, until: (all: any[]) => boolean): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const all: any[] = [];
    const req = http.request({ host: '127.0.0.1', port: served.port, path: '/api/events?since=0', headers: { host: `127.0.0.1:${served.port}`, 'x-deepfield-token': served.token } }, (res) => {
      const read = eventStreamReader((event) => all.push(event));
      res.on('data', (chunk: Buffer) => {
        read(chunk);
        if (until(all)) {
          req.destroy();
          resolve(all);
        }
      });
    });
    req.on('error', (error) => (error.message.includes('aborted') ? undefined : reject(error)));
    req.end();
  });
}

/** Peak and current resident memory of a process, in MB (Linux /proc). */
function memoryOf(pid: number): { peakMb: number; nowMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
  return { peakMb: kb('VmHWM') / 1024, nowMb: kb('VmRSS') / 1024 };
}

const servers: ChildProcess[] = [];
afterAll(() => {
  for (const child of servers) child.kill('SIGTERM');
});

describe('the browser host with twenty jobs posted at once', () => {
  it.runIf(hasSharedStack('pcb') && process.platform === 'linux')('queues them, runs them one at a time, and stays under 1 GB', async () => {
    const served = await serve(sharedData, path.join(tempDir(), 'exports'));
    servers.push(served.child);
    /** Resident memory when the third job finished: two results kept, one just let go. */
    let afterThreeMb = Number.NaN;
    const finished = events(served, (all) => {
      const ended = all.filter((e) => ['done', 'error', 'cancelled'].includes(e.type)).length;
      if (ended === 3 && Number.isNaN(afterThreeMb)) afterThreeMb = memoryOf(served.child.pid!).nowMb;
      return ended >= 20;
    });
    const posted = await Promise.all(
      Array.from({ length: 20 }, () => call(served, 'POST', '/api/jobs', { source: { kind: 'folder', path: 'pcb' }, options: { align: 'off' } })),
    );
    expect(posted.map((p) => p.status)).toEqual(new Array(20).fill(200));
    const ids = posted.map((p) => p.json.jobId as string);
    const all = await finished;
    const { peakMb, nowMb } = memoryOf(served.child.pid!);
    console.log(`browser host, 20 pcb jobs posted at once: peak ${peakMb.toFixed(0)} MB, ${afterThreeMb.toFixed(0)} MB after 3 jobs, ${nowMb.toFixed(0)} MB after 20`);
    expect(all.filter((e) => e.type === 'done').map((e) => e.jobId).sort()).toEqual([...ids].sort());
    // Waiting jobs were told where they stand, and no two ran at once.
    const queued = all.filter((e) => e.type === 'queued');
    expect(queued.length).toBeGreaterThanOrEqual(19);
    expect(Math.max(...queued.map((e) => e.position))).toBe(19);
    let running = 0;
    let most = 0;
    for (const e of all) {
      if (e.type === 'started') most = Math.max(most, ++running);
      if (['done', 'error', 'cancelled'].includes(e.type)) running--;
    }
    expect(most).toBe(1);
    expect(peakMb).toBeLessThan(1024);
    // Seventeen more results came and went, about 105 MB of buffers each: what they held was let
    // go. The allocators keep some pages and the collector runs when it likes, so the bound is
    // three results' worth, where keeping the seventeen would add 1.8 GB.
    expect(nowMb).toBeLessThan(afterThreeMb + 300);
    // Only the newest two are still listed, with their results; the others were released. The
    // twenty requests race each other, so the host's order is the order the jobs finished in, not
    // the order of `ids` (a loaded machine delivered them out of order once).
    const released = all.filter((e) => e.type === 'released').map((e) => e.jobId as string);
    expect(released).toHaveLength(18);
    const finishedOrder = all.filter((e) => e.type === 'done').map((e) => e.jobId as string);
    expect(new Set([...released, ...finishedOrder.slice(-2)]).size).toBe(20);
    const kept = await call(served, 'GET', '/api/jobs');
    expect(kept.json.map((j: { jobId: string; state: string }) => [j.jobId, j.state])).toEqual([[finishedOrder.at(-1), 'done'], [finishedOrder.at(-2), 'done']]);
  }, 600_000);
});
