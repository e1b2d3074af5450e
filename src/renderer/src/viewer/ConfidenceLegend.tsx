// The confidence view's key: the inferno ramp the host paints confidence with, from an ambiguous
// focus peak (dark: the composite there may follow noise) to a decisive one.
import { colourAt, cssColour } from '../../../shared/colour-maps';

export function ConfidenceLegend() {
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => `${cssColour(colourAt('inferno', t))} ${t * 100}%`).join(', ');
  return (
    <figure className="colour-bar" aria-label="Confidence scale: 0 ambiguous to 1 decisive">
      <div className="colour-bar-gradient" style={{ background: `linear-gradient(to right, ${stops})` }} aria-hidden="true" />
      <figcaption>confidence: 0 ambiguous peak → 1 decisive (peak over the profile’s mean)</figcaption>
    </figure>
  );
}
