// The "Service internals" section: where a service got worse, not only that it did. Memory
// growth (the RSS slope), stress-ramp capacity (every step, the knee) and the service's own
// Prometheus metrics, each led by a plain sentence. Pure; everything from the service or the
// config is escaped here.
import { formatNumber, formatValue } from '../analysis/format.js';
import { STEADY_MIN_BYTES_PER_MIN, STEADY_R2 } from '../analysis/growth.js';
import { label as loadLabel } from '../load/ramp.js';
import type { MemoryGrowth, RunResult, ScenarioResult } from '../contract/result.js';
import { code, md } from './markdown.js';

export interface InternalsView {
  findings: string[];
  growth: { scope: string; slope: string; ci: string; r2: string; samples: string; reading: string }[];
  ramps: {
    name: string;
    sentence: string;
    chart: string | null;
    rows: { step: number; load: string; rps: string; p50: string; p95: string; p99: string; errors: string; status: string }[];
  }[];
  metrics: {
    intro: string;
    columns: string[];
    rows: { name: string; expr: string; values: string[] }[];
    problems: string[];
  } | null;
}

const mbMin = (x: number): string => formatValue(x, 'bytes-per-minute');

function growthRow(scope: string, g: MemoryGrowth) {
  return {
    scope,
    slope: mbMin(g.slope),
    ci: `${mbMin(g.ci[0])} … ${mbMin(g.ci[1])}`,
    r2: g.r2.toFixed(2),
    samples: `${g.samples} (≈ ${formatNumber(g.effectiveSamples, 0)} independent)`,
    reading: g.steady
      ? '📈 grew steadily'
      : g.ci[0] > 0 && g.r2 >= STEADY_R2 && g.slope >= STEADY_MIN_BYTES_PER_MIN
        ? 'rose; too short a window to tell'
        : g.ci[0] > 0
          ? 'rose, not steadily'
          : 'flat within noise',
  };
}

/** null when there is nothing to show (no samples, no ramp, no metrics endpoint). */
export function internalsView(run: RunResult): InternalsView | null {
  const findings: string[] = [];
  const growth: InternalsView['growth'] = [];
  const runGrowth = run.service.memory?.growth;
  if (runGrowth) {
    findings.push(md(runGrowth.sentence));
    growth.push(growthRow('whole run (ramps excluded)', runGrowth));
    for (const s of run.scenarios) if (s.service.memory?.growth) growth.push(growthRow(md(s.name), s.service.memory.growth));
  }
  const ramps = run.scenarios.filter((s) => s.ramp).map(rampView);
  findings.push(...ramps.map((r) => r.sentence));
  const metrics = metricsView(run, findings);
  if (!growth.length && !ramps.length && !metrics) return null;
  return { findings, growth, ramps, metrics };
}

function rampView(s: ScenarioResult): InternalsView['ramps'][number] {
  const ramp = s.ramp!;
  const cap = ramp.capacity;
  const sentence = cap
    ? `Stress ramp "${md(s.name)}": capacity **${formatNumber(cap.rps, 0)} req/s** at ${loadLabel(ramp, cap.level)} (p95 ${formatValue(cap.p95, 'ms')}); ${md(ramp.stoppedBecause)}.`
    : `Stress ramp "${md(s.name)}": **no capacity found**, not even the first step met the conditions; ${md(ramp.stoppedBecause)}.`;
  return {
    name: md(s.name),
    sentence,
    chart: rampChart(s),
    rows: ramp.steps.map((st, i) => ({
      step: i + 1,
      load: loadLabel(ramp, st.level),
      rps: formatNumber(st.rps, 0),
      p50: formatValue(st.p50, 'ms'),
      p95: formatValue(st.p95, 'ms'),
      p99: formatValue(st.p99, 'ms'),
      errors: formatValue(st.errorRate, 'fraction'),
      status: st.ok ? (cap && cap.level === st.level ? '✅ capacity' : '✅') : `❌ ${md(st.broke ?? 'interrupted')}`,
    })),
  };
}

/**
 * The knee, on one axis: a rate ramp shows answered req/s per step (it stops following the offered
 * rate); a connection ramp shows p95 per step against its limit (throughput saturates, and what
 * grows is the wait).
 */
function rampChart(s: ScenarioResult): string | null {
  const ramp = s.ramp!;
  const steps = ramp.steps;
  if (steps.length < 2) return null;
  const round = (x: number): number => Math.round(x * 100) / 100;
  const byRate = ramp.by === 'rate';
  const values = steps.map((x) => (byRate ? Math.round(x.rps) : round(x.p95)));
  const limit = byRate ? null : ramp.stop.p95Ms;
  const top = Math.max(...values, limit ?? 0) * 1.15;
  return [
    '```mermaid',
    'xychart-beta',
    `    title "${byRate ? 'answered req/s per offered req/s' : 'p95 (ms) per connections'}${limit !== null ? ` (limit ${limit} ms)` : ''}"`,
    `    x-axis [${steps.map((x) => `"${x.level}"`).join(', ')}]`,
    `    y-axis "${byRate ? 'req/s' : 'p95 (ms)'}" 0 --> ${Math.ceil(top)}`,
    `    bar [${values.join(', ')}]`,
    ...(limit !== null ? [`    line [${steps.map(() => limit).join(', ')}]`] : []),
    '```',
  ].join('\n');
}

function metricsView(run: RunResult, findings: string[]): InternalsView['metrics'] {
  const m = run.metrics;
  if (!m) return null;
  const scenarios = run.scenarios.filter((s) => s.metrics);
  const fmt = (unit: string, v: { value: number | null; note?: string } | undefined): string =>
    !v ? '–' : v.value === null ? `❓ ${md(v.note ?? 'not measurable')}` : md(formatValue(v.value, unit));
  for (const d of m.definitions) {
    const v = m.values[d.name];
    if (v?.value !== null && v?.value !== undefined) findings.push(`${code(d.name)} was ${md(formatValue(v.value, d.unit))} over the run.`);
    else findings.push(`❓ ${code(d.name)} could not be measured: ${md(v?.note ?? 'not evaluated')}.`);
  }
  const problems = m.problems.map(md);
  if (m.failed) findings.push(`${m.failed} of ${m.scrapes} scrapes of ${code(m.url)} failed.`);
  return {
    intro: `Scraped ${code(m.url)} before and after every trial (${m.scrapes} scrapes, ${m.failed} failed). Counters count their increase over a trial, gauges their value after it; a scenario pools its trials.`,
    columns: ['whole run', ...scenarios.map((s) => md(s.name))],
    rows: m.definitions.map((d) => ({
      name: code(d.name) + (d.better ? ` (${d.better} is better)` : ''),
      expr: code(d.expr),
      values: [fmt(d.unit, m.values[d.name]), ...scenarios.map((s) => fmt(d.unit, s.metrics?.[d.name]))],
    })),
    problems,
  };
}
