// The browser host answers every request it cannot take with 400 and the one-line reason, never
// 500 "Internal error": out-of-range options, malformed arguments and bodies, malformed
// percent-encoding anywhere in the address or the cookie.
import { promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Engine } from '../../src/main/engine/job/engine';
import { startBrowserHost, type BrowserHost } from '../../src/main/host/http-server';
import { RootFolder } from '../../src/main/host/paths';
import { Session } from '../../src/main/host/session';
import { builtWorkerFile, random, tempDir, writeRgb8 } from '../helpers/fixtures';

let engine: Engine;
let host: BrowserHost;

function request(pathAndQuery: string, init: { method?: string; body?: string; cookie?: string; token?: boolean } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { host: `127.0.0.1:${host.port}` };
    if (init.token !== false) headers['x-deepfield-token'] = host.token;
    if (init.cookie) headers.cookie = init.cookie;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const req = http.request({ host: '127.0.0.1', port: host.port, path: pathAndQuery, method: init.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const post = (pathname: string, body: unknown) => request(pathname, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
const folder = { kind: 'folder', path: 'stack' };
const someJob = '0b6f8a8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

beforeAll(async () => {
  const base = tempDir();
  const root = path.join(base, 'root');
  await fs.mkdir(path.join(root, 'stack'), { recursive: true });
  const rnd = random(3);
  for (let k = 1; k <= 3; k++) await writeRgb8(path.join(root, 'stack', `s${k}.png`), new Uint8Array(40 * 30 * 3).map(() => rnd() * 255), 40, 30);
  const staticDir = path.join(base, 'renderer');
  await fs.mkdir(staticDir);
  await fs.writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>Deepfield</title>');
  engine = new Engine({ workerFile: builtWorkerFile(), threads: 1 });
  const session = new Session({ engine, configDir: tempDir(), root: await RootFolder.open(root), exportDir: path.join(base, 'exports'), previewSize: 16 });
  host = await startBrowserHost({ session, staticDir, version: 'test' });
});

afterAll(async () => {
  await host?.close();
  await engine?.close();
});

describe('requests the host cannot take', () => {
  const cases: Array<[string, () => Promise<{ status: number; text: string }>, RegExp]> = [
    ['a sigma of 1e9', () => post('/api/jobs', { source: folder, options: { sigma: 1e9 } }), /sigma/],
    ['a sigma of -1', () => post('/api/jobs', { source: folder, options: { sigma: -1 } }), /sigma/],
    ['a sigma whose window is one pixel', () => post('/api/jobs', { source: folder, options: { sigma: 0.1 } }), /sigma/],
    ['a sigma that is text', () => post('/api/jobs', { source: folder, options: { sigma: 'abc' } }), /sigma/],
    ['a job without a source', () => post('/api/jobs', { options: { sigma: 2 } }), /source/],
    ['a job with no body at all', () => request('/api/jobs', { method: 'POST' }), /source/],
    ['an unknown merge method', () => post('/api/jobs', { source: folder, options: { method: 'median' } }), /method/],
    ['an unknown alignment', () => post('/api/jobs', { source: folder, options: { align: 'sideways' } }), /align/],
    ['a folder source without a path', () => post('/api/jobs', { source: { kind: 'folder' } }), /source/],
    ['a range that runs backwards', () => post('/api/jobs', { source: folder, range: { from: 3, to: 1 } }), /range/],
    ['a body that is not JSON', () => post('/api/jobs', '{"source":'), /JSON/],
    ['a job id that is not one', () => request('/api/jobs/not-a-job'), /job/i],
    ['a pixel that is not a number', () => request(`/api/jobs/${someJob}/profile?x=a&y=1`), /x|pixel/],
    ['a negative slice preview', () => request(`/api/jobs/${someJob}/previews/-1`), /slice/],
    ['an unknown re-merge method', () => post(`/api/jobs/${someJob}/remerge`, { method: 'median' }), /method/],
    ['an export request without a kind', () => post('/api/exports', {}), /export|kind/],
    ['an unknown image kind', () => request(`/api/jobs/${someJob}/images/bogus`), /kind/],
    ['malformed percent-encoding in a folder path', () => request('/api/folders?path=%E0%A4%A'), /percent|encod/i],
    ['malformed percent-encoding in a job id', () => request('/api/jobs/%E0%A4%A/cancel', { method: 'POST' }), /percent|encod|job/i],
    ['malformed percent-encoding in an image address', () => request(`/api/jobs/%E0%A4%A/images/composite`), /percent|encod|job/i],
    ['malformed percent-encoding in a page address', () => request('/%E0%A4%A'), /percent|encod/i],
  ];

  test.each(cases)('%s is 400 with one line saying why', async (_what, send, reason) => {
    const response = await send();
    expect(response.status, response.text).toBe(400);
    const message = response.text.startsWith('{') ? JSON.parse(response.text).error : response.text.trim();
    expect(message).not.toMatch(/Internal error/);
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toMatch(reason);
  });

  test('a cookie with malformed percent-encoding is refused as no token, and the host keeps serving', async () => {
    const response = await request('/api/host', { token: false, cookie: `deepfield-token-${host.port}=%E0%A4%A` });
    expect(response.status).toBe(401);
    expect((await request('/api/host')).status).toBe(200);
  });
});
