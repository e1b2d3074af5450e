// The key to the heatmaps: the colour map from 0 to the top of the shared scale, labelled in raw
// variance at evenly spaced positions (uneven values on a log scale).
import { colourLut } from '../../../shared/colour-maps';
import type { VarianceScale } from '../../../shared/colour-scale';
import { formatScore } from '../format';
import { colourBarTicks, cssGradient } from './colour-bar';

const INVERTED_GREY = 'linear-gradient(to right, #fff, #000)';

export function ColourBar({ scale, inverted }: { scale: VarianceScale; inverted: boolean }) {
  const ticks = colourBarTicks(scale);
  return (
    <figure className="colour-bar" aria-label={`Colour bar: raw variance from 0 to ${formatScore(scale.max)}, ${scale.mode} scale shared by all slices`}>
      <div className="colour-bar-gradient" style={{ background: inverted ? INVERTED_GREY : cssGradient(colourLut('viridis')) }} />
      <div className="colour-bar-ticks" aria-hidden="true">
        {ticks.map((tick) => (
          <span key={tick.unit} style={{ left: `${tick.unit * 100}%` }}>
            {formatScore(tick.variance)}
          </span>
        ))}
      </div>
      <figcaption>local variance, {scale.mode} scale, shared by all slices</figcaption>
    </figure>
  );
}
