// The right-hand panel: the stack's focus curve (sharpness score per slice) and, after a click
// on the image, that pixel's focus profile with its winning slice marked.
import type { ReactNode } from 'react';
import { formatScore } from '../format';
import { LineChart } from '../chart/LineChart';
import type { PixelProfile, SliceEntry } from '../state/app-state';

export function FocusPanel({
  slices,
  current,
  profile,
  onSelect,
  children,
}: {
  slices: SliceEntry[];
  current: number;
  profile: PixelProfile | null;
  onSelect: (slice: number) => void;
  /** Further sections of the column (the alignment table). */
  children?: ReactNode;
}) {
  const scores = slices.map((s) => s.meanVariance ?? Number.NaN);
  const sharpest = scores.reduce((best, v, i) => (Number.isFinite(v) && (best < 0 || v > scores[best]) ? i : best), -1);
  return (
    <aside className="focus-panel">
      <section aria-label="Focus curve">
        <h2>Focus curve</h2>
        {slices.length === 0 ? (
          <p className="muted">Sharpness score per slice appears here as slices are measured.</p>
        ) : (
          <>
            <LineChart
              label={`Sharpness score by slice${sharpest >= 0 ? `; sharpest is slice ${sharpest + 1}` : ''}`}
              values={scores}
              current={current}
              onSelect={onSelect}
              fit="data"
            />
            <p className="muted">score = mean local variance</p>
          </>
        )}
      </section>
      <section aria-label="Pixel profile">
        <h2>Pixel profile</h2>
        {profile ? (
          <>
            <p>
              Pixel ({profile.x}, {profile.y}): sharpest in slice <strong>{profile.winner + 1}</strong>
            </p>
            <LineChart
              label={`Variance of pixel ${profile.x}, ${profile.y} by slice; winner is slice ${profile.winner + 1}`}
              values={profile.values}
              current={current}
              marked={profile.winner}
              markedLabel="winner"
              onSelect={onSelect}
            />
            <p className="muted">peak {formatScore(profile.values[profile.winner] ?? 0)}</p>
          </>
        ) : (
          <p className="muted">Click a pixel in any view to see its variance through the stack.</p>
        )}
      </section>
      {children}
    </aside>
  );
}
