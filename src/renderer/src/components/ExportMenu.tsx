// Export: quick single files (the composite in three formats, the index map, the colourised depth
// map, the current slice's heatmap) and "More outputs…", the dialog with everything the engine
// writes. Where the files went is shown in a toast by the caller.
import { useEffect, useRef, useState } from 'react';
import type { ExportRequest } from '../../../shared/api';
import type { ExportChoices } from '../settings';
import { ExportDialog } from './ExportDialog';

export type ExportChoice = Omit<ExportRequest, 'jobId'>;

export interface ExportMenuProps {
  disabled: boolean;
  currentSlice: number;
  onExport: (choice: ExportChoice) => void;
  sliceCount: number;
  choices: ExportChoices;
  onChoices: (choices: ExportChoices) => void;
  onExportOutputs: (choices: ExportChoices) => void;
}

export function ExportMenu({ disabled, currentSlice, onExport, sliceCount, choices, onChoices, onExportOutputs }: ExportMenuProps) {
  const [open, setOpen] = useState(false);
  const [dialogOpen, setDialogOpen] = useState(false);
  const [quality, setQuality] = useState(92);
  const rootRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const closeOnOutsideClick = (event: MouseEvent) => {
      if (!rootRef.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', closeOnOutsideClick);
    return () => document.removeEventListener('mousedown', closeOnOutsideClick);
  }, [open]);

  const choose = (choice: ExportChoice) => {
    setOpen(false);
    onExport(choice);
  };

  return (
    <div className="export-menu" ref={rootRef}>
      <button type="button" aria-expanded={open} aria-controls="export-options" disabled={disabled} onClick={() => setOpen(!open)}>
        Export ▾
      </button>
      {open && (
        <div
          id="export-options"
          className="popover"
          role="group"
          aria-label="Export options"
          onKeyDown={(event) => {
            if (event.key === 'Escape') {
              event.stopPropagation();
              setOpen(false);
            }
          }}
        >
          <button type="button" onClick={() => choose({ kind: 'composite', format: 'png' })}>
            Composite as PNG
          </button>
          <button type="button" onClick={() => choose({ kind: 'composite', format: 'tiff' })}>
            Composite as 16-bit TIFF
          </button>
          <div className="jpeg-row">
            <button type="button" onClick={() => choose({ kind: 'composite', format: 'jpeg', quality })}>
              Composite as JPEG
            </button>
            <label>
              quality
              <input
                type="number"
                aria-label="JPEG quality"
                min={1}
                max={100}
                value={quality}
                onChange={(e) => setQuality(Math.min(100, Math.max(1, Math.round(Number(e.target.value) || 1))))}
              />
            </label>
          </div>
          <button type="button" onClick={() => choose({ kind: 'indexMap', format: 'png' })}>
            Index map (PNG)
          </button>
          <button type="button" onClick={() => choose({ kind: 'depthColour', format: 'png' })}>
            Depth map in colour (PNG)
          </button>
          <button type="button" onClick={() => choose({ kind: 'heatmap', format: 'png', slice: currentSlice })}>
            Heatmap of slice {currentSlice + 1} (PNG)
          </button>
          <button
            type="button"
            onClick={() => {
              setOpen(false);
              setDialogOpen(true);
            }}
          >
            More outputs…
          </button>
        </div>
      )}
      {dialogOpen && !disabled && (
        <ExportDialog
          choices={choices}
          sliceCount={sliceCount}
          onChoices={onChoices}
          onClose={() => setDialogOpen(false)}
          onExport={(chosen) => {
            setDialogOpen(false);
            onExportOutputs(chosen);
          }}
        />
      )}
    </div>
  );
}
