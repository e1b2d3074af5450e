// How numbers are shown to people: times as m:ss, sharpness scores with three significant
// digits, shares of pixels as whole percentages.

/** 4200 -> "0:04", 62000 -> "1:02", 3723000 -> "1:02:03". */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const ss = String(seconds).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${ss}` : `${minutes}:${ss}`;
}

/** Sharpness scores span many decades between stacks: three significant digits, no exponent. */
export function formatScore(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US');
  if (magnitude < 0.001) return value.toExponential(2);
  return Number(value.toPrecision(3)).toString();
}

/** Share of the composite's pixels a slice won; "<1%" keeps a slice that won a few visible. */
export function formatShare(pixelsWon: number, totalPixels: number): string {
  if (totalPixels <= 0) return '–';
  const percent = (pixelsWon / totalPixels) * 100;
  if (pixelsWon > 0 && percent < 1) return '<1%';
  return `${Math.round(percent)}%`;
}
