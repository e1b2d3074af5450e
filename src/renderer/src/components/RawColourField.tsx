// How camera RAW slices are developed (issue 16), as the command line's --raw-colour: shown beside
// the title of a stack that has RAW slices, where it means something, rather than on the toolbar,
// which has no room left in one row at 1440 px. The choice goes with the next Run.
import { RAW_COLOURS, type RawColour } from '../../../shared/options';

export function RawColourField({ rawColour, onRawColour }: { rawColour: RawColour; onRawColour: (rawColour: RawColour) => void }) {
  return (
    <label className="raw-colour" title="How camera RAW slices are developed to 16 bits at the next Run, white balance as shot: srgb (the sRGB tone curve) or linear (proportional to light)">
      RAW developed as
      <select aria-label="RAW colour" value={rawColour} onChange={(e) => onRawColour(e.target.value as RawColour)}>
        {RAW_COLOURS.map((colour) => (
          <option key={colour}>{colour}</option>
        ))}
      </select>
    </label>
  );
}
