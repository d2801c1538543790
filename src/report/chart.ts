// The trend chart for reports and PR comments: a Mermaid xychart-beta block (GitHub renders it)
// of the gating latency (p95) of the main scenario over the baseline runs, with this run marked
// by a bar. Absent when there is no history to draw. Pure.
import type { Comparison, RunResult } from '../contract/result.js';

/** Mermaid takes labels in double quotes: keep them to harmless characters. */
function label(text: string, max = 40): string {
  const clean = text
    .replace(/[^\p{L}\p{N} ._:/()-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean || '?';
}

const num = (x: number): string => String(x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(4)));

/** The comparison the chart shows: p95 of the first scenario that has a trend. */
export function chartedComparison(run: RunResult): Comparison | undefined {
  const r = run.regression;
  if (!r) return undefined;
  for (const name of run.config.scenarios) {
    const c = r.comparisons.find((x) => x.scenario === name && x.metric === 'p95' && x.trend.length > 0);
    if (c) return c;
  }
  return undefined;
}

export function mermaidTrend(run: RunResult): string | null {
  const c = chartedComparison(run);
  if (!c) return null;
  const points = [...c.trend.map((t) => ({ x: t.sha ? t.sha.slice(0, 7) : t.id.slice(-6), y: t.value })), { x: 'this run', y: c.current }];
  const top = Math.max(...points.map((p) => p.y)) * 1.15;
  return [
    '```mermaid',
    'xychart-beta',
    `    title "p95 of ${label(c.scenario)} (ms): ${c.trend.length} baseline runs and this run"`,
    `    x-axis [${points.map((p) => `"${label(p.x, 12)}"`).join(', ')}]`,
    `    y-axis "p95 (ms)" 0 --> ${num(top)}`,
    `    line [${points.map((p) => num(p.y)).join(', ')}]`,
    `    bar [${points.map((p, i) => (i === points.length - 1 ? num(p.y) : '0')).join(', ')}]`,
    '```',
  ].join('\n');
}
