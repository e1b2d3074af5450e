// Keyboard shortcuts of the main window, as a pure mapping from a key press to a command so the
// rules (which keys, and when typing in a field must not trigger them) are testable without a DOM.

export type ViewName = 'slice' | 'heatmap' | 'composite' | 'depth' | 'confidence';
export const VIEW_ORDER: readonly ViewName[] = ['slice', 'heatmap', 'composite', 'depth', 'confidence'];

export type Command =
  | { type: 'stepSlice'; delta: -1 | 1 }
  | { type: 'showView'; view: ViewName }
  | { type: 'fit' }
  | { type: 'actualSize' }
  | { type: 'zoom'; direction: 'in' | 'out' }
  | { type: 'escape' }
  /** Retouch mode: [ and ] step the brush size; Ctrl+Z undoes a stroke, Ctrl+Shift+Z (or Ctrl+Y) redoes it. */
  | { type: 'brushSize'; direction: -1 | 1 }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'help' };

/** Every shortcut, as the help overlay ("?") lists it; commandForKey is the same table in code. */
export const SHORTCUTS: readonly { keys: string; action: string }[] = [
  { keys: '← →  (or ↑ ↓)', action: 'Previous / next slice' },
  { keys: '1 2 3 4 5', action: 'Slice, Heatmap, Composite, Depth, Confidence view' },
  { keys: 'F', action: 'Fit the image to the window' },
  { keys: '0', action: '100% (one image pixel per screen pixel)' },
  { keys: '+  −', action: 'Zoom in / out' },
  { keys: 'Enter (on the image)', action: "Focus profile of the pixel at the view's centre" },
  { keys: 'Esc', action: 'Close a menu or dialog; otherwise cancel the running stack' },
  { keys: '[  ]', action: 'Retouching: smaller / larger brush' },
  { keys: 'Ctrl+Z  Ctrl+Shift+Z', action: 'Retouching: undo / redo a stroke' },
  { keys: '?', action: 'Show or hide this list' },
];

export interface KeyPress {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  shiftKey?: boolean;
  /** What the focused element does with keys itself: see keysTakenBy. */
  targetTakes?: KeysTaken;
}

/** 'text': a field that takes every printable key; 'arrows': a slider or tab that moves with arrows. */
export type KeysTaken = 'none' | 'arrows' | 'text';

export function commandForKey(press: KeyPress): Command | null {
  // Escape always reaches the app, so a run can be cancelled with focus anywhere.
  if (press.key === 'Escape') return { type: 'escape' };
  if ((press.ctrlKey || press.metaKey) && !press.altKey && press.targetTakes !== 'text') {
    const key = press.key.toLowerCase();
    if (key === 'z') return press.shiftKey ? { type: 'redo' } : { type: 'undo' };
    if (key === 'y') return { type: 'redo' };
  }
  if (press.ctrlKey || press.metaKey || press.altKey || press.targetTakes === 'text') return null;
  if (press.targetTakes === 'arrows' && press.key.startsWith('Arrow')) return null;
  switch (press.key) {
    case 'ArrowLeft':
    case 'ArrowUp':
      return { type: 'stepSlice', delta: -1 };
    case 'ArrowRight':
    case 'ArrowDown':
      return { type: 'stepSlice', delta: 1 };
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
      return { type: 'showView', view: VIEW_ORDER[Number(press.key) - 1] };
    case 'f':
    case 'F':
      return { type: 'fit' };
    case '0':
      return { type: 'actualSize' };
    case '+':
    case '=':
      return { type: 'zoom', direction: 'in' };
    case '-':
      return { type: 'zoom', direction: 'out' };
    case '[':
      return { type: 'brushSize', direction: -1 };
    case ']':
      return { type: 'brushSize', direction: 1 };
    case '?':
      return { type: 'help' };
    default:
      return null;
  }
}

/** Which keys the focused element uses itself, so shortcuts never steal them. */
export function keysTakenBy(element: Element | null): KeysTaken {
  if (!element) return 'none';
  const tag = element.tagName;
  if (tag === 'INPUT') {
    const type = (element as HTMLInputElement).type;
    if (type === 'range') return 'arrows';
    if (type === 'checkbox' || type === 'radio' || type === 'button') return type === 'radio' ? 'arrows' : 'none';
    return 'text';
  }
  if (tag === 'TEXTAREA' || tag === 'SELECT' || (element as HTMLElement).isContentEditable) return 'text';
  const role = element.getAttribute('role');
  if (role === 'tab' || role === 'slider' || role === 'menuitem' || role === 'radio') return 'arrows';
  return 'none';
}
