// The strip of slices: thumbnail, small heatmap, sharpness score and share of pixels won, in
// focus order. Selecting one shows it in the viewer; the arrow keys do the same from anywhere.
import { useEffect, useMemo, useRef } from 'react';
import type { DeepfieldApi } from '../../../shared/api';
import { colourLut } from '../../../shared/colour-maps';
import type { VarianceScale } from '../../../shared/colour-scale';
import type { FocusPreview } from '../../../shared/types';
import { formatScore, formatShare } from '../format';
import { paintHeatmap } from '../heatmap/paint';
import type { SliceEntry } from '../state/app-state';
import { RgbaCanvas } from '../viewer/RgbaCanvas';

/** Longest side of a thumbnail, in image pixels (drawn at up to half that in CSS pixels). */
export const THUMBNAIL_SIZE = 160;

function SliceHeatmap({ preview, scale, slice }: { preview: FocusPreview; scale: VarianceScale; slice: number }) {
  const rgba = useMemo(() => paintHeatmap(preview.values, scale, colourLut('viridis')), [preview, scale]);
  return <RgbaCanvas width={preview.width} height={preview.height} rgba={rgba} label={`Heatmap of slice ${slice + 1}`} className="thumb" />;
}

export interface SliceStripProps {
  api: DeepfieldApi;
  jobId: string | null;
  slices: SliceEntry[];
  current: number;
  totalPixels: number;
  previewFor: (slice: number) => FocusPreview | undefined;
  varianceScale: VarianceScale;
  onSelect: (slice: number) => void;
  /** The open folder's images in stacking order (null for the demo): those not stacked show too. */
  folderImages?: string[] | null;
  /** Files left out of the next Run. */
  leftOut?: string[];
  /** Ticks or unticks a file for the next Run. */
  onInclude?: (name: string, included: boolean) => void;
}

/** A file's tick box: whether the next Run stacks it. */
function IncludeBox({ name, included, onInclude }: { name: string; included: boolean; onInclude: (name: string, included: boolean) => void }) {
  return (
    <input
      type="checkbox"
      className="include"
      aria-label={`Include ${name}`}
      title={included ? 'Stacked by the next Run: untick to leave this file out' : 'Left out of the next Run: tick to stack it'}
      checked={included}
      onChange={(e) => onInclude(name, e.target.checked)}
    />
  );
}

export function SliceStrip({ api, jobId, slices, current, totalPixels, previewFor, varianceScale, onSelect, folderImages, leftOut = [], onInclude }: SliceStripProps) {
  const currentRef = useRef<HTMLButtonElement>(null);
  const stripRef = useRef<HTMLElement>(null);
  useEffect(() => {
    const button = currentRef.current;
    button?.scrollIntoView?.({ block: 'nearest' });
    // Focus follows the selection inside the strip, so one slice is outlined, never two (the
    // selected one and the one clicked before the arrow keys moved on).
    const focused = document.activeElement;
    if (button && focused !== button && focused instanceof HTMLElement && stripRef.current?.contains(focused)) button.focus({ preventScroll: true });
  }, [current]);

  // In folder order: every file of the folder, the stacked ones with their slice, the others
  // (left out, or outside the range) as a line to tick back in.
  const byName = new Map(slices.filter((s) => s.name).map((s) => [s.name!, s]));
  const inFolderOrder = folderImages && slices.length > 0 && slices.every((s) => s.name !== undefined && folderImages.includes(s.name));
  const rows: { name: string; slice?: SliceEntry }[] = inFolderOrder
    ? folderImages.map((name) => ({ name, slice: byName.get(name) }))
    : slices.map((slice) => ({ name: slice.name ?? '', slice }));

  const renderSlice = (slice: SliceEntry, fileName?: string) => {
    const preview = slice.previewReady ? previewFor(slice.index) : undefined;
    const selected = slice.index === current;
    return (
      <li key={slice.index} className={selected ? 'selected' : undefined}>
        {fileName && onInclude && <IncludeBox name={fileName} included={!leftOut.includes(fileName)} onInclude={onInclude} />}
        <button
          type="button"
          ref={selected ? currentRef : undefined}
          // One tab stop for the strip: the arrow keys move within it.
          tabIndex={selected ? 0 : -1}
          aria-current={selected ? 'true' : undefined}
          aria-label={`Slice ${slice.index + 1}${slice.name ? `: ${slice.name}` : ''}`}
          onClick={() => onSelect(slice.index)}
        >
          <span className="thumbs">
            {jobId && slice.name ? (
              <img className="thumb" alt="" loading="lazy" src={api.imageUrl(jobId, 'slice', { slice: slice.index, maxSize: THUMBNAIL_SIZE, format: 'jpeg' })} />
            ) : (
              <span className="thumb pending" />
            )}
            {preview ? <SliceHeatmap preview={preview} scale={varianceScale} slice={slice.index} /> : <span className="thumb pending" />}
          </span>
          <span className="slice-caption">
            <span className="slice-number">{slice.index + 1}</span>
            <span title="Sharpness score (mean local variance)">{slice.meanVariance === undefined ? '…' : formatScore(slice.meanVariance)}</span>
            <span title="Share of the composite's pixels taken from this slice">
              {slice.pixelsWon === undefined ? '' : formatShare(slice.pixelsWon, totalPixels)}
            </span>
          </span>
        </button>
      </li>
    );
  };

  return (
    <aside ref={stripRef} className="slice-strip" aria-label="Slices">
      <h2>Slices</h2>
      {slices.length === 0 ? (
        <p className="muted">No stack open.</p>
      ) : (
        <ol>
          {rows.map((row) =>
            row.slice ? (
              renderSlice(row.slice, inFolderOrder ? row.name : undefined)
            ) : (
              <li key={`out-${row.name}`} className="left-out">
                {onInclude && <IncludeBox name={row.name} included={!leftOut.includes(row.name)} onInclude={onInclude} />}
                <span className="left-out-name" title={row.name}>
                  {row.name}
                </span>
                <span className="muted">{leftOut.includes(row.name) ? 'left out' : 'not in this run'}</span>
              </li>
            ),
          )}
        </ol>
      )}
    </aside>
  );
}
