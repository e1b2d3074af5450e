// The area one view is drawn in: drag to pan, wheel to zoom about the pointer, click to pick a
// pixel. Its size is reported so fit and the other stage of a split view use the same numbers.
import { useEffect, useRef, useState, type MutableRefObject, type ReactNode, type RefObject } from 'react';
import { VisibleRectContext } from './BitmapImage';
import { imagePixelAt, imageToScreen, layerTransform, panBy, screenToImage, visibleRect, zoomAt, type Point, type Size, type Viewport } from './viewport';

/** A press that moves less than this many CSS pixels is a click (pick a pixel), not a drag. */
const CLICK_SLOP = 4;

export interface StageProps {
  label: string;
  natural: Size;
  viewport: Viewport;
  onViewport: (update: (viewport: Viewport) => Viewport) => void;
  onSize: (size: Size) => void;
  onPixel: (pixel: Point) => void;
  marker: Point | null;
  /** Shown instead of the layers while the view has nothing to draw. */
  placeholder: string | null;
  /** Names what this stage shows, over its corner (split view: which side is which method). */
  caption?: string;
  /**
   * Retouch mode: a left-button drag (or click) paints a stroke of this diameter (image pixels)
   * and hands its path over in image coordinates; the middle or right button pans; Alt+click
   * picks the pixel as usual.
   */
  paint?: { size: number; onStroke: (points: Array<[number, number]>) => void } | null;
  children: ReactNode;
  /** Another view drawn over this one right of `position` (0..1 of the stage's width): the wipe. */
  wipe?: { children: ReactNode; position: number; caption?: string };
}

type Stroke = { pointerId: number; points: Array<[number, number]> };
type Paint = NonNullable<StageProps['paint']>;

/**
 * The stage's size in CSS pixels, kept current as the window or the split changes, and reported
 * up so fit and the other stage use the same numbers. Also kept in a ref for listeners that
 * outlive renders.
 */
function useStageSize(stageRef: RefObject<HTMLDivElement | null>, onSize: (size: Size) => void): [Size, MutableRefObject<Size>] {
  const [size, setSize] = useState<Size>({ width: 0, height: 0 });
  const sizeRef = useRef(size);
  useEffect(() => {
    const element = stageRef.current;
    if (!element) return;
    const measure = () => {
      const next = { width: element.clientWidth, height: element.clientHeight };
      sizeRef.current = next;
      setSize(next);
      onSize(next);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [onSize, stageRef]);
  return [size, sizeRef];
}

/** The wheel zooms about the pointer. */
function useWheelZoom(stageRef: RefObject<HTMLDivElement | null>, sizeRef: MutableRefObject<Size>, onViewport: StageProps['onViewport']) {
  useEffect(() => {
    const element = stageRef.current;
    if (!element) return;
    // React registers wheel listeners as passive, which cannot stop the page from scrolling.
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const rect = element.getBoundingClientRect();
      const point = { x: event.clientX - rect.left, y: event.clientY - rect.top };
      // Pixel-mode deltas from trackpads are small and many; line-mode ones (mouse wheels) are ~3.
      const delta = event.deltaMode === 1 ? event.deltaY * 40 : event.deltaY;
      onViewport((v) => zoomAt(v, sizeRef.current, point, Math.exp(-delta * 0.002)));
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  }, [onViewport, stageRef, sizeRef]);
}

/**
 * What the pointer does on a stage: drag to pan, click to pick a pixel, and in retouch mode paint a
 * stroke (with the brush cursor following the pointer). Returns the stage's pointer handlers and
 * the stroke and brush position the brush overlay draws.
 */
function usePointerGestures(
  stageRef: RefObject<HTMLDivElement | null>,
  { viewport, size, natural, onViewport, onPixel, paint }: { viewport: Viewport; size: Size; natural: Size; onViewport: StageProps['onViewport']; onPixel: StageProps['onPixel']; paint: Paint | null | undefined },
) {
  const drag = useRef<{ pointerId: number; start: Point; last: Point; moved: boolean } | null>(null);
  // The stroke being painted, in image coordinates (a state so its trace is drawn as it grows).
  const [stroke, setStroke] = useState<Stroke | null>(null);
  const [brushAt, setBrushAt] = useState<Point | null>(null);

  const local = (event: React.PointerEvent): Point => {
    const rect = stageRef.current!.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  };

  const handlers = {
    onPointerDown: (event: React.PointerEvent<HTMLDivElement>) => {
      const panButton = paint ? event.button === 1 || event.button === 2 : event.button === 0;
      if (paint && event.button === 0 && !event.altKey) {
        event.currentTarget.setPointerCapture?.(event.pointerId);
        const p = screenToImage(viewport, size, local(event));
        setStroke({ pointerId: event.pointerId, points: [[p.x, p.y]] });
        return;
      }
      if (!panButton && !(paint && event.altKey && event.button === 0)) return;
      event.currentTarget.setPointerCapture?.(event.pointerId);
      const point = local(event);
      drag.current = { pointerId: event.pointerId, start: point, last: point, moved: false };
    },
    onPointerMove: (event: React.PointerEvent<HTMLDivElement>) => {
      if (paint) {
        const point = local(event);
        setBrushAt(point);
        if (stroke && stroke.pointerId === event.pointerId) {
          const p = screenToImage(viewport, size, point);
          const [lx, ly] = stroke.points[stroke.points.length - 1];
          // A point every quarter brush (at least a screen pixel) keeps paths smooth and short.
          const step = Math.max(paint.size / 4, 1 / viewport.scale);
          if (Math.hypot(p.x - lx, p.y - ly) >= step) setStroke({ ...stroke, points: [...stroke.points, [p.x, p.y]] });
          return;
        }
      }
      const current = drag.current;
      if (!current || current.pointerId !== event.pointerId) return;
      const point = local(event);
      if (!current.moved && Math.hypot(point.x - current.start.x, point.y - current.start.y) < CLICK_SLOP) return;
      current.moved = true;
      const dx = point.x - current.last.x;
      const dy = point.y - current.last.y;
      current.last = point;
      onViewport((v) => panBy(v, dx, dy));
    },
    onPointerUp: (event: React.PointerEvent<HTMLDivElement>) => {
      if (stroke && stroke.pointerId === event.pointerId) {
        setStroke(null);
        paint?.onStroke(stroke.points);
        return;
      }
      const current = drag.current;
      drag.current = null;
      if (!current || current.moved) return;
      const pixel = imagePixelAt(viewport, size, local(event), natural);
      if (pixel) onPixel(pixel);
    },
    onPointerCancel: () => {
      drag.current = null;
      setStroke(null);
    },
    onPointerLeave: () => setBrushAt(null),
  };
  return { handlers, stroke, brushAt };
}

/** The full-resolution layers, moved and scaled as one by the shared viewport. */
function ImagePlane({ viewport, size, natural, children }: { viewport: Viewport; size: Size; natural: Size; children: ReactNode }) {
  return (
    <div className={viewport.scale > 1 ? 'plane pixelated' : 'plane'} style={{ width: natural.width, height: natural.height, transform: layerTransform(viewport, size) }}>
      <VisibleRectContext.Provider value={size.width > 0 ? visibleRect(viewport, size) : null}>{children}</VisibleRectContext.Provider>
    </div>
  );
}

/** The wiped-in view right of the divider, with its own caption. */
function WipeLayer({ wipe, viewport, size, natural }: { wipe: NonNullable<StageProps['wipe']>; viewport: Viewport; size: Size; natural: Size }) {
  return (
    <>
      {/* Clipped in screen space, so the divider stays put while the image pans and zooms under it. */}
      <div className="wipe-layer" style={{ clipPath: `inset(0 0 0 ${wipe.position * 100}%)` }}>
        <ImagePlane viewport={viewport} size={size} natural={natural}>
          {wipe.children}
        </ImagePlane>
      </div>
      <div className="wipe-divider" style={{ left: `${wipe.position * 100}%` }} aria-hidden="true" />
      {wipe.caption && (
        <span className="stage-caption right" aria-hidden="true">
          {wipe.caption}
        </span>
      )}
    </>
  );
}

/** Retouch mode's brush: the stroke's trace as it is painted and a circle the brush's size under the pointer. */
function BrushOverlay({ paint, stroke, brushAt, viewport, size }: { paint: Paint; stroke: Stroke | null; brushAt: Point | null; viewport: Viewport; size: Size }) {
  return (
    <svg className="brush-overlay" width={size.width} height={size.height} aria-hidden="true">
      {stroke && (
        <polyline
          points={stroke.points.map(([x, y]) => { const s = imageToScreen(viewport, size, { x, y }); return `${s.x},${s.y}`; }).join(' ')}
          fill="none"
          strokeWidth={Math.max(1, paint.size * viewport.scale)}
          strokeLinecap="round"
          strokeLinejoin="round"
          className="brush-trace"
        />
      )}
      {brushAt && <circle cx={brushAt.x} cy={brushAt.y} r={Math.max(1, (paint.size * viewport.scale) / 2)} className="brush-cursor" />}
    </svg>
  );
}

export function Stage({ label, natural, viewport, onViewport, onSize, onPixel, marker, placeholder, caption, paint, children, wipe }: StageProps) {
  const stageRef = useRef<HTMLDivElement>(null);
  const [size, sizeRef] = useStageSize(stageRef, onSize);
  useWheelZoom(stageRef, sizeRef, onViewport);
  const { handlers, stroke, brushAt } = usePointerGestures(stageRef, { viewport, size, natural, onViewport, onPixel, paint });
  const markerAt = marker ? imageToScreen(viewport, size, { x: marker.x + 0.5, y: marker.y + 0.5 }) : null;

  return (
    <div
      ref={stageRef}
      className={paint ? 'stage painting' : 'stage'}
      role="group"
      aria-label={label}
      aria-description="Drag to pan, wheel to zoom, click a pixel (or press Enter for the one at the centre) to see its focus profile"
      tabIndex={0}
      onKeyDown={(event) => {
        // The keyboard way to pick a pixel: the one under the centre of the view.
        if (event.key !== 'Enter' && event.key !== ' ') return;
        event.preventDefault();
        const pixel = imagePixelAt(viewport, size, { x: size.width / 2, y: size.height / 2 }, natural);
        if (pixel) onPixel(pixel);
      }}
      onContextMenu={(event) => paint && event.preventDefault()}
      {...handlers}
    >
      {placeholder ? (
        <p className="view-placeholder">{placeholder}</p>
      ) : (
        <ImagePlane viewport={viewport} size={size} natural={natural}>
          {children}
        </ImagePlane>
      )}
      {wipe && !placeholder && <WipeLayer wipe={wipe} viewport={viewport} size={size} natural={natural} />}
      {caption && (
        <span className="stage-caption" aria-hidden="true">
          {caption}
        </span>
      )}
      {paint && size.width > 0 && <BrushOverlay paint={paint} stroke={stroke} brushAt={brushAt} viewport={viewport} size={size} />}
      {markerAt && <div className="pixel-marker" style={{ left: markerAt.x, top: markerAt.y }} aria-hidden="true" />}
    </div>
  );
}
