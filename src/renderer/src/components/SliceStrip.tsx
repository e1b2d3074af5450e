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
}

export function SliceStrip({ api, jobId, slices, current, totalPixels, previewFor, varianceScale, onSelect }: SliceStripProps) {
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

  return (
    <aside ref={stripRef} className="slice-strip" aria-label="Slices">
      <h2>Slices</h2>
      {slices.length === 0 ? (
        <p className="muted">No stack open.</p>
      ) : (
        <ol>
          {slices.map((slice) => {
            const preview = slice.previewReady ? previewFor(slice.index) : undefined;
            const selected = slice.index === current;
            return (
              <li key={slice.index} className={selected ? 'selected' : undefined}>
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
          })}
        </ol>
      )}
    </aside>
  );
}
