/** A series of points on a shared time axis; `null` values leave a gap. */
export interface Series {
  color: string;
  points: { t: number; v: number | null }[];
}

const W = 600;
const H = 120;
const PAD = 4;

/**
 * Draws lines into an SVG (viewBox 600×120) over the last `spanMs`; `max` fixes the y scale (else
 * the largest value). Gaps (`null`) are shown as red ticks at the bottom: nothing answered.
 */
export function drawLines(
  svg: SVGSVGElement,
  series: Series[],
  options: { spanMs: number; now: number; max?: number },
): void {
  // Right after a start the axis covers only what there is, not an empty five minutes.
  const first = Math.min(options.now, ...series.flatMap((s) => s.points.map((p) => p.t)));
  const from = Math.max(options.now - options.spanMs, first);
  const span = Math.max(options.now - from, 4_000);
  const values = series.flatMap((s) => s.points.map((p) => p.v ?? 0));
  const max = options.max ?? Math.max(1, ...values);
  const x = (t: number) => ((t - from) / span) * W;
  const y = (v: number) => H - PAD - (v / max) * (H - 2 * PAD);
  const parts: string[] = [
    `<line x1="0" x2="${W}" y1="${y(max / 2)}" y2="${y(max / 2)}" stroke="#eef0f3" stroke-dasharray="4 4"/>`,
  ];
  for (const s of series) {
    let d = '';
    let pen = false;
    for (const p of s.points) {
      if (p.t < from) continue;
      if (p.v === null) {
        pen = false;
        parts.push(
          `<rect x="${x(p.t) - 2}" y="${H - 10}" width="4" height="10" fill="#d0312d" opacity="0.8"/>`,
        );
        continue;
      }
      d += `${pen ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
      pen = true;
    }
    // A lone point (one window with traffic) has no line: mark it.
    const shown = s.points.filter((p) => p.t >= from && p.v !== null);
    if (shown.length === 1 && shown[0])
      parts.push(
        `<circle cx="${x(shown[0].t)}" cy="${y(shown[0].v as number)}" r="3" fill="${s.color}"/>`,
      );
    if (d)
      parts.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" vector-effect="non-scaling-stroke"/>`,
      );
  }
  svg.innerHTML = parts.join('');
}
