// The path of a rendered image, the same for both transports: the browser host serves it over
// HTTP, the desktop app through its deepfield:// protocol.
import type { ImageKind, ImageUrlOptions } from '../../../shared/api';

export function imagePath(jobId: string, kind: ImageKind, options: ImageUrlOptions = {}): string {
  const query = new URLSearchParams();
  if (options.slice !== undefined) query.set('slice', String(options.slice));
  if (options.maxSize !== undefined) query.set('maxSize', String(Math.round(options.maxSize)));
  if (options.format) query.set('format', options.format);
  if (options.method) query.set('method', options.method);
  if (options.retouch) query.set('retouch', String(options.retouch));
  if (options.region) {
    const { x, y, width, height } = options.region;
    query.set('x', String(x));
    query.set('y', String(y));
    query.set('w', String(width));
    query.set('h', String(height));
  }
  const search = query.toString();
  return `/api/jobs/${encodeURIComponent(jobId)}/images/${kind}${search ? `?${search}` : ''}`;
}
