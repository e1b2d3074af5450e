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
import {
  API_OPERATIONS,
  type ApiHandlers,
  InvalidArgumentError,
  type JobEvent,
  JOB_EVENTS_PATH,
  type Operation,
  type OperationName,
  parseArguments,
  parseImageRequest,
  queryNumber,
} from '../../shared/api';
import { DeepfieldError } from '../engine';
import { AccessDeniedError, isInside, NotFoundError } from './paths';
import { sessionHandlers } from './api-handlers';
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
    if (key === name) return decodeCookie(rest.join('='));
  }
  return undefined;
}

/** A cookie value with bad percent-encoding is no token (rather than an exception in the listener). */
function decodeCookie(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function statusOf(error: unknown): number {
  // decodeURIComponent on a malformed address ('%E0%A4%A'): the client's mistake, not ours.
  if (error instanceof URIError) return 400;
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

/** The calls the browser host serves: every operation with a route (the others are the desktop app's). */
type HttpOperationName = { [K in OperationName]: (typeof API_OPERATIONS)[K] extends { http: string } ? K : never }[OperationName];
type HttpHandlers = Pick<ApiHandlers<void>, HttpOperationName>;

interface Route {
  name: HttpOperationName;
  spec: Operation;
  method: string;
  segments: string[];
}

/** The routes of API_OPERATIONS, e.g. 'GET /api/jobs/:jobId/profile' as [api, jobs, :jobId, profile]. */
const ROUTES: Route[] = (Object.entries(API_OPERATIONS) as Array<[OperationName, Operation]>).flatMap(([name, spec]) => {
  if (!spec.http) return [];
  const [method, pattern] = spec.http.split(' ');
  return [{ name: name as HttpOperationName, spec, method, segments: pattern.split('/').filter(Boolean) }];
});

function matchRoute(method: string, parts: string[]): { route: Route; params: Map<string, string> } | undefined {
  for (const route of ROUTES) {
    if (route.method !== method || route.segments.length !== parts.length) continue;
    const params = new Map<string, string>();
    if (route.segments.every((segment, i) => (segment.startsWith(':') ? params.set(segment.slice(1), decodeURIComponent(parts[i])) : segment === parts[i]))) {
      return { route, params };
    }
  }
  return undefined;
}

/** Addresses carry text: an argument the table declares a number is read as one. */
function fromText(schema: unknown, value: string | null, name: string): unknown {
  let inner = schema as { def: { type: string; innerType?: unknown } };
  while (inner.def.type === 'optional') inner = inner.def.innerType as typeof inner;
  if (inner.def.type === 'number') return queryNumber(value, name);
  return value ?? undefined;
}

/** A call's arguments, in order, from its path, its query (GET) or its JSON body (POST). */
async function argumentsOf(route: Route, params: Map<string, string>, url: URL, request: http.IncomingMessage): Promise<unknown[]> {
  const { spec } = route;
  const items = spec.args.def.items;
  const body = route.method === 'POST' ? ((await readJson(request)) as Record<string, unknown> | undefined) : undefined;
  return spec.names.map((name, i) => {
    if (params.has(name)) return fromText(items[i], params.get(name)!, name);
    if (route.method === 'GET') return fromText(items[i], url.searchParams.get(name), name);
    return spec.body === name ? body : body?.[name];
  });
}

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body ?? null));
}

/**
 * Server-sent job events: every event gets an id, and a reconnecting page (Last-Event-ID) is sent
 * what it missed from a bounded history; a comment every 15 s keeps idle connections open.
 */
class EventStreams {
  private readonly history: Array<{ id: number; data: string }> = [];
  private nextEventId = 1;
  private readonly streams = new Set<http.ServerResponse>();
  private readonly unsubscribe: () => void;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(session: Session) {
    this.unsubscribe = session.onEvent((event: JobEvent) => {
      const entry = { id: this.nextEventId++, data: JSON.stringify(event) };
      this.history.push(entry);
      if (this.history.length > EVENT_HISTORY) this.history.shift();
      for (const stream of this.streams) stream.write(`id: ${entry.id}\ndata: ${entry.data}\n\n`);
    });
    this.heartbeat = setInterval(() => {
      for (const stream of this.streams) stream.write(': keep-alive\n\n');
    }, 15_000);
    this.heartbeat.unref();
  }

  open(request: http.IncomingMessage, response: http.ServerResponse, since: string | null): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    response.write('retry: 1000\n\n');
    const lastId = Number(request.headers['last-event-id'] ?? since ?? NaN);
    if (Number.isFinite(lastId)) for (const entry of this.history) if (entry.id > lastId) response.write(`id: ${entry.id}\ndata: ${entry.data}\n\n`);
    this.streams.add(response);
    request.on('close', () => this.streams.delete(response));
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }
}

/** The built renderer's files; `cookie` set on the page opened with the token. */
async function serveStatic(staticDir: string, urlPath: string, response: http.ServerResponse, cookie?: string): Promise<void> {
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
  if (cookie) headers['set-cookie'] = cookie;
  response.writeHead(200, headers);
  response.end(body);
}

/** A call of API_OPERATIONS: its arguments validated, its handler's answer as JSON or binary. */
async function serveCall(handlers: HttpHandlers, matched: { route: Route; params: Map<string, string> }, request: http.IncomingMessage, response: http.ServerResponse, url: URL): Promise<void> {
  const { route, params } = matched;
  const args = parseArguments(route.name, await argumentsOf(route, params, url, request));
  const handler = handlers[route.name] as (context: void, ...args: unknown[]) => unknown;
  const answer = await handler(undefined, ...args);
  if (!route.spec.binary) return sendJson(response, 200, answer);
  const { headers, body } = route.spec.binary.encode(answer as never);
  response.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store', ...headers });
  response.end(body);
}

/** Headers every response carries, errors included. */
function setSecurityHeaders(response: http.ServerResponse): void {
  response.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  response.setHeader('x-content-type-options', 'nosniff');
  response.setHeader('referrer-policy', 'no-referrer');
  response.setHeader('cross-origin-resource-policy', 'same-origin');
  response.setHeader('x-frame-options', 'DENY');
}

/** Answers a refusal or failure: a person opening a page gets a sentence, the API's callers JSON. */
function fail(request: http.IncomingMessage, response: http.ServerResponse, status: number, message: string, file?: string): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  if (!(request.url ?? '').startsWith('/api/')) {
    response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    response.end(`Deepfield: ${message}.\n`);
    return;
  }
  sendJson(response, status, { error: message, ...(file ? { file } : {}) });
}

/**
 * URLSearchParams reads malformed percent-encoding ('%E0%A4%A') as U+FFFD without a word, so a
 * folder path built from it names a folder that does not exist; refused here as
 * decodeURIComponent refuses it in the path (a URIError, answered 400).
 */
function checkQueryEncoding(search: string): void {
  for (const part of search.slice(1).split(/[&=]/)) decodeURIComponent(part);
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { session } = options;
  const token = options.token ?? randomBytes(32).toString('hex');
  const staticDir = path.resolve(options.staticDir);
  let port = 0;
  const cookieName = () => `deepfield-token-${port}`; // cookies ignore ports: one name per server
  const events = new EventStreams(session);
  const handlers: HttpHandlers = {
    ...sessionHandlers(session),
    hostInfo: () => ({ kind: 'browser', version: options.version, root: session.root?.path, exportDir: session.exportDir }),
  };

  async function route(request: http.IncomingMessage, response: http.ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    checkQueryEncoding(url.search);
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'api') {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'Method not allowed');
      if (url.pathname === '/favicon.ico') {
        response.writeHead(204).end(); // browsers ask for it; the page has none
        return;
      }
      const cookie = url.searchParams.has('token') ? `${cookieName()}=${token}; Path=/; HttpOnly; SameSite=Strict` : undefined;
      return serveStatic(staticDir, url.pathname, response, cookie);
    }
    const matched = matchRoute(method, parts);
    if (matched) return serveCall(handlers, matched, request, response, url);
    const imageRequest = method === 'GET' ? parseImageRequest(url.pathname, (name) => url.searchParams.get(name)) : null;
    if (imageRequest) {
      const image = await session.renderImage(imageRequest.jobId, imageRequest.kind, imageRequest.options);
      // A job's images never change: the browser may keep them for the page's life.
      response.writeHead(200, { 'content-type': image.contentType, 'cache-control': 'private, max-age=3600' });
      response.end(image.data);
      return;
    }
    if (method === 'GET' && url.pathname === JOB_EVENTS_PATH) return events.open(request, response, url.searchParams.get('since'));
    throw new HttpError(404, `No such API: ${method} ${url.pathname}`);
  }

  const server = http.createServer((request, response) => {
    setSecurityHeaders(response);
    const host = request.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      return fail(request, response, 403, `Refused: the Host header must be 127.0.0.1:${port} or localhost:${port}`);
    }
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
    const given = (request.headers[TOKEN_HEADER] as string | undefined) ?? url.searchParams.get('token') ?? readCookie(request.headers.cookie, cookieName());
    if (!tokensMatch(given, token)) {
      return fail(request, response, 401, `Refused: this server needs the token in the address it printed when it started (http://127.0.0.1:${port}/?token=...); copy the whole address from the terminal`);
    }
    route(request, response, url).catch((error: unknown) => {
      const status = statusOf(error);
      const message = error instanceof URIError ? 'Malformed address: its percent-encoding is not valid UTF-8' : error instanceof Error ? error.message.split('\n')[0] : String(error);
      fail(request, response, status, status === 500 ? `Internal error: ${message}` : message, error instanceof DeepfieldError ? error.file : undefined);
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

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    async close() {
      events.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
