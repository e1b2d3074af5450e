import { describe, expect, it } from 'vitest';
import {
  bitmapMaxSize,
  detailRegion,
  visibleRect,
  fitViewport,
  imagePixelAt,
  imageToScreen,
  layerTransform,
  MAX_SCALE,
  panBy,
  screenToImage,
  zoomAt,
} from '../../src/renderer/src/viewer/viewport';

const image = { width: 2048, height: 1536 };
const view = { width: 1024, height: 1024 };

describe('viewport maths', () => {
  it('fits the whole image, centred, limited by its wider side', () => {
    const v = fitViewport(image, view);
    expect(v.scale).toBeCloseTo(0.5);
    expect(v).toMatchObject({ centreX: 1024, centreY: 768 });
    expect(screenToImage(v, view, { x: 0, y: 512 })).toEqual({ x: 0, y: 768 });
  });

  it('maps the view centre to the viewport centre and back', () => {
    const v = { scale: 3, centreX: 100, centreY: 200 };
    expect(screenToImage(v, view, { x: 512, y: 512 })).toEqual({ x: 100, y: 200 });
    expect(imageToScreen(v, view, { x: 110, y: 190 })).toEqual({ x: 542, y: 482 });
  });

  it('keeps the image point under the mouse fixed while zooming', () => {
    const v = fitViewport(image, view);
    const mouse = { x: 300, y: 700 };
    const before = screenToImage(v, view, mouse);
    const after = screenToImage(zoomAt(v, view, mouse, 4), view, mouse);
    expect(after.x).toBeCloseTo(before.x, 9);
    expect(after.y).toBeCloseTo(before.y, 9);
  });

  it('never zooms past the maximum scale', () => {
    const v = zoomAt({ scale: 20, centreX: 0, centreY: 0 }, view, { x: 0, y: 0 }, 10);
    expect(v.scale).toBe(MAX_SCALE);
  });

  it('moves the image with the pointer when panning', () => {
    const v = { scale: 2, centreX: 500, centreY: 500 };
    const dragged = panBy(v, 40, -20);
    // The spot that was under the pointer stays under it.
    expect(screenToImage(dragged, view, { x: 552, y: 492 })).toEqual(screenToImage(v, view, { x: 512, y: 512 }));
  });

  it('reports the integer pixel under a point, and null outside the image', () => {
    const v = { scale: 4, centreX: 10, centreY: 10 };
    expect(imagePixelAt(v, view, { x: 512 + 5, y: 512 - 1 }, image)).toEqual({ x: 11, y: 9 });
    expect(imagePixelAt(v, view, { x: 0, y: 0 }, image)).toBeNull();
  });

  it('places a full-size layer so image points land where imageToScreen says', () => {
    const v = { scale: 0.5, centreX: 1024, centreY: 768 };
    expect(layerTransform(v, view)).toBe('translate(0px, 128px) scale(0.5)');
  });

  it('fetches a small preview when zoomed out and the full image near 100%', () => {
    expect(bitmapMaxSize(0.25, { width: 6000, height: 4000 })).toBe(2048);
    expect(bitmapMaxSize(0.1, { width: 6000, height: 4000 })).toBe(1024);
    expect(bitmapMaxSize(0.9, { width: 6000, height: 4000 })).toBeUndefined();
    expect(bitmapMaxSize(4, { width: 6000, height: 4000 })).toBeUndefined();
  });

  it('asks for more bitmap pixels on a high-density screen', () => {
    expect(bitmapMaxSize(0.25, { width: 6000, height: 4000 }, 2)).toBe(4096);
  });

  it('never asks for a preview at least as large as the image itself', () => {
    expect(bitmapMaxSize(0.1, { width: 1000, height: 800 })).toBeUndefined();
  });
});

describe('detail region for large images', () => {
  const big = { width: 6000, height: 4000 };

  it('covers what is in view, grown to whole grid cells', () => {
    expect(detailRegion({ x: 1000, y: 700, width: 800, height: 600 }, big, 512)).toEqual({ x: 512, y: 512, width: 1536, height: 1024 });
  });

  it('stays the same region for a small pan inside the same cells', () => {
    const a = detailRegion({ x: 1000, y: 700, width: 800, height: 600 }, big, 512);
    const b = detailRegion({ x: 1010, y: 690, width: 800, height: 600 }, big, 512);
    expect(b).toEqual(a);
  });

  it('is clipped to the image at its edges', () => {
    expect(detailRegion({ x: 5800, y: -100, width: 800, height: 600 }, big, 512)).toEqual({ x: 5632, y: 0, width: 368, height: 512 });
  });

  it('is null when the view shows none of the image', () => {
    expect(detailRegion({ x: 7000, y: 0, width: 100, height: 100 }, big, 512)).toBeNull();
  });

  it('measures the visible rectangle from the viewport', () => {
    expect(visibleRect({ scale: 2, centreX: 100, centreY: 50 }, { width: 400, height: 200 })).toEqual({ x: 0, y: 0, width: 200, height: 100 });
  });
});
