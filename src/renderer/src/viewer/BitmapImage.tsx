// One image of the viewer at the resolution the zoom needs.
//
// Why not tiles (OpenSeadragon): the stacks this app opens are 2-24 MP, and a whole image drawn
// with a CSS transform pans and zooms on the compositor at full frame rate. So each image is
// fetched as a downsampled preview (PREVIEW_SIZES) while zoomed out and swapped for the
// full-resolution file when zoomed in towards 100%. The new bitmap is decoded off-screen before it
// replaces the old one, so zooming and stepping through slices never flashes an empty frame, and
// at most two bitmaps per view are alive at once (the app never holds every slice at full size).
import { useEffect, useState } from 'react';
import { bitmapMaxSize, type Size } from './viewport';

export interface BitmapImageProps {
  /** The URL of this image downsampled to `maxSize` (undefined: full resolution). */
  urlFor: (maxSize: number | undefined) => string;
  natural: Size;
  scale: number;
  alt: string;
  opacity?: number;
}

export function BitmapImage({ urlFor, natural, scale, alt, opacity }: BitmapImageProps) {
  const wanted = urlFor(bitmapMaxSize(scale, natural, window.devicePixelRatio || 1));
  const [shown, setShown] = useState(wanted);

  useEffect(() => {
    if (wanted === shown) return;
    let current = true;
    const loader = new Image();
    const swap = () => {
      if (current) setShown(wanted);
    };
    loader.onload = swap;
    // A failed load still swaps, so the broken image (and its alt text) is what the user sees.
    loader.onerror = swap;
    loader.src = wanted;
    return () => {
      current = false;
      loader.onload = null;
      loader.onerror = null;
    };
  }, [wanted, shown]);

  return (
    <img
      className="layer"
      src={shown}
      alt={alt}
      draggable={false}
      data-natural-width={natural.width}
      data-natural-height={natural.height}
      data-loading={shown !== wanted ? 'true' : undefined}
      style={opacity === undefined ? undefined : { opacity }}
    />
  );
}
