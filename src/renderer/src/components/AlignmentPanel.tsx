// The right column's alignment section (issue 6): what the engine found for each slice relative
// to the reference (shift, rotation, scale, brightness gain), and which slices it could not align
// and why: those were stacked unaligned, so their edges may double in the composite. Under align
// 'auto' (issue 13) its first line is the engine's decision: "aligned stack detected: nothing
// applied" with the largest motion measured, or a microscope z-stack left as it is.
import type { SliceAlignment, StackAlignment } from '../../../shared/types';

/** A signed number; one that rounds to zero shows as plain 0 (no "+0.00" or "-0.0" noise). */
function signed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  if (Number(text) === 0) return (0).toFixed(digits);
  return value > 0 ? `+${text}` : text;
}

/** Mean gain over the channels: one number per slice for the table; the title holds each channel's. */
function meanGain(gains: number[]): number {
  return gains.length === 0 ? 1 : gains.reduce((a, b) => a + b, 0) / gains.length;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A row's status in words, for its accessible name. */
function rowStatus(s: SliceAlignment): string {
  if (s.status === 'failed') return `alignment failed: ${s.reason ?? 'no reason given'}`;
  if (s.status === 'still') return 'left as it is';
  return s.status === 'reference' ? 'reference' : 'aligned';
}

export function AlignmentPanel({ alignment, done, current, onSelect }: { alignment: StackAlignment | undefined; done: boolean; current: number; onSelect: (slice: number) => void }) {
  const failed = alignment?.slices.filter((s) => s.status === 'failed') ?? [];
  return (
    <section aria-label="Alignment" className="alignment-panel">
      <h2>Alignment</h2>
      {!alignment ? (
        <p className="muted">{done ? 'Not aligned (align off).' : 'Each slice’s shift, rotation, scale and gain appear here when the stack is done.'}</p>
      ) : alignment.slices.length === 0 ? (
        <p className="alignment-summary">{capitalised(alignment.summary)}.</p>
      ) : (
        <>
          <p className="alignment-summary">{capitalised(alignment.summary)}.</p>
          <p className="muted">
            {alignment.method} to slice {alignment.reference + 1} · {alignment.crop.width}×{alignment.crop.height}
            {failed.length > 0 && (
              <strong className="error-text">
                {' '}
                · {failed.length} failed
              </strong>
            )}
          </p>
          <table>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col" title="Shift of the frame centre, x and y, in pixels">
                  shift px
                </th>
                <th scope="col" title="Rotation in degrees">
                  rot °
                </th>
                <th scope="col" title="Magnification relative to the reference">
                  scale
                </th>
                <th scope="col" title="Brightness gain, mean over channels">
                  gain
                </th>
              </tr>
            </thead>
            <tbody>
              {alignment.slices.map((s) => (
                <tr
                  key={s.index}
                  className={`${s.status}${s.index === current ? ' current' : ''}`}
                  aria-label={`Slice ${s.index + 1}: ${rowStatus(s)}`}
                  onClick={() => onSelect(s.index)}
                  title={`${s.name}: moved ${s.motion.toFixed(2)} px${s.uncertainty === undefined ? '' : ` ± ${s.uncertainty.toFixed(2)} px`}${s.status === 'still' ? ', left as it is' : ''}`}
                >
                  <th scope="row">{s.index + 1}</th>
                  {s.status === 'failed' ? (
                    <td colSpan={4} className="error-text">
                      ⚠ failed: {s.reason ?? 'no reason given'}
                    </td>
                  ) : (
                    <>
                      <td>
                        {signed(s.shiftX, 1)}, {signed(s.shiftY, 1)}
                      </td>
                      <td>{signed(s.rotationDeg, 2)}</td>
                      <td>{s.scale.toFixed(4)}</td>
                      <td title={`per channel: ${s.gains.map((g) => g.toFixed(3)).join(', ')}`}>{meanGain(s.gains).toFixed(3)}</td>
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
