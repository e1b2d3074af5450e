// Slice numbers in the colours of the depth map (the host paints it with the same depthColour),
// or, when the distance between slices is known, heights in micrometres (or the unit given).
import { cssColour, depthColour } from '../../../shared/colour-maps';

/** The distance between slices, as typed in the export dialog. */
export interface ZStep {
  value: number;
  unit: 'nm' | 'um' | 'mm';
}

const UNIT_TEXT = { nm: 'nm', um: 'µm', mm: 'mm' } as const;

/** Slice k's height above slice 1: "1.25 µm". */
export function heightText(index: number, zStep: ZStep): string {
  return `${Number((index * zStep.value).toPrecision(4))} ${UNIT_TEXT[zStep.unit]}`;
}

export function DepthLegend({ sliceCount, zStep }: { sliceCount: number; zStep?: ZStep | null }) {
  return (
    <ol className="depth-legend" aria-label="Depth legend" title={zStep ? 'Height above slice 1' : 'Slice number'}>
      {Array.from({ length: sliceCount }, (_, index) => (
        <li key={index}>
          <span className="swatch" style={{ background: cssColour(depthColour(index, sliceCount)) }} aria-hidden="true" />
          {zStep ? heightText(index, zStep) : index + 1}
        </li>
      ))}
    </ol>
  );
}
