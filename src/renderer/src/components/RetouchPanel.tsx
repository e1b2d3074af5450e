// Retouch mode's controls over the composite: on/off, the source slice (the strip's current
// slice, or the sharpest slice at a clicked pixel, offered here), brush or eraser, size (keys [
// and ]), hardness, opacity, undo/redo (Ctrl+Z, Ctrl+Shift+Z) and before/after.
import type { JobSliceInfo } from '../../../shared/api';
import { BRUSH_SIZES, type RetouchControls } from '../hooks/use-retouch';

export interface RetouchPanelProps {
  retouch: RetouchControls;
  slices: JobSliceInfo[];
  source: number;
  /** The sharpest slice at the last clicked pixel (its focus profile's peak), offered as the source. */
  offered: { slice: number; x: number; y: number } | null;
  onSource: (slice: number) => void;
}

export function RetouchPanel({ retouch, slices, source, offered, onSource }: RetouchPanelProps) {
  const { active, brush, history } = retouch;
  return (
    <div className="retouch-controls" role="group" aria-label="Retouch">
      <button type="button" aria-pressed={active} onClick={() => retouch.setActive(!active)} title="Paint pixels back from a source slice">
        Retouch
      </button>
      {active && (
        <>
          <label>
            Source
            <select aria-label="Source slice" value={source} onChange={(e) => onSource(Number(e.target.value))}>
              {slices.map((s) => (
                <option key={s.index} value={s.index}>
                  {`${s.index + 1}: ${s.name}`}
                </option>
              ))}
            </select>
          </label>
          {offered && offered.slice !== source && (
            <button type="button" onClick={() => onSource(offered.slice)} title={`The sharpest slice at pixel (${offered.x}, ${offered.y})`}>
              Use slice {offered.slice + 1} (sharpest there)
            </button>
          )}
          <span role="radiogroup" aria-label="Tool">
            {(['brush', 'eraser'] as const).map((tool) => (
              <button key={tool} type="button" role="radio" aria-checked={brush.tool === tool} onClick={() => retouch.setBrush({ tool })}>
                {tool === 'brush' ? 'Brush' : 'Eraser'}
              </button>
            ))}
          </span>
          <label title="Brush diameter in image pixels ([ and ])">
            Size
            <input
              type="number"
              aria-label="Brush size"
              min={BRUSH_SIZES.min}
              max={BRUSH_SIZES.max}
              value={brush.size}
              onChange={(e) => Number.isFinite(e.target.valueAsNumber) && retouch.setBrush({ size: e.target.valueAsNumber })}
            />
          </label>
          <label>
            Hardness
            <input type="range" aria-label="Brush hardness" min={0} max={1} step={0.05} value={brush.hardness} onChange={(e) => retouch.setBrush({ hardness: Number(e.target.value) })} />
          </label>
          <label>
            Opacity
            <input type="range" aria-label="Brush opacity" min={0.05} max={1} step={0.05} value={brush.opacity} onChange={(e) => retouch.setBrush({ opacity: Number(e.target.value) })} />
          </label>
          <button type="button" onClick={retouch.undo} disabled={history.strokes.length === 0} title="Undo (Ctrl+Z)">
            Undo
          </button>
          <button type="button" onClick={retouch.redo} disabled={history.undone.length === 0} title="Redo (Ctrl+Shift+Z)">
            Redo
          </button>
          <label title="Show the merged result without the strokes">
            <input type="checkbox" aria-label="Show before retouching" checked={retouch.showBefore} onChange={(e) => retouch.setShowBefore(e.target.checked)} />
            Before
          </label>
          <output aria-label="Strokes">
            {history.strokes.length} stroke{history.strokes.length === 1 ? '' : 's'}
            {retouch.busy ? ' · applying…' : ''}
          </output>
        </>
      )}
    </div>
  );
}
