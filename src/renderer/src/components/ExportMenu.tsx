// Export: quick single files (the composite in three formats, the index map, the colourised depth
// map, the current slice's heatmap) and "More outputs…", the dialog with everything the engine
// writes. Where the files went is shown in a toast by the caller.
import { type RefObject, useEffect, useLayoutEffect, useRef, useState } from 'react';
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
  /** Resolves once written; rejects with the reason, which the dialog shows. */
  onExportOutputs: (choices: ExportChoices) => Promise<void>;
  knownZStep?: string;
}

export function ExportMenu({ disabled, currentSlice, onExport, sliceCount, choices, onChoices, onExportOutputs, knownZStep }: ExportMenuProps) {
  const [open, setOpen] = useState(false);
  const [dialogOpen, setDialogOpen] = useState(false);
  // Kept here, not in the popover, so the JPEG quality survives closing and reopening it.
  const [quality, setQuality] = useState(92);
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const popoverRef = useRef<HTMLDivElement>(null);
  useDismissPopover(open, rootRef, buttonRef, () => setOpen(false));
  const shiftLeft = useShiftInsideWindow(open, rootRef, popoverRef);

  const choose = (choice: ExportChoice) => {
    setOpen(false);
    onExport(choice);
  };

  return (
    <div className="export-menu" ref={rootRef}>
      <button ref={buttonRef} type="button" aria-expanded={open} aria-controls="export-options" disabled={disabled} onClick={() => setOpen(!open)}>
        Export ▾
      </button>
      {open && (
        <div ref={popoverRef} id="export-options" className="popover" role="group" aria-label="Export options" style={{ left: -shiftLeft }}>
          <QuickExports
            currentSlice={currentSlice}
            quality={quality}
            onQuality={setQuality}
            onChoose={choose}
            onMore={() => {
              setOpen(false);
              setDialogOpen(true);
            }}
          />
        </div>
      )}
      {dialogOpen && !disabled && (
        <ExportDialog
          choices={choices}
          sliceCount={sliceCount}
          knownZStep={knownZStep}
          onChoices={onChoices}
          onClose={() => setDialogOpen(false)}
          onExport={onExportOutputs}
        />
      )}
    </div>
  );
}

/** While the popover is open, a click outside it or Esc closes it. */
function useDismissPopover(open: boolean, rootRef: RefObject<HTMLDivElement | null>, buttonRef: RefObject<HTMLButtonElement | null>, close: () => void) {
  useEffect(() => {
    if (!open) return;
    const closeOnOutsideClick = (event: MouseEvent) => {
      if (!rootRef.current?.contains(event.target as Node)) close();
    };
    // Esc closes the popover wherever focus is (and does nothing else, such as cancelling a run).
    const closeOnEscape = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      event.preventDefault();
      event.stopPropagation();
      close();
      buttonRef.current?.focus();
    };
    document.addEventListener('mousedown', closeOnOutsideClick);
    window.addEventListener('keydown', closeOnEscape, true);
    return () => {
      document.removeEventListener('mousedown', closeOnOutsideClick);
      window.removeEventListener('keydown', closeOnEscape, true);
    };
    // Only `open` matters: `close` is a new function each render that does the same thing.
  }, [open]);
}

/**
 * How far the popover moves left of its button so it ends inside the window: the button sits at
 * the right of the toolbar, so the popover opens leftwards as far as it must.
 */
function useShiftInsideWindow(open: boolean, rootRef: RefObject<HTMLDivElement | null>, popoverRef: RefObject<HTMLDivElement | null>): number {
  const [shiftLeft, setShiftLeft] = useState(0);
  useLayoutEffect(() => {
    if (!open || !popoverRef.current || !rootRef.current) return;
    const margin = 8;
    const left = rootRef.current.getBoundingClientRect().left;
    const width = popoverRef.current.offsetWidth;
    setShiftLeft(Math.max(0, Math.min(left - margin, left + width - (window.innerWidth - margin))));
  }, [open]);
  return shiftLeft;
}

interface QuickExportsProps {
  currentSlice: number;
  quality: number;
  onQuality: (quality: number) => void;
  onChoose: (choice: ExportChoice) => void;
  /** Opens the dialog with every output. */
  onMore: () => void;
}

/** The single files one click writes, and the way to the dialog with the rest. */
function QuickExports({ currentSlice, quality, onQuality, onChoose, onMore }: QuickExportsProps) {
  return (
    <>
      <button type="button" onClick={() => onChoose({ kind: 'composite', format: 'png' })}>
        Composite as PNG
      </button>
      <button type="button" onClick={() => onChoose({ kind: 'composite', format: 'tiff' })}>
        Composite as 16-bit TIFF
      </button>
      <div className="jpeg-row">
        <button type="button" onClick={() => onChoose({ kind: 'composite', format: 'jpeg', quality })}>
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
            onChange={(e) => onQuality(Math.min(100, Math.max(1, Math.round(Number(e.target.value) || 1))))}
          />
        </label>
      </div>
      <button type="button" onClick={() => onChoose({ kind: 'indexMap', format: 'png' })}>
        Index map (PNG)
      </button>
      <button type="button" onClick={() => onChoose({ kind: 'depthColour', format: 'png' })}>
        Depth map in colour (PNG)
      </button>
      <button type="button" onClick={() => onChoose({ kind: 'heatmap', format: 'png', slice: currentSlice })}>
        Heatmap of slice {currentSlice + 1} (PNG)
      </button>
      <button type="button" onClick={onMore}>
        More outputs…
      </button>
    </>
  );
}
