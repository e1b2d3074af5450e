// Slice numbers in the colours of the depth map (the host paints it with the same depthColour).
import { cssColour, depthColour } from '../../../shared/colour-maps';

export function DepthLegend({ sliceCount }: { sliceCount: number }) {
  return (
    <ol className="depth-legend" aria-label="Depth legend">
      {Array.from({ length: sliceCount }, (_, index) => (
        <li key={index}>
          <span className="swatch" style={{ background: cssColour(depthColour(index, sliceCount)) }} aria-hidden="true" />
          {index + 1}
        </li>
      ))}
    </ol>
  );
}
