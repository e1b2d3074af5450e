// The main window's keyboard shortcuts (keyboard.ts maps a key to a command; this runs it).
import { useEffect, useRef, type Dispatch } from 'react';
import { commandForKey, keysTakenBy } from '../keyboard';
import type { Action } from '../state/app-state';
import type { RetouchControls } from './use-retouch';
import type { ViewportControls } from './use-viewport';

export function useKeys({
  enabled,
  dispatch,
  viewport,
  cancel,
  toggleHelp,
  retouch,
}: {
  /** False while a modal (the folder browser, the keyboard help) has the keys. */
  enabled: boolean;
  dispatch: Dispatch<Action>;
  viewport: Pick<ViewportControls, 'fit' | 'zoomStep' | 'zoomTo'>;
  cancel: () => void;
  /** "?": shows or hides the keyboard help. */
  toggleHelp: () => void;
  /** Retouch mode's keys ([, ], undo, redo) act only while it is on. */
  retouch: Pick<RetouchControls, 'active' | 'stepSize' | 'undo' | 'redo'>;
}): void {
  const { fit, zoomStep, zoomTo } = viewport;
  // The handler outlives renders; it reads the current retouch controls from here.
  const retouchRef = useRef(retouch);
  retouchRef.current = retouch;
  useEffect(() => {
    if (!enabled) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      const command = commandForKey({
        key: event.key,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
        altKey: event.altKey,
        shiftKey: event.shiftKey,
        targetTakes: keysTakenBy(event.target instanceof Element ? event.target : null),
      });
      if (!command) return;
      const retouching = retouchRef.current;
      if ((command.type === 'brushSize' || command.type === 'undo' || command.type === 'redo') && !retouching.active) return;
      event.preventDefault();
      switch (command.type) {
        case 'stepSlice':
          dispatch({ type: 'stepSlice', delta: command.delta });
          break;
        case 'showView':
          dispatch({ type: 'showView', view: command.view });
          break;
        case 'fit':
          fit();
          break;
        case 'actualSize':
          zoomTo(1);
          break;
        case 'zoom':
          zoomStep(command.direction);
          break;
        case 'escape':
          cancel();
          break;
        case 'brushSize':
          retouching.stepSize(command.direction);
          break;
        case 'undo':
          retouching.undo();
          break;
        case 'redo':
          retouching.redo();
          break;
        case 'help':
          toggleHelp();
          break;
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [enabled, dispatch, cancel, toggleHelp, fit, zoomStep, zoomTo]);
}
