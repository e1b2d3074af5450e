// The deepfield:// protocol: the renderer (deepfield://app/index.html) and its images
// (deepfield://app/api/jobs/<id>/images/...) from one privileged, local origin, so the
// Content-Security-Policy can say 'self' and nothing is ever loaded from the network or file://.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { protocol } from 'electron';
import { InvalidArgumentError, parseImageRequest } from '../../shared/api';
import { DeepfieldError } from '../engine';
import { CONTENT_SECURITY_POLICY } from '../host/http-server';
import { AccessDeniedError, isInside, NotFoundError } from '../host/paths';
import type { Session } from '../host/session';

export const APP_SCHEME = 'deepfield';
export const APP_ORIGIN = `${APP_SCHEME}://app`;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
  ]);
}

function problem(status: number, message: string): Response {
  return new Response(message, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'content-security-policy': CONTENT_SECURITY_POLICY } });
}

export function handleAppScheme(session: Session, rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'app' || request.method !== 'GET') return problem(404, 'Not found');
    try {
      const image = parseImageRequest(url.pathname, (name) => url.searchParams.get(name));
      if (image) {
        const rendered = await session.renderImage(image.jobId, image.kind, image.options);
        return new Response(new Uint8Array(rendered.data), { headers: { 'content-type': rendered.contentType, 'cache-control': 'private, max-age=3600' } });
      }
      const relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
      const file = path.resolve(rendererDir, relative);
      if (!isInside(rendererDir, file)) return problem(404, 'Not found');
      const body = await fs.readFile(file).catch(() => null);
      if (!body) return problem(404, 'Not found');
      return new Response(new Uint8Array(body), {
        headers: {
          'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
          'content-security-policy': CONTENT_SECURITY_POLICY,
          'x-content-type-options': 'nosniff',
        },
      });
    } catch (error) {
      const status = error instanceof AccessDeniedError ? 403 : error instanceof NotFoundError ? 404 : error instanceof DeepfieldError || error instanceof InvalidArgumentError ? 400 : 500;
      return problem(status, error instanceof Error ? error.message : String(error));
    }
  });
}
