// The two charts, drawn as inline SVG at the size of their box: the attendance
// timeline and the engagement histogram. Each has a text summary for screen readers
// and its numbers in a table one click away.
import { useState } from "preact/hooks";

import { fmt } from "./format";
import type { Bucket } from "./queries";
import { useWidth } from "./session";

/** Round tick values from 0 to at least `max` (about `count` of them). */
export function niceTicks(max: number, count = 4): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const whole = step < 1 ? 1 : step;
  const ticks: number[] = [];
  for (let value = 0; value < max + whole; value += whole) {
    ticks.push(value);
    if (value >= max) break;
  }
  return ticks;
}

const MARGIN = { top: 12, right: 16, bottom: 30, left: 44 };

export function TimelineChart(props: { buckets: Bucket[]; bucketMinutes: number }) {
  const [box, width] = useWidth<HTMLDivElement>();
  const [hover, setHover] = useState<number | null>(null);
  const { buckets } = props;
  const height = width < 480 ? 200 : 260;
  const innerWidth = Math.max(0, width - MARGIN.left - MARGIN.right);
  const innerHeight = height - MARGIN.top - MARGIN.bottom;
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.peakLiveViewers, b.peakRecordingViewers, b.joins)));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1];
  const n = Math.max(1, buckets.length);
  const band = innerWidth / n;
  const x = (i: number) => MARGIN.left + band * (i + 0.5);
  const y = (v: number) => MARGIN.top + innerHeight - (v / top) * innerHeight;
  const line = (key: "peakLiveViewers" | "peakRecordingViewers") =>
    buckets.map((b, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(b[key]).toFixed(1)}`).join(" ");
  const area =
    buckets.length > 0
      ? `${line("peakLiveViewers")} L${x(buckets.length - 1).toFixed(1)},${y(0)} L${x(0).toFixed(1)},${y(0)} Z`
      : "";
  const labelEvery = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(innerWidth / 70))));
  const peak = buckets.reduce<number>((best, b, i) => (b.peakLiveViewers > (buckets[best]?.peakLiveViewers ?? -1) ? i : best), 0);
  const focus = hover ?? peak;
  const focused = buckets[focus];
  const barWidth = Math.max(1, Math.min(14, band * 0.6));
  const totalJoins = buckets.reduce((sum, b) => sum + b.joins, 0);

  const summary = focused
    ? `Attendance timeline in ${props.bucketMinutes}-minute buckets: the live audience peaked at ${fmt.int(
        buckets[peak]?.peakLiveViewers ?? 0,
      )} viewers at ${fmt.time(buckets[peak]?.startTime ?? 0)}; ${fmt.int(totalJoins)} joins in all.`
    : "No attendance data.";

  const onMove = (event: MouseEvent) => {
    const rect = (event.currentTarget as SVGElement).getBoundingClientRect();
    const i = Math.floor((event.clientX - rect.left - MARGIN.left) / band);
    setHover(i >= 0 && i < buckets.length ? i : null);
  };

  return (
    <div class="chart">
      <ul class="legend" aria-hidden="true">
        <li><span class="swatch swatch-live" />Live viewers (peak)</li>
        <li><span class="swatch swatch-recording" />Recording viewers (peak)</li>
        <li><span class="swatch swatch-joins" />Joins</li>
      </ul>
      {focused && (
        <p class="chart-readout" aria-hidden="true">
          <strong>{fmt.time(focused.startTime)}</strong>
          <span><span class="dot dot-live" />{fmt.int(focused.peakLiveViewers)} live</span>
          <span><span class="dot dot-recording" />{fmt.int(focused.peakRecordingViewers)} recording</span>
          <span><span class="dot dot-joins" />{fmt.int(focused.joins)} joins · {fmt.int(focused.leaves)} leaves</span>
          {hover === null && <span class="muted">(peak)</span>}
        </p>
      )}
      <div ref={box} class="chart-box">
        {width > 0 && (
          <svg width={width} height={height} role="img" aria-label={summary} onMouseMove={onMove} onMouseLeave={() => setHover(null)}>
            {ticks.map((t) => (
              <g key={t}>
                <line class="grid" x1={MARGIN.left} x2={width - MARGIN.right} y1={y(t)} y2={y(t)} />
                <text class="axis-label" x={MARGIN.left - 8} y={y(t)} dy="0.32em" text-anchor="end">
                  {fmt.int(t)}
                </text>
              </g>
            ))}
            {buckets.map((b, i) =>
              b.joins > 0 ? (
                <rect key={`j${i}`} class="bar-joins" x={x(i) - barWidth / 2} width={barWidth} y={y(b.joins)} height={y(0) - y(b.joins)} rx="1.5" />
              ) : null,
            )}
            <path class="area-live" d={area} />
            <path class="line-recording" d={line("peakRecordingViewers")} />
            <path class="line-live" d={line("peakLiveViewers")} />
            {focused && (
              <g>
                <line class="cursor" x1={x(focus)} x2={x(focus)} y1={MARGIN.top} y2={y(0)} />
                <circle class="point-live" cx={x(focus)} cy={y(focused.peakLiveViewers)} r="4" />
              </g>
            )}
            <line class="axis" x1={MARGIN.left} x2={width - MARGIN.right} y1={y(0)} y2={y(0)} />
            {buckets.map((b, i) =>
              i % labelEvery === 0 ? (
                <text key={`x${i}`} class="axis-label" x={x(i)} y={height - 10} text-anchor="middle">
                  {fmt.time(b.startTime)}
                </text>
              ) : null,
            )}
            <text class="axis-title" x={12} y={MARGIN.top + innerHeight / 2} transform={`rotate(-90 12 ${MARGIN.top + innerHeight / 2})`} text-anchor="middle">
              Viewers
            </text>
          </svg>
        )}
      </div>
      <details class="chart-data">
        <summary>Show the numbers</summary>
        <div class="table-scroll" tabIndex={0} role="region" aria-label="Attendance timeline numbers">
          <table class="table table-compact">
            <caption class="visually-hidden">Attendance by {props.bucketMinutes}-minute bucket</caption>
            <thead>
              <tr>
                <th scope="col">Bucket start</th>
                <th scope="col" class="num">Peak live</th>
                <th scope="col" class="num">Peak recording</th>
                <th scope="col" class="num">Joins</th>
                <th scope="col" class="num">Leaves</th>
              </tr>
            </thead>
            <tbody>
              {buckets.map((b) => (
                <tr key={b.startTime}>
                  <th scope="row">{fmt.time(b.startTime)}</th>
                  <td class="num">{fmt.int(b.peakLiveViewers)}</td>
                  <td class="num">{fmt.int(b.peakRecordingViewers)}</td>
                  <td class="num">{fmt.int(b.joins)}</td>
                  <td class="num">{fmt.int(b.leaves)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}

export interface HistogramBin {
  from: number;
  to: number;
  count: number;
  attended: number;
}

/** Registrants by engagement (watched share of the video), in ten 10-point bins. */
export function binEngagement(values: { engagement: number; attended: boolean }[]): HistogramBin[] {
  const bins: HistogramBin[] = Array.from({ length: 10 }, (_, i) => ({ from: i * 10, to: i * 10 + 10, count: 0, attended: 0 }));
  for (const value of values) {
    const i = Math.min(9, Math.max(0, Math.floor(value.engagement / 10)));
    bins[i].count += 1;
    if (value.attended) bins[i].attended += 1;
  }
  return bins;
}

export function Histogram(props: { bins: HistogramBin[] }) {
  const [box, width] = useWidth<HTMLDivElement>();
  const height = width < 360 ? 200 : 260;
  const margin = { ...MARGIN, left: 48 };
  const innerWidth = Math.max(0, width - margin.left - margin.right);
  const innerHeight = height - margin.top - margin.bottom - 14;
  const max = Math.max(1, ...props.bins.map((b) => b.count));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1];
  const band = innerWidth / props.bins.length;
  const y = (v: number) => margin.top + innerHeight - (v / top) * innerHeight;
  const total = props.bins.reduce((sum, b) => sum + b.count, 0);
  const mode = props.bins.reduce((best, b) => (b.count > best.count ? b : best), props.bins[0]);
  const summary = `Engagement histogram of ${fmt.int(total)} registrants; the most common range is ${mode.from}–${mode.to} % with ${fmt.int(mode.count)}.`;
  return (
    <div class="chart">
      <ul class="legend" aria-hidden="true">
        <li><span class="swatch swatch-engaged" />Registrants</li>
        <li><span class="swatch swatch-attended" />of whom attended</li>
      </ul>
      <div ref={box} class="chart-box">
        {width > 0 && (
          <svg width={width} height={height} role="img" aria-label={summary}>
            {ticks.map((t) => (
              <g key={t}>
                <line class="grid" x1={margin.left} x2={width - margin.right} y1={y(t)} y2={y(t)} />
                <text class="axis-label" x={margin.left - 8} y={y(t)} dy="0.32em" text-anchor="end">
                  {fmt.int(t)}
                </text>
              </g>
            ))}
            {props.bins.map((b, i) => {
              const x0 = margin.left + band * i + band * 0.12;
              const w = band * 0.76;
              return (
                <g key={b.from}>
                  <rect class="bar-engaged" x={x0} width={w} y={y(b.count)} height={y(0) - y(b.count)} rx="2">
                    <title>{`${b.from}–${b.to} %: ${b.count} registrants, ${b.attended} attended`}</title>
                  </rect>
                  <rect class="bar-attended" x={x0 + w * 0.2} width={w * 0.6} y={y(b.attended)} height={y(0) - y(b.attended)} rx="1.5" />
                  {b.count > 0 && width >= 360 && (
                    <text class="bar-label" x={x0 + w / 2} y={y(b.count) - 5} text-anchor="middle">
                      {fmt.int(b.count)}
                    </text>
                  )}
                </g>
              );
            })}
            <line class="axis" x1={margin.left} x2={width - margin.right} y1={y(0)} y2={y(0)} />
            {props.bins.map((b, i) => (
              <text key={`t${b.from}`} class="axis-label" x={margin.left + band * i} y={y(0) + 16} text-anchor="middle">
                {b.from}
              </text>
            ))}
            <text class="axis-label" x={margin.left + innerWidth} y={y(0) + 16} text-anchor="middle">
              100
            </text>
            <text class="axis-title" x={margin.left + innerWidth / 2} y={height - 4} text-anchor="middle">
              Engagement (% of the video watched)
            </text>
            <text class="axis-title" x={12} y={margin.top + innerHeight / 2} transform={`rotate(-90 12 ${margin.top + innerHeight / 2})`} text-anchor="middle">
              Registrants
            </text>
          </svg>
        )}
      </div>
      <details class="chart-data">
        <summary>Show the numbers</summary>
        <table class="table table-compact">
          <caption class="visually-hidden">Registrants by engagement range</caption>
          <thead>
            <tr>
              <th scope="col">Engagement</th>
              <th scope="col" class="num">Registrants</th>
              <th scope="col" class="num">Attended</th>
            </tr>
          </thead>
          <tbody>
            {props.bins.map((b) => (
              <tr key={b.from}>
                <th scope="row">{`${b.from}–${b.to} %`}</th>
                <td class="num">{fmt.int(b.count)}</td>
                <td class="num">{fmt.int(b.attended)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
