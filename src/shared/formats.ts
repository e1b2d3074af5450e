// The image formats Deepfield reads and writes, with their file extensions (the first is the one
// it gives a new file), in one table: the command line, the engine's writers, the host's exports
// and the save dialog's filters all look here.
export const IMAGE_FORMATS = {
  jpeg: { extensions: ['.jpg', '.jpeg'], label: 'JPEG' },
  png: { extensions: ['.png'], label: 'PNG' },
  tiff: { extensions: ['.tif', '.tiff'], label: 'TIFF' },
  webp: { extensions: ['.webp'], label: 'WebP' },
} as const;

export type ImageFormat = keyof typeof IMAGE_FORMATS;

/** Every extension of every format, lower case with the dot: '.png', '.tif', ... */
export const IMAGE_EXTENSIONS: readonly string[] = Object.values(IMAGE_FORMATS).flatMap((f) => f.extensions);

/** The extension a new file of `format` gets ('.tif' for TIFF, '.jpg' for JPEG). */
export function extensionOf(format: ImageFormat): string {
  return IMAGE_FORMATS[format].extensions[0];
}

/** The format a file name's extension names (any case), or undefined. */
export function formatOfName(name: string): ImageFormat | undefined {
  const dot = name.lastIndexOf('.');
  const extension = dot < 0 ? '' : name.slice(dot).toLowerCase();
  return (Object.keys(IMAGE_FORMATS) as ImageFormat[]).find((format) => (IMAGE_FORMATS[format].extensions as readonly string[]).includes(extension));
}
