// A canvas layer showing an RGBA bitmap (a heatmap or a mask) stretched over the full image.
import { useEffect, useRef } from 'react';

export interface RgbaCanvasProps {
  width: number;
  height: number;
  /** Interleaved RGBA, 8 bits per channel, row-major. */
  rgba: Uint8ClampedArray;
  label?: string;
  opacity?: number;
  className?: string;
}

export function RgbaCanvas({ width, height, rgba, label, opacity, className = 'layer' }: RgbaCanvasProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvasRef.current?.getContext('2d');
    // No 2D context in DOM emulations used by tests: the element and its name still render.
    if (!context || rgba.length !== width * height * 4) return;
    context.putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  }, [rgba, width, height]);
  return (
    <canvas
      ref={canvasRef}
      className={className}
      width={width}
      height={height}
      role={label ? 'img' : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : true}
      style={opacity === undefined ? undefined : { opacity }}
    />
  );
}
