// What each view draws, as layers sized to the full-resolution image: the stage places them all
// with the one shared viewport transform.
import { useMemo } from 'react';
import type { DeepfieldApi } from '../../../shared/api';
import { colourLut } from '../../../shared/colour-maps';
import type { VarianceScale } from '../../../shared/colour-scale';
import type { MergeMethod } from '../../../shared/options';
import type { FocusPreview } from '../../../shared/types';
import { maskAboveThreshold, maskWinner, paintHeatmap, paintInvertedGrey, paintWhiteCover } from '../heatmap/paint';
import type { ViewName } from '../keyboard';
import type { HeatmapSettings } from '../state/app-state';
import { BitmapImage } from './BitmapImage';
import { RgbaCanvas } from './RgbaCanvas';
import type { Size } from './viewport';

/** The index map at preview resolution, decoded from the host's 'index' image. */
export interface DecodedIndexMap {
  width: number;
  height: number;
  indexMap: Uint8Array;
}

export interface ViewLayersProps {
  view: ViewName;
  api: DeepfieldApi;
  jobId: string;
  natural: Size;
  scale: number;
  slice: number;
  heatmap: HeatmapSettings;
  preview: FocusPreview | undefined;
  varianceScale: VarianceScale;
  indexMap: DecodedIndexMap | null;
  /** Composite and depth of this merge method (already re-merged by the host); default the job's. */
  method?: MergeMethod;
  /** Composite and depth with the job's strokes at this revision; 0 (default) the merged result. */
  retouch?: number;
  /** Slices and the composite are drawn through the display window. */
  windowed?: boolean;
}

/**
 * Photographic previews travel as JPEG (a fraction of the bytes); full-resolution pixels, which
 * are what focus is judged on, as lossless PNG.
 */
function losslessUnlessPreview(maxSize: number | undefined, region: unknown): 'png' | 'jpeg' {
  return maxSize !== undefined && !region ? 'jpeg' : 'png';
}

/** Why a view has nothing to draw yet, or null when it has. */
export function viewPlaceholder(view: ViewName, p: { sliceKnown: boolean; jobDone: boolean; hasPreview: boolean }): string | null {
  switch (view) {
    case 'slice':
      return p.sliceKnown || p.jobDone ? null : 'This slice has not been found yet.';
    case 'heatmap':
      return p.hasPreview ? null : "This slice's heatmap appears when the slice has been measured.";
    case 'composite':
      return p.jobDone ? null : 'The composite appears when the stack is done.';
    case 'depth':
      return p.jobDone ? null : 'The depth map appears when the stack is done.';
    case 'confidence':
      return p.jobDone ? null : 'The confidence map appears when the stack is done.';
  }
}

/** One slice as the photograph it is (the slice view, and under the overlay and masked heatmaps). */
function SliceImage({ api, jobId, slice, natural, scale, windowed }: Pick<ViewLayersProps, 'api' | 'jobId' | 'slice' | 'natural' | 'scale' | 'windowed'>) {
  return (
    <BitmapImage
      urlFor={({ maxSize, region }) => api.imageUrl(jobId, 'slice', { slice, maxSize, region, format: losslessUnlessPreview(maxSize, region) })}
      natural={natural}
      scale={scale}
      alt={`Slice ${slice + 1}`}
      windowed={windowed}
    />
  );
}

/**
 * The heatmap view: the slice's focus preview painted in the chosen style. Painted here, in the
 * renderer, so changing the style or threshold redraws at once without asking the host again.
 */
function HeatmapLayers(props: ViewLayersProps) {
  const { slice, heatmap, preview, varianceScale, indexMap } = props;
  const heatmapLayer = useMemo(() => {
    if (!preview) return null;
    const { width, height, values } = preview;
    switch (heatmap.style) {
      case 'colour':
      case 'overlay':
        return { width, height, rgba: paintHeatmap(values, varianceScale, colourLut('viridis')) };
      case 'inverted':
        return { width, height, rgba: paintInvertedGrey(values, varianceScale) };
      case 'masked': {
        const useWinner = heatmap.maskRule === 'winner' && indexMap;
        if (useWinner) {
          return { width: indexMap.width, height: indexMap.height, rgba: paintWhiteCover(maskWinner(indexMap.indexMap, slice)) };
        }
        return { width, height, rgba: paintWhiteCover(maskAboveThreshold(values, varianceScale, heatmap.maskThreshold)) };
      }
    }
  }, [preview, heatmap.style, heatmap.maskRule, heatmap.maskThreshold, varianceScale, indexMap, slice]);

  if (!heatmapLayer) return null;
  const label = `Heatmap view, slice ${slice + 1}`;
  switch (heatmap.style) {
    case 'colour':
    case 'inverted':
      return <RgbaCanvas {...heatmapLayer} label={label} />;
    case 'overlay':
      return (
        <>
          <SliceImage {...props} />
          <RgbaCanvas {...heatmapLayer} label={label} opacity={heatmap.overlayOpacity} />
        </>
      );
    case 'masked':
      return (
        <>
          <SliceImage {...props} />
          <RgbaCanvas {...heatmapLayer} label={`In-focus areas of slice ${slice + 1}`} />
        </>
      );
  }
}

export function ViewLayers(props: ViewLayersProps) {
  const { view, api, jobId, natural, scale, method, retouch, windowed } = props;
  switch (view) {
    case 'slice':
      return <SliceImage {...props} />;
    case 'composite':
      return (
        <BitmapImage
          urlFor={({ maxSize, region }) => api.imageUrl(jobId, 'composite', { maxSize, region, format: losslessUnlessPreview(maxSize, region), method, retouch })}
          natural={natural}
          scale={scale}
          alt={method ? `Composite (${method})` : 'Composite'}
          windowed={windowed}
        />
      );
    case 'depth':
      return (
        <BitmapImage
          urlFor={({ maxSize, region }) => api.imageUrl(jobId, 'depth', { maxSize, region, method, retouch })}
          natural={natural}
          scale={scale}
          alt={method ? `Depth map (${method})` : 'Depth map'}
        />
      );
    case 'confidence':
      return <BitmapImage urlFor={({ maxSize, region }) => api.imageUrl(jobId, 'confidence', { maxSize, region })} natural={natural} scale={scale} alt="Confidence map" />;
    case 'heatmap':
      return <HeatmapLayers {...props} />;
  }
}
