// The main window's keyboard shortcuts (keyboard.ts maps a key to a command; this runs it).
import { useEffect, type Dispatch } from 'react';
import { commandForKey, keysTakenBy } from '../keyboard';
import type { Action } from '../state/app-state';
import type { ViewportControls } from './use-viewport';

export function useKeys({
  enabled,
  dispatch,
  viewport,
  cancel,
  toggleHelp,
}: {
  /** False while a modal (the folder browser, the keyboard help) has the keys. */
  enabled: boolean;
  dispatch: Dispatch<Action>;
  viewport: Pick<ViewportControls, 'fit' | 'zoomStep' | 'zoomTo'>;
  cancel: () => void;
  /** "?": shows or hides the keyboard help. */
  toggleHelp: () => void;
}): void {
  const { fit, zoomStep, zoomTo } = viewport;
  useEffect(() => {
    if (!enabled) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      const command = commandForKey({
        key: event.key,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
        altKey: event.altKey,
        targetTakes: keysTakenBy(event.target instanceof Element ? event.target : null),
      });
      if (!command) return;
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
        case 'help':
          toggleHelp();
          break;
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [enabled, dispatch, cancel, toggleHelp, fit, zoomStep, zoomTo]);
}
