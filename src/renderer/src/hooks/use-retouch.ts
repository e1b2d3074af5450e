// Retouch mode: the brush the user holds, the stroke history (undo/redo as an operation list,
// src/shared/retouch.ts) and the revision of the host's retouched composite the viewer shows.
// Every change of the list is sent whole to the host, which applies it through the engine to the
// full-resolution composite and index map, so what is shown is what an export writes.
import { useCallback, useEffect, useRef, useState, type Dispatch } from 'react';
import type { DeepfieldApi } from '../../../shared/api';
import { addStroke, EMPTY_HISTORY, redoStroke, undoStroke, type RetouchHistory, type RetouchStroke } from '../../../shared/retouch';
import type { Action } from '../state/app-state';
import { describeError } from './describe-error';

export type RetouchTool = 'brush' | 'eraser';

export interface Brush {
  tool: RetouchTool;
  /** Diameter in composite pixels. */
  size: number;
  hardness: number;
  opacity: number;
}

export const BRUSH_SIZES = { min: 1, max: 2000 } as const;

export interface RetouchControls {
  active: boolean;
  brush: Brush;
  history: RetouchHistory;
  /** What the viewer shows: 0 the merged result (before), otherwise the retouched one at this revision. */
  shownRevision: number;
  showBefore: boolean;
  busy: boolean;
  setActive: (active: boolean) => void;
  setBrush: (partial: Partial<Brush>) => void;
  /** [ and ]: one step smaller or larger (about 10% of the size, at least 1 px). */
  stepSize: (direction: -1 | 1) => void;
  /** A finished stroke, in composite pixels, from slice `source` (ignored by the eraser). */
  paint: (points: Array<[number, number]>, source: number) => void;
  undo: () => void;
  redo: () => void;
  setShowBefore: (before: boolean) => void;
}

export function useRetouch(api: DeepfieldApi, jobId: string | null, done: boolean, dispatch: Dispatch<Action>): RetouchControls {
  const [active, setActive] = useState(false);
  const [brush, setBrushState] = useState<Brush>({ tool: 'brush', size: 40, hardness: 0.8, opacity: 1 });
  const [history, setHistory] = useState<RetouchHistory>(EMPTY_HISTORY);
  const [revision, setRevision] = useState(0);
  const [showBefore, setShowBefore] = useState(false);
  const [pending, setPending] = useState(0);
  const sent = useRef(0);

  // A new job starts with no strokes and the mode off.
  useEffect(() => {
    setHistory(EMPTY_HISTORY);
    setRevision(0);
    setShowBefore(false);
    setActive(false);
    sent.current = 0;
  }, [jobId]);

  const commit = useCallback(
    (next: RetouchHistory) => {
      if (!jobId) return;
      setHistory(next);
      const request = ++sent.current;
      setPending((n) => n + 1);
      api.retouch(jobId, next.strokes).then(
        (result) => {
          // Answers may overtake each other: only the latest list's revision is shown.
          if (request === sent.current) setRevision(result.revision);
        },
        (error: unknown) => dispatch({ type: 'toast', message: `Retouching failed: ${describeError(error)}`, tone: 'error' }),
      ).finally(() => setPending((n) => n - 1));
    },
    [api, jobId, dispatch],
  );

  const setBrush = useCallback((partial: Partial<Brush>) => {
    setBrushState((b) => {
      const next = { ...b, ...partial };
      next.size = Math.min(BRUSH_SIZES.max, Math.max(BRUSH_SIZES.min, Math.round(next.size)));
      next.hardness = Math.min(1, Math.max(0, next.hardness));
      next.opacity = Math.min(1, Math.max(0, next.opacity));
      return next;
    });
  }, []);

  return {
    active: active && done && jobId !== null,
    brush,
    history,
    shownRevision: showBefore ? 0 : revision,
    showBefore,
    busy: pending > 0,
    setActive,
    setBrush,
    stepSize: (direction) => setBrush({ size: brush.size + direction * Math.max(1, Math.round(brush.size * 0.1)) }),
    paint: (points, source) => {
      if (points.length === 0) return;
      const { tool, size, hardness, opacity } = brush;
      const stroke: RetouchStroke = tool === 'brush' ? { tool, slice: source, size, hardness, opacity, points } : { tool, size, hardness, opacity, points };
      setShowBefore(false);
      commit(addStroke(history, stroke));
    },
    undo: () => history.strokes.length > 0 && commit(undoStroke(history)),
    redo: () => history.undone.length > 0 && commit(redoStroke(history)),
    setShowBefore,
  };
}
