// One image of the viewer at the resolution the zoom needs.
//
// Why not a tiled deep-zoom viewer (OpenSeadragon): the stacks this app opens are 2-24 MP, and a
// whole image drawn with a CSS transform pans and zooms on the compositor at full frame rate
// with no tile bookkeeping. So each image is a downsampled preview (PREVIEW_SIZES) while zoomed
// out; zoomed in towards 100%, a small image is swapped for its full-resolution file and a large
// one (over LARGE_IMAGE_SIZE) keeps its largest preview underneath and gets one full-resolution
// "detail" image of just the region in view (snapped to DETAIL_GRID so small pans reuse it).
// New bitmaps are decoded off-screen before they replace old ones, so zooming, panning and
// stepping through slices never flash an empty frame, and the app never holds a full-resolution
// image of every slice.
import { createContext, useContext, useEffect, useState } from 'react';
import { bitmapMaxSize, detailRegion, LARGE_IMAGE_SIZE, type Rect, type Size } from './viewport';

/** What part of the image the stage shows, for choosing a detail region. */
export const VisibleRectContext = createContext<Rect | null>(null);

export interface BitmapRequest {
  /** Longest side; undefined for full resolution. */
  maxSize?: number;
  region?: Rect;
}

export interface BitmapImageProps {
  urlFor: (request: BitmapRequest) => string;
  natural: Size;
  scale: number;
  alt: string;
  opacity?: number;
  /** Drawn through the display window (min, max, gamma): the Viewer's #display-window filter. */
  windowed?: boolean;
}

/** Decodes `wanted` off-screen and only then returns it; until then returns what was shown. */
function useSwapWhenLoaded<T extends { url: string } | null>(wanted: T): T {
  const [shown, setShown] = useState(wanted);
  const wantedUrl = wanted?.url;
  useEffect(() => {
    if (!wanted || wanted.url === shown?.url) {
      if (!wanted && shown) setShown(wanted);
      return;
    }
    let current = true;
    const loader = new Image();
    // A failed load still swaps, so the broken image (and its alt text) is what the user sees.
    loader.onload = loader.onerror = () => {
      if (current) setShown(wanted);
    };
    loader.src = wanted.url;
    return () => {
      current = false;
      loader.onload = loader.onerror = null;
    };
    // wanted is a fresh object every render; its url is what matters.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [wantedUrl, shown?.url]);
  return shown;
}

export function BitmapImage({ urlFor, natural, scale, alt, opacity, windowed }: BitmapImageProps) {
  const visible = useContext(VisibleRectContext);
  const maxSize = bitmapMaxSize(scale, natural, window.devicePixelRatio || 1);
  const large = Math.max(natural.width, natural.height) > LARGE_IMAGE_SIZE;
  const wantsDetail = maxSize === undefined && large;
  const baseUrl = urlFor({ maxSize: wantsDetail ? LARGE_IMAGE_SIZE : maxSize });
  const region = wantsDetail && visible ? detailRegion(visible, natural) : null;
  const wantedDetail = region ? { url: urlFor({ region }), region } : null;

  const base = useSwapWhenLoaded({ url: baseUrl });
  const detail = useSwapWhenLoaded(wantedDetail);
  const style = opacity === undefined && !windowed ? undefined : { opacity, filter: windowed ? 'url(#display-window)' : undefined };

  return (
    <>
      <img
        className="layer"
        src={base.url}
        alt={alt}
        draggable={false}
        data-natural-width={natural.width}
        data-natural-height={natural.height}
        data-loading={base.url !== baseUrl ? 'true' : undefined}
        style={style}
      />
      {detail && wantsDetail && (
        <img
          className="detail"
          src={detail.url}
          alt=""
          aria-hidden="true"
          draggable={false}
          style={{
            ...style,
            left: `${(100 * detail.region.x) / natural.width}%`,
            top: `${(100 * detail.region.y) / natural.height}%`,
            width: `${(100 * detail.region.width) / natural.width}%`,
            height: `${(100 * detail.region.height) / natural.height}%`,
          }}
        />
      )}
    </>
  );
}
