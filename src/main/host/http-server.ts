// The browser host: the renderer and the session's API over HTTP on 127.0.0.1 only, as notebook
// servers do it. Every request must carry the random token (query, header or the cookie set
// when the page is opened with it), and its Host header must name the loopback address, so a
// web page elsewhere can reach it neither directly nor through DNS rebinding. Progress streams as
// server-sent events.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { HostInfo, JobEvent } from '../../shared/api';
import { DeepfieldError } from '../engine';
import {
  exportRequestSchema,
  InvalidArgumentError,
  jobIdSchema,
  mergeMethodSchema,
  parseArgument,
  parseImageRequest,
  pathSchema,
  pixelSchema,
  retouchStrokesSchema,
  sliceIndexSchema,
  sliceRangeSchema,
  stackOptionsInputSchema,
  stackSourceSchema,
} from './api-schemas';
import { AccessDeniedError, isInside, NotFoundError } from './paths';
import type { Session } from './session';

export const TOKEN_HEADER = 'x-deepfield-token';

/** Applied to every response; the page may load only from this server and embed nothing remote. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

const MAX_BODY_BYTES = 64 * 1024;
const EVENT_HISTORY = 1000;

export interface BrowserHostOptions {
  session: Session;
  /** The built renderer (out/renderer). */
  staticDir: string;
  version: string;
  /** 0 picks a free port. */
  port?: number;
  /** Default: 32 random bytes, hex. */
  token?: string;
}

export interface BrowserHost {
  port: number;
  token: string;
  /** The address to open, token included. */
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Compares in constant time (hashing first makes the lengths equal). */
export function tokensMatch(given: string | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  return timingSafeEqual(digest(given), digest(expected));
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (error instanceof AccessDeniedError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof InvalidArgumentError || error instanceof DeepfieldError) return 400;
  return 500;
}

async function readJson(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new InvalidArgumentError('Invalid request body: expected JSON');
  }
}

function optionalNumber(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`Expected a number for ${name} but received ${JSON.stringify(value)} of type string`);
  return n;
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { session } = options;
  const token = options.token ?? randomBytes(32).toString('hex');
  const staticDir = path.resolve(options.staticDir);
  let port = 0;
  const cookieName = () => `deepfield-token-${port}`; // cookies ignore ports: one name per server

  // Server-sent events: every event gets an id, and a reconnecting page (Last-Event-ID) is sent
  // what it missed from a bounded history.
  const history: Array<{ id: number; data: string }> = [];
  let nextEventId = 1;
  const streams = new Set<http.ServerResponse>();
  const unsubscribe = session.onEvent((event: JobEvent) => {
    const entry = { id: nextEventId++, data: JSON.stringify(event) };
    history.push(entry);
    if (history.length > EVENT_HISTORY) history.shift();
    for (const stream of streams) stream.write(`id: ${entry.id}\ndata: ${entry.data}\n\n`);
  });

  const hostInfo = (): HostInfo => ({
    kind: 'browser',
    version: options.version,
    root: session.root?.path,
    exportDir: session.exportDir,
  });

  const sendJson = (response: http.ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    response.end(JSON.stringify(body ?? null));
  };

  async function serveStatic(urlPath: string, response: http.ServerResponse, setCookie: boolean): Promise<void> {
    const relative = urlPath === '/' ? 'index.html' : decodeURIComponent(urlPath).replace(/^\/+/, '');
    const file = path.resolve(staticDir, relative);
    if (!isInside(staticDir, file)) throw new HttpError(404, 'Not found');
    let body: Buffer;
    try {
      body = await fs.readFile(file);
    } catch {
      if (relative === 'index.html') throw new HttpError(500, `The renderer is not built (${file} is missing): run npm run build`);
      throw new HttpError(404, 'Not found');
    }
    const headers: http.OutgoingHttpHeaders = {
      'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
    };
    if (setCookie) headers['set-cookie'] = `${cookieName()}=${token}; Path=/; HttpOnly; SameSite=Strict`;
    response.writeHead(200, headers);
    response.end(body);
  }

  async function route(request: http.IncomingMessage, response: http.ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'api') {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'Method not allowed');
      if (url.pathname === '/favicon.ico') {
        response.writeHead(204).end(); // browsers ask for it; the page has none
        return;
      }
      return serveStatic(url.pathname, response, url.searchParams.has('token'));
    }
    const q = url.searchParams;
    const key = `${method} ${parts.slice(1).map((p, i) => (parts[1] === 'jobs' && i === 1 ? ':id' : p)).join('/')}`;
    const jobId = () => parseArgument(jobIdSchema, parts[2], 'job id');
    switch (key) {
      case 'GET host':
        return sendJson(response, 200, hostInfo());
      case 'GET folders': {
        const folder = q.get('path');
        return sendJson(response, 200, await session.listFolder(folder === null ? undefined : parseArgument(pathSchema, folder, 'path')));
      }
      case 'GET recent':
        return sendJson(response, 200, await session.recentStacks());
      case 'POST jobs': {
        const body = (await readJson(request)) as { source?: unknown; options?: unknown; range?: unknown } | undefined;
        const source = parseArgument(stackSourceSchema, body?.source, 'source');
        const stackOptions = parseArgument(stackOptionsInputSchema, body?.options, 'options');
        const range = parseArgument(sliceRangeSchema, body?.range, 'range');
        return sendJson(response, 200, await session.startStack(source, stackOptions, range));
      }
      case 'GET jobs/:id':
        return sendJson(response, 200, session.summary(jobId()));
      case 'POST jobs/:id/remerge': {
        const body = (await readJson(request)) as { method?: unknown } | undefined;
        return sendJson(response, 200, await session.remerge(jobId(), parseArgument(mergeMethodSchema, body?.method, 'method')));
      }
      case 'POST jobs/:id/retouch': {
        const body = (await readJson(request)) as { strokes?: unknown } | undefined;
        return sendJson(response, 200, await session.retouch(jobId(), parseArgument(retouchStrokesSchema, body?.strokes, 'strokes')));
      }
      case 'POST jobs/:id/cancel':
        session.cancel(jobId());
        return sendJson(response, 200, null);
      case 'GET jobs/:id/profile': {
        const { x, y } = parseArgument(pixelSchema, { x: optionalNumber(q, 'x'), y: optionalNumber(q, 'y') }, 'pixel');
        return sendJson(response, 200, await session.focusProfile(jobId(), x, y));
      }
      case 'POST exports': {
        const exportRequest = parseArgument(exportRequestSchema, await readJson(request), 'export request');
        return sendJson(response, 200, await session.exportImage(exportRequest));
      }
    }
    if (method === 'GET' && parts[1] === 'jobs' && parts[3] === 'previews' && parts.length === 5) {
      const preview = session.focusPreview(jobId(), parseArgument(sliceIndexSchema, Number(parts[4]), 'slice'));
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'cache-control': 'no-store',
        // Float32 values, little-endian, row-major.
        'x-preview-width': String(preview.width),
        'x-preview-height': String(preview.height),
      });
      response.end(Buffer.from(preview.values.buffer, preview.values.byteOffset, preview.values.byteLength));
      return;
    }
    const imageRequest = method === 'GET' ? parseImageRequest(url) : null;
    if (imageRequest) {
      const image = await session.renderImage(imageRequest.jobId, imageRequest.kind, imageRequest.options);
      // A job's images never change: the browser may keep them for the page's life.
      response.writeHead(200, { 'content-type': image.contentType, 'cache-control': 'private, max-age=3600' });
      response.end(image.data);
      return;
    }
    if (method === 'GET' && key === 'GET events') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      response.write('retry: 1000\n\n');
      const lastId = Number(request.headers['last-event-id'] ?? q.get('since') ?? NaN);
      if (Number.isFinite(lastId)) for (const entry of history) if (entry.id > lastId) response.write(`id: ${entry.id}\ndata: ${entry.data}\n\n`);
      streams.add(response);
      request.on('close', () => streams.delete(response));
      return;
    }
    throw new HttpError(404, `No such API: ${method} ${url.pathname}`);
  }

  const server = http.createServer((request, response) => {
    // Headers every response carries, errors included.
    response.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    response.setHeader('x-content-type-options', 'nosniff');
    response.setHeader('referrer-policy', 'no-referrer');
    response.setHeader('cross-origin-resource-policy', 'same-origin');
    response.setHeader('x-frame-options', 'DENY');
    const fail = (status: number, message: string, file?: string) => {
      if (response.headersSent) return response.end();
      // A person opening a page gets a sentence; the API's callers get JSON.
      if (!(request.url ?? '').startsWith('/api/')) {
        response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        return response.end(`Deepfield: ${message}.\n`);
      }
      sendJson(response, status, { error: message, ...(file ? { file } : {}) });
    };
    const host = request.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      return fail(403, `Refused: the Host header must be 127.0.0.1:${port} or localhost:${port}`);
    }
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
    const given = (request.headers[TOKEN_HEADER] as string | undefined) ?? url.searchParams.get('token') ?? readCookie(request.headers.cookie, cookieName());
    if (!tokensMatch(given, token)) {
      return fail(401, `Refused: this server needs the token in the address it printed when it started (http://127.0.0.1:${port}/?token=...); copy the whole address from the terminal`);
    }
    route(request, response, url).catch((error: unknown) => {
      const status = statusOf(error);
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      fail(status, status === 500 ? `Internal error: ${message}` : message, error instanceof DeepfieldError ? error.file : undefined);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    async close() {
      clearInterval(heartbeat);
      unsubscribe();
      for (const stream of streams) stream.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
