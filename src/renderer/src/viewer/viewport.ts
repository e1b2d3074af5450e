// Viewport maths shared by every view: one viewport (scale and centre in image pixels) drives
// slice, heatmap, composite and depth alike, so the same spot stays under the same screen point
// when switching tabs or comparing views side by side.

export interface Size {
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Viewport {
  /** Screen (CSS) pixels per image pixel: 1 is 100%. */
  scale: number;
  /** The image point, in full-resolution image pixels, shown at the centre of the view. */
  centreX: number;
  centreY: number;
}

export const MIN_SCALE = 1 / 64;
/** 32x is enough to count individual pixels of a 24 MP slice on any screen. */
export const MAX_SCALE = 32;
/** Each zoom step (key, button, wheel notch) multiplies the scale by this. */
export const ZOOM_STEP = 1.25;

function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

/** The whole image, centred, as large as fits. */
export function fitViewport(image: Size, view: Size): Viewport {
  const scale =
    image.width > 0 && image.height > 0 && view.width > 0 && view.height > 0
      ? clampScale(Math.min(view.width / image.width, view.height / image.height))
      : 1;
  return { scale, centreX: image.width / 2, centreY: image.height / 2 };
}

/** One image pixel per screen pixel, keeping the spot at the centre of the view. */
export function scaleTo(viewport: Viewport, scale: number): Viewport {
  return { ...viewport, scale: clampScale(scale) };
}

export function screenToImage(viewport: Viewport, view: Size, screen: Point): Point {
  return {
    x: viewport.centreX + (screen.x - view.width / 2) / viewport.scale,
    y: viewport.centreY + (screen.y - view.height / 2) / viewport.scale,
  };
}

export function imageToScreen(viewport: Viewport, view: Size, image: Point): Point {
  return {
    x: (image.x - viewport.centreX) * viewport.scale + view.width / 2,
    y: (image.y - viewport.centreY) * viewport.scale + view.height / 2,
  };
}

/** Zooms by `factor` keeping the image point under `screen` (e.g. the mouse) where it is. */
export function zoomAt(viewport: Viewport, view: Size, screen: Point, factor: number): Viewport {
  const anchor = screenToImage(viewport, view, screen);
  const scale = clampScale(viewport.scale * factor);
  return {
    scale,
    centreX: anchor.x - (screen.x - view.width / 2) / scale,
    centreY: anchor.y - (screen.y - view.height / 2) / scale,
  };
}

/** Moves the image with the pointer: a drag of (dx, dy) screen pixels. */
export function panBy(viewport: Viewport, dx: number, dy: number): Viewport {
  return { ...viewport, centreX: viewport.centreX - dx / viewport.scale, centreY: viewport.centreY - dy / viewport.scale };
}

/** The integer full-resolution pixel under a screen point, or null outside the image. */
export function imagePixelAt(viewport: Viewport, view: Size, screen: Point, image: Size): Point | null {
  const p = screenToImage(viewport, view, screen);
  const x = Math.floor(p.x);
  const y = Math.floor(p.y);
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return null;
  return { x, y };
}

/**
 * CSS transform placing a layer sized to the full-resolution image (width x height CSS px, origin
 * top left) in the view. Every layer uses this, whatever resolution its bitmap has.
 */
export function layerTransform(viewport: Viewport, view: Size): string {
  const tx = view.width / 2 - viewport.centreX * viewport.scale;
  const ty = view.height / 2 - viewport.centreY * viewport.scale;
  return `translate(${tx}px, ${ty}px) scale(${viewport.scale})`;
}

/** Longest sides of the downsampled previews the host is asked for, smallest first. */
export const PREVIEW_SIZES = [1024, 2048, 4096] as const;

/**
 * The longest side of the bitmap worth fetching at this zoom: the smallest preview that still has
 * at least one bitmap pixel per device pixel, or undefined for the full-resolution image when no
 * preview is that sharp (zoomed in towards 100% and beyond).
 */
export function bitmapMaxSize(scale: number, image: Size, devicePixelRatio = 1): number | undefined {
  const longest = Math.max(image.width, image.height);
  const shownLongest = longest * scale * devicePixelRatio;
  for (const size of PREVIEW_SIZES) {
    if (size >= longest) return undefined;
    if (size >= shownLongest) return size;
  }
  return undefined;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The part of the image (full-resolution pixels, may reach past its edges) the view shows. */
export function visibleRect(viewport: Viewport, view: Size): Rect {
  const topLeft = screenToImage(viewport, view, { x: 0, y: 0 });
  return { x: topLeft.x, y: topLeft.y, width: view.width / viewport.scale, height: view.height / viewport.scale };
}

/** Images whose longest side exceeds this get full resolution only for the part in view. */
export const LARGE_IMAGE_SIZE = PREVIEW_SIZES[PREVIEW_SIZES.length - 1];

/** Cell size the detail region snaps to, so small pans reuse the region already fetched. */
export const DETAIL_GRID = 512;

/**
 * The full-resolution region worth fetching for what is in view: the visible rectangle grown to
 * whole grid cells and clipped to the image, or null when nothing of the image is in view.
 */
export function detailRegion(visible: Rect, image: Size, grid = DETAIL_GRID): Rect | null {
  const x0 = Math.max(0, Math.floor(visible.x / grid) * grid);
  const y0 = Math.max(0, Math.floor(visible.y / grid) * grid);
  const x1 = Math.min(image.width, Math.ceil((visible.x + visible.width) / grid) * grid);
  const y1 = Math.min(image.height, Math.ceil((visible.y + visible.height) / grid) * grid);
  if (x1 <= x0 || y1 <= y0) return null;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
