// The one viewport every view and both sides of the split view share: fitted when a stack of a
// new size appears, refitted when the stage resizes until the user zooms or pans.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { PixelLayout } from '../../../shared/types';
import { fitViewport, scaleTo, zoomAt, ZOOM_STEP, type Size, type Viewport } from '../viewer/viewport';

export interface ViewportControls {
  viewport: Viewport;
  /** Every zoom and pan by the user goes through here. */
  moveViewport: (update: (viewport: Viewport) => Viewport) => void;
  onStageSize: (size: Size) => void;
  fit: () => void;
  zoomStep: (direction: 'in' | 'out') => void;
  /** 1 for 100%, 2 for 200%. */
  zoomTo: (scale: number) => void;
}

export function useViewport(layout: PixelLayout | null): ViewportControls {
  const [viewport, setViewport] = useState<Viewport>({ scale: 1, centreX: 0, centreY: 0 });
  const stageSize = useRef<Size>({ width: 0, height: 0 });
  /** "width x height" of the image last fitted: a re-run of the same stack keeps the zoom. */
  const fittedLayout = useRef('');
  /** The view still shows the fitted image (no zoom or pan since): it refits when the stage resizes. */
  const followsFit = useRef(true);

  // Fit whenever a stack of a new size appears (and the stage has been measured).
  const fitIfNew = useCallback(() => {
    if (!layout || stageSize.current.width === 0) return;
    const key = `${layout.width}x${layout.height}`;
    if (fittedLayout.current === key) return;
    fittedLayout.current = key;
    followsFit.current = true;
    setViewport(fitViewport(layout, stageSize.current));
  }, [layout]);
  useEffect(fitIfNew, [fitIfNew]);

  const fit = useCallback(() => {
    if (!layout) return;
    followsFit.current = true;
    setViewport(fitViewport(layout, stageSize.current));
  }, [layout]);

  const onStageSize = useCallback(
    (size: Size) => {
      const changed = size.width !== stageSize.current.width || size.height !== stageSize.current.height;
      stageSize.current = size;
      fitIfNew();
      if (changed && followsFit.current && layout) setViewport(fitViewport(layout, size));
    },
    [fitIfNew, layout],
  );

  const moveViewport = useCallback((update: (viewport: Viewport) => Viewport) => {
    followsFit.current = false;
    setViewport(update);
  }, []);

  const zoomStep = useCallback(
    (direction: 'in' | 'out') => {
      const size = stageSize.current;
      moveViewport((v) => zoomAt(v, size, { x: size.width / 2, y: size.height / 2 }, direction === 'in' ? ZOOM_STEP : 1 / ZOOM_STEP));
    },
    [moveViewport],
  );

  const zoomTo = useCallback((scale: number) => moveViewport((v) => scaleTo(v, scale)), [moveViewport]);

  return { viewport, moveViewport, onStageSize, fit, zoomStep, zoomTo };
}
