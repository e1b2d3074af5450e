// A small SVG line chart of one value per slice. Plain SVG rather than a chart library: two
// charts of at most a few hundred points, and SVG keeps them crisp, themable with CSS and
// readable by screen readers (the label and a summary list stand in for the drawing).
import { chartPoints, linePath, sliceTicks, valueRange, type ChartBox } from './chart-geometry';
import { formatScore } from '../format';

const BOX: ChartBox = { width: 260, height: 150, padding: { left: 44, right: 10, top: 10, bottom: 24 } };

export interface LineChartProps {
  label: string;
  values: number[];
  /** The slice shown in the viewer. */
  current?: number;
  /** A slice to mark specially (the winner of a pixel profile). */
  marked?: number;
  markedLabel?: string;
  onSelect?: (slice: number) => void;
  /** 'data': the y axis spans the values (labelled at both ends); default from zero. */
  fit?: 'zero' | 'data';
}

export function LineChart({ label, values, current, marked, markedLabel, onSelect, fit = 'zero' }: LineChartProps) {
  const points = chartPoints(values, BOX, fit);
  const { bottom, top } = valueRange(values, fit);
  const bottomY = BOX.height - BOX.padding.bottom;
  return (
    <svg className="line-chart" viewBox={`0 0 ${BOX.width} ${BOX.height}`} role="img" aria-label={label}>
      <line className="axis" x1={BOX.padding.left} y1={bottomY} x2={BOX.width - BOX.padding.right} y2={bottomY} />
      <line className="axis" x1={BOX.padding.left} y1={BOX.padding.top} x2={BOX.padding.left} y2={bottomY} />
      {top > 0 && (
        <text className="tick" x={BOX.padding.left - 4} y={BOX.padding.top + 8} textAnchor="end">
          {formatScore(top)}
        </text>
      )}
      <text className="tick" x={BOX.padding.left - 4} y={bottomY} textAnchor="end">
        {formatScore(bottom)}
      </text>
      {sliceTicks(values.length).map((i) => (
        <text key={i} className="tick" x={points[i].x} y={BOX.height - 8} textAnchor="middle">
          {i + 1}
        </text>
      ))}
      {current !== undefined && points[current] && (
        <line className="current-slice" x1={points[current].x} y1={BOX.padding.top} x2={points[current].x} y2={bottomY} />
      )}
      <path className="curve" d={linePath(points)} />
      {points.map((p, i) =>
        Number.isFinite(p.value) ? (
          <circle
            key={i}
            className={i === marked ? 'point marked' : 'point'}
            cx={p.x}
            cy={p.y}
            r={i === marked ? 5 : 3}
            onClick={onSelect ? () => onSelect(i) : undefined}
          >
            <title>{`slice ${i + 1}: ${formatScore(p.value)}${i === marked && markedLabel ? ` (${markedLabel})` : ''}`}</title>
          </circle>
        ) : null,
      )}
    </svg>
  );
}
