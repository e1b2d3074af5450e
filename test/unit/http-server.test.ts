// The browser host's HTTP boundary: token, Host header, root confinement, and the API over it.
import { eventStreamReader } from '../helpers/event-stream';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Engine } from '../../src/main/engine/job/engine';
import { startBrowserHost, tokensMatch, type BrowserHost } from '../../src/main/host/http-server';
import { RootFolder } from '../../src/main/host/paths';
import { Session } from '../../src/main/host/session';
import { builtWorkerFile, random, tempDir, writeRgb8 } from '../helpers/fixtures';

let engine: Engine;
let host: BrowserHost;
let root: string;
let outside: string;
let exportDir: string;

/** A raw request, so the Host header and the token can be chosen freely. */
function request(
  pathAndQuery: string,
  init: { method?: string; host?: string; token?: string | null; body?: unknown; cookie?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; json: () => any }> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { host: init.host ?? `127.0.0.1:${host.port}` };
    if (init.token !== null) headers['x-deepfield-token'] = init.token ?? host.token;
    if (init.cookie) headers.cookie = init.cookie;
    const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
    if (payload) headers['content-type'] = 'application/json';
    const req = http.request({ host: '127.0.0.1', port: host.port, path: pathAndQuery, method: init.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

beforeAll(async () => {
  const base = tempDir();
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  exportDir = path.join(base, 'exports');
  const staticDir = path.join(base, 'renderer');
  await fs.mkdir(staticDir, { recursive: true });
  await fs.writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Deepfield</title>');
  await fs.writeFile(path.join(base, 'secret.txt'), 'secret');
  const rnd = random(5);
  for (const dir of [path.join(root, 'stack'), outside]) {
    await fs.mkdir(dir, { recursive: true });
    for (let k = 1; k <= 3; k++) {
      const data = new Uint8Array(40 * 30 * 3).map(() => rnd() * 255);
      await writeRgb8(path.join(dir, `s${k}.png`), data, 40, 30);
    }
  }
  await fs.symlink(outside, path.join(root, 'link-out'));
  engine = new Engine({ workerFile: builtWorkerFile(), threads: 2 });
  const session = new Session({ engine, configDir: tempDir(), root: await RootFolder.open(root), exportDir, previewSize: 16 });
  host = await startBrowserHost({ session, staticDir, version: 'test' });
});

afterAll(async () => {
  await host?.close();
  await engine?.close();
});

describe('who may ask', () => {
  test('a request without the token is refused', async () => {
    const response = await request('/api/host', { token: null });
    expect(response.status).toBe(401);
    expect((await request('/', { token: null })).status).toBe(401);
  });

  test('a request with a wrong token is refused', async () => {
    expect((await request('/api/host', { token: host.token.slice(0, -1) + 'x' })).status).toBe(401);
    expect((await request('/api/host', { token: '' })).status).toBe(401);
  });

  test('the token is accepted as a header, a query parameter and the cookie the page gets', async () => {
    expect((await request('/api/host')).status).toBe(200);
    const page = await request(`/?token=${host.token}`, { token: null });
    expect(page.status).toBe(200);
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    expect(cookie).toBe(`deepfield-token-${host.port}=${host.token}`);
    expect((await request('/api/host', { token: null, cookie })).status).toBe(200);
  });

  test('a Host header that is not the loopback address is refused, token or not (DNS rebinding)', async () => {
    expect((await request('/api/host', { host: `evil.example:${host.port}` })).status).toBe(403);
    expect((await request('/api/host', { host: '127.0.0.1:1' })).status).toBe(403);
    expect((await request('/api/host', { host: `localhost:${host.port}` })).status).toBe(200);
  });

  test('the token comparison accepts only the exact token', () => {
    expect(tokensMatch(host.token, host.token)).toBe(true);
    expect(tokensMatch(host.token + '0', host.token)).toBe(false);
    expect(tokensMatch(undefined, host.token)).toBe(false);
  });

  test('every response carries a strict Content-Security-Policy', async () => {
    const page = await request('/');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('what may be read', () => {
  test('a folder outside the root is refused', async () => {
    const listing = await request(`/api/folders?path=${encodeURIComponent(outside)}`);
    expect(listing.status).toBe(403);
    expect(listing.json().error).toMatch(/outside the root/);
    expect((await request(`/api/folders?path=${encodeURIComponent('../outside')}`)).status).toBe(403);
    const job = await request('/api/jobs', { method: 'POST', body: { source: { kind: 'folder', path: outside } } });
    expect(job.status).toBe(403);
  });

  test('a symbolic link inside the root that points outside it is refused', async () => {
    expect((await request(`/api/folders?path=${encodeURIComponent(path.join(root, 'link-out'))}`)).status).toBe(403);
    const job = await request('/api/jobs', { method: 'POST', body: { source: { kind: 'folder', path: 'link-out' } } });
    expect(job.status).toBe(403);
    expect((await request('/api/folders')).json().entries.map((e: { name: string }) => e.name)).toEqual(['stack']);
  });

  test('static files cannot be reached outside the renderer folder', async () => {
    const response = await request('/..%2Fsecret.txt');
    expect(response.status).toBe(404);
    expect(response.body.toString()).not.toContain('secret');
  });

  test('malformed arguments are refused with a readable message', async () => {
    const response = await request('/api/jobs', { method: 'POST', body: { source: { kind: 'folder' } } });
    expect(response.status).toBe(400);
    expect(response.json().error).toMatch(/^Invalid source/);
    expect((await request('/api/jobs/not-a-job/profile?x=1&y=1')).status).toBe(400);
  });

  test('a malformed percent-encoded address is refused with 400, not an internal error', async () => {
    const response = await request('/%E0%A4%A.js');
    expect(response.status).toBe(400);
    expect(response.body.toString()).toMatch(/Malformed address/);
  });
});

describe('a job over HTTP', () => {
  test('events stream, then previews, profile, images and an export work', async () => {
    const events: any[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: host.port, path: `/api/events?token=${host.token}`, headers: { host: `127.0.0.1:${host.port}` } }, (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream');
        res.on(
          'data',
          eventStreamReader((event) => {
            events.push(event);
            if (event.type === 'done' || event.type === 'error') {
              req.destroy();
              resolve();
            }
          }),
        );
      });
      req.on('error', (e) => ((e as { code?: string }).code === 'ECONNRESET' ? undefined : reject(e)));
    });
    await new Promise((r) => setTimeout(r, 100)); // let the stream connect first
    const started = await request('/api/jobs', { method: 'POST', body: { source: { kind: 'folder', path: 'stack' }, options: { sigma: 1 } } });
    expect(started.status).toBe(200);
    const { jobId } = started.json();
    await ended;
    // Submitted (nothing ahead of it), leaves the queue at once (probe 0/0), then its slices.
    expect(events.map((e) => e.type)).toEqual(['queued', 'progress', 'started', 'progress', 'progress', 'progress', 'progress', 'progress', 'progress', 'progress', 'done']);
    expect(events[0]).toMatchObject({ jobId, name: 'stack', position: 0 });
    // Alignment is on by default: the pre-pass reports slices estimated (two of three: the
    // reference needs none) before the focus pass counts slices measured.
    expect(events.filter((e) => e.type === 'progress').map((e) => `${e.phase} ${e.done}/${e.total}`)).toEqual([
      'probe 0/0', 'probe 0/3', 'align 0/2', 'align 1/2', 'align 2/2', 'focus 1/3', 'focus 2/3', 'focus 3/3',
    ]);

    const preview = await request(`/api/jobs/${jobId}/previews/1`);
    expect(preview.status).toBe(200);
    const w = Number(preview.headers['x-preview-width']);
    const h = Number(preview.headers['x-preview-height']);
    expect(preview.body.length).toBe(w * h * 4);

    const profile = (await request(`/api/jobs/${jobId}/profile?x=5&y=7`)).json();
    expect(profile.values).toHaveLength(3);
    expect(profile.winner).toBe(profile.values.indexOf(Math.max(...profile.values)));

    const image = await request(`/api/jobs/${jobId}/images/composite?maxSize=20&format=jpeg&token=${host.token}`, { token: null });
    expect(image.status).toBe(200);
    expect(image.headers['content-type']).toBe('image/jpeg');

    const exported = await request('/api/exports', { method: 'POST', body: { jobId, kind: 'composite', format: 'png' } });
    expect(exported.status).toBe(200);
    expect(exported.json().path).toBe(path.join(exportDir, 'stack-argmax.png'));
    await fs.access(exported.json().path);
  });
});

describe('the app options over HTTP', () => {
  /** Starts a job and polls its summary until it is done. */
  async function stackDone(body: unknown): Promise<any> {
    const started = await request('/api/jobs', { method: 'POST', body });
    expect(started.status).toBe(200);
    const { jobId } = started.json();
    for (let i = 0; i < 300; i++) {
      const summary = await request(`/api/jobs/${jobId}`);
      if (summary.status === 200) return summary.json();
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the job did not finish');
  }

  test('a slice range and the alignment options are taken, and malformed ones refused', async () => {
    const summary = await stackDone({ source: { kind: 'folder', path: 'stack' }, options: { align: 'off' }, range: { from: 2, to: 3 } });
    expect(summary.slices.map((s: { name: string }) => s.name)).toEqual(['s2.png', 's3.png']);
    const bad = [
      { source: { kind: 'folder', path: 'stack' }, range: { from: 3, to: 2 } },
      { source: { kind: 'folder', path: 'stack' }, range: { from: 0, to: 2 } },
      { source: { kind: 'folder', path: 'stack' }, options: { align: 'perspective' } },
      { source: { kind: 'folder', path: 'stack' }, options: { reference: -1 } },
      { source: { kind: 'folder', path: 'stack' }, options: { keepSize: 'yes' } },
    ];
    for (const body of bad) {
      const response = await request('/api/jobs', { method: 'POST', body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.json().error).toMatch(/^Invalid (range|options)/);
    }
  });

  test('re-merging with another method answers without events, and the composite of that method can then be fetched', async () => {
    const summary = await stackDone({ source: { kind: 'folder', path: 'stack' }, options: { align: 'off' } });
    const jobId = summary.jobId;
    expect(summary.method).toBe('argmax');
    expect((await request(`/api/jobs/${jobId}/images/composite?method=pyramid`)).status).toBe(400);
    const remerged = await request(`/api/jobs/${jobId}/remerge`, { method: 'POST', body: { method: 'pyramid' } });
    expect(remerged.status).toBe(200);
    expect(remerged.json()).toMatchObject({ jobId, method: 'pyramid' });
    const image = await request(`/api/jobs/${jobId}/images/composite?method=pyramid`);
    expect(image.status).toBe(200);
    expect((await request(`/api/jobs/${jobId}/images/confidence?maxSize=20`)).status).toBe(200);
    expect((await request(`/api/jobs/${jobId}/remerge`, { method: 'POST', body: { method: 'median' } })).status).toBe(400);
    expect((await request(`/api/jobs/${jobId}/images/composite?method=median`)).status).toBe(400);
  });

  test('export dialog requests are validated: lossy TIFF compression, a bad format or outputs without kind are refused', async () => {
    const summary = await stackDone({ source: { kind: 'folder', path: 'stack' }, options: { align: 'off' } });
    const jobId = summary.jobId;
    const bad = [
      { jobId, kind: 'outputs', format: 'png', outputs: { composite: { format: 'tiff', tiffCompression: 'jpeg' } } },
      { jobId, kind: 'outputs', format: 'png', outputs: { composite: { format: 'gif' } } },
      { jobId, kind: 'outputs', format: 'png' },
      { jobId, kind: 'composite', format: 'png', outputs: { composite: { format: 'png' } } },
      { jobId, kind: 'outputs', format: 'png', outputs: { composite: { format: 'png', depth: 12 } } },
      { jobId, kind: 'outputs', format: 'png', outputs: { composite: { format: 'png' }, extra: true } },
    ];
    for (const body of bad) {
      const response = await request('/api/exports', { method: 'POST', body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.json().error).toMatch(/^Invalid export request/);
    }
    const ok = await request('/api/exports', { method: 'POST', body: { jobId, kind: 'outputs', format: 'png', outputs: { composite: { format: 'png' }, indexMap: true, depthMap: true } } });
    expect(ok.status).toBe(200);
    expect(ok.json().files.map((f: string) => path.basename(f)).sort()).toEqual(['depth.png', 'index.png', 'stack-argmax.png', 'stack-argmax.png.deepfield.json']);
    expect(path.dirname(ok.json().path)).toBe(exportDir);
  });
});
