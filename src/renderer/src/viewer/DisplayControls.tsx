// The Display group of the viewer bar for slice and composite views: min, max and gamma over the
// image's histogram, Auto from its percentiles, and the pixel size that turns on the scale bar.
import { useEffect, useState } from 'react';
import { autoWindow, histogram, IDENTITY_WINDOW, type DisplayWindow } from './display';
import { imagePixels } from './image-pixels';

/** The 256-bin histogram of the image at `url` (a small preview), or null until it has loaded. */
function useHistogram(url: string | null): number[] | null {
  const [bins, setBins] = useState<{ url: string; bins: number[] } | null>(null);
  useEffect(() => {
    if (!url) return;
    let current = true;
    // A preview that cannot be read leaves no histogram; the sliders still work.
    imagePixels(url).then((pixels) => current && pixels && setBins({ url, bins: histogram(pixels.data) }));
    return () => {
      current = false;
    };
  }, [url]);
  return bins && bins.url === url ? bins.bins : null;
}

function HistogramChart({ bins, window }: { bins: number[]; window: DisplayWindow }) {
  // Square root of the counts: the dark mode of a fluorescence image would flatten the rest.
  const top = Math.sqrt(Math.max(1, ...bins));
  const path = bins.map((count, level) => `M${level},40V${40 - (Math.sqrt(count) / top) * 40}`).join('');
  return (
    <svg className="histogram" viewBox="0 0 256 40" preserveAspectRatio="none" role="img" aria-label={`Histogram; shown from level ${window.black} to ${window.white}`}>
      <path d={path} />
      <rect className="clipped" x={0} y={0} width={window.black} height={40} />
      <rect className="clipped" x={window.white} y={0} width={256 - window.white} height={40} />
    </svg>
  );
}

export function DisplayControls({
  window,
  onWindow,
  histogramUrl,
  pixelSize,
  onPixelSize,
}: {
  window: DisplayWindow;
  onWindow: (window: DisplayWindow) => void;
  /** A small preview of what is shown, for the histogram. */
  histogramUrl: string | null;
  pixelSize: string;
  onPixelSize: (text: string) => void;
}) {
  const bins = useHistogram(histogramUrl);
  const set = (partial: Partial<DisplayWindow>) => onWindow({ ...window, ...partial });
  return (
    <div className="display-controls" role="group" aria-label="Display" title="Levels of the image as shown (16-bit slices arrive stretched to their own range)">
      {bins && <HistogramChart bins={bins} window={window} />}
      <label>
        min
        <input type="range" aria-label="Display minimum" min={0} max={254} value={window.black} onChange={(e) => set({ black: Math.min(Number(e.target.value), window.white - 1) })} />
      </label>
      <label>
        max
        <input type="range" aria-label="Display maximum" min={1} max={255} value={window.white} onChange={(e) => set({ white: Math.max(Number(e.target.value), window.black + 1) })} />
      </label>
      <label>
        γ
        <input type="range" aria-label="Gamma" min={0.2} max={3} step={0.05} value={window.gamma} onChange={(e) => set({ gamma: Number(e.target.value) })} />
        <output aria-label="Gamma value">{window.gamma.toFixed(2)}</output>
      </label>
      <button type="button" disabled={!bins} onClick={() => bins && onWindow(autoWindow(bins))} title="Min and max at the 0.35% darkest and brightest pixels">
        Auto
      </button>
      <button type="button" onClick={() => onWindow(IDENTITY_WINDOW)}>
        Reset
      </button>
      <label title="Physical size of one pixel: shows a scale bar">
        px
        <input className="small-number" type="text" inputMode="decimal" aria-label="Pixel size in µm" placeholder="µm" value={pixelSize} onChange={(e) => onPixelSize(e.target.value)} />
        µm
      </label>
    </div>
  );
}
