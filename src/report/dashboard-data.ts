// What the dashboard shows, from stored runs: one config's runs over time, per scenario
// p50/p95/p99 and throughput (each run's median over its trials), stress-ramp capacity, defined
// service metrics, service CPU, memory and memory growth,
// regressions found when each run was made, and level shifts (change points). Pure.
import type { HistoryRecord } from '../contract/record.js';
import { latestChangePoint } from '../stats/changepoint.js';
import { median } from '../stats/robust.js';

export interface DashboardData {
  title: string;
  generatedAt: string;
  repoUrl: string | null;
  fingerprint: string;
  runner: string;
  /** Other configs' runs left out (different fingerprints are not comparable). */
  omitted: number;
  runs: {
    id: string;
    t: number;
    sha: string | null;
    branch: string | null;
    verdict: string;
    regressions: string[];
    /** Flame graphs published next to the dashboard: scenario → page (relative to the dashboard). */
    profiles: { scenario: string; page: string }[];
  }[];
  scenarios: {
    name: string;
    p50: (number | null)[];
    p95: (number | null)[];
    p99: (number | null)[];
    rps: (number | null)[];
    /** Stress ramps: the capacity each run found (req/s); null elsewhere. */
    capacity: (number | null)[] | null;
    /** Indices of runs where the p95 level shifted. */
    changePoints: number[];
    /**
     * Service metrics defined in the config: each run's median over its trials, in the unit
     * shown (`%` for percent metrics, stored as fractions and drawn 0–100; '' when unknown).
     */
    metrics: { name: string; unit: string; values: (number | null)[] }[];
  }[];
  service: { cpu: (number | null)[]; memoryMb: (number | null)[]; growthMbPerMin: (number | null)[] };
}

/** Four significant digits: enough to tell values apart, small enough to embed (0.001234, 12.35, 1235). */
export function round4(x: number): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(4));
}

const med = (xs: number[]): number | null => (xs.length ? round4(median(xs)) : null);

/** A defined metric's unit as charts show it, and the factor from stored values to shown ones. */
export function shownUnit(unit: string | undefined): { unit: string; factor: number } {
  switch (unit) {
    case 'fraction':
      return { unit: '%', factor: 100 };
    case 'bytes':
      return { unit: 'MB', factor: 1 / 2 ** 20 };
    case 'ms':
      return { unit: 'ms', factor: 1 };
    case 'per-second':
      return { unit: '/s', factor: 1 };
    default:
      return { unit: '', factor: 1 };
  }
}

/** All change points of a series by binary segmentation around the latest-change-point test. */
export function changePoints(values: (number | null)[], depth = 4): number[] {
  const idx = values.map((v, i) => [v, i] as const).filter((x): x is readonly [number, number] => x[0] !== null && x[0] > 0);
  const out: number[] = [];
  const walk = (from: number, to: number, d: number): void => {
    if (d === 0 || to - from < 6) return;
    const cp = latestChangePoint(idx.slice(from, to).map(([v]) => Math.log(v)));
    if (!cp) return;
    out.push(idx[from + cp.index]![1]);
    walk(from, from + cp.index, d - 1);
    walk(from + cp.index, to, d - 1);
  };
  walk(0, idx.length, depth);
  return out.sort((a, b) => a - b);
}

export function buildDashboardData(
  records: readonly HistoryRecord[],
  opts: { title: string; repoUrl: string | null; now: Date },
): DashboardData {
  const sorted = [...records].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const latest = sorted[sorted.length - 1];
  const fingerprint = latest?.fingerprint ?? '';
  const runner = latest?.runner ?? '';
  const runs = sorted.filter((r) => r.fingerprint === fingerprint && r.runner === runner);
  const names = [...new Set(runs.flatMap((r) => r.scenarios.map((s) => s.name)))];
  // Units of defined metrics: the newest record that names one decides (older records carry none).
  const units: Record<string, string> = {};
  for (const r of runs) Object.assign(units, r.units ?? {});
  return {
    title: opts.title,
    generatedAt: opts.now.toISOString(),
    repoUrl: opts.repoUrl,
    fingerprint,
    runner,
    omitted: sorted.length - runs.length,
    runs: runs.map((r) => ({
      id: r.id,
      t: Math.round(Date.parse(r.startedAt) / 1000),
      sha: r.git?.sha ?? null,
      branch: r.git?.branch ?? null,
      verdict: r.verdict,
      regressions: r.regressions ?? [],
      // Only pages perfgate wrote (profiles/ID/FILE.html), whatever a record says.
      profiles: (r.profiles ?? []).filter((p) => /^profiles\/[\w.-]+\/[\w.-]+\.html$/.test(p.page)),
    })),
    scenarios: names.map((name) => {
      const trials = runs.map((r) => r.scenarios.find((s) => s.name === name)?.trials ?? []);
      const series = (f: (t: (typeof trials)[number][number]) => number | null) =>
        trials.map((ts) => med(ts.map(f).filter((v): v is number => v !== null)));
      const p95 = series((t) => t.p95);
      const figures = runs.map((r) => r.scenarios.find((s) => s.name === name));
      const ramp = figures.some((f) => f?.capacity !== undefined);
      const metricNames = [...new Set(trials.flatMap((ts) => ts.flatMap((t) => Object.keys(t.metrics ?? {}))))];
      return {
        name,
        p50: series((t) => t.p50),
        p95,
        p99: series((t) => t.p99),
        rps: series((t) => t.rps),
        capacity: ramp ? figures.map((f) => (typeof f?.capacity === 'number' ? Math.round(f.capacity) : null)) : null,
        changePoints: changePoints(p95),
        metrics: metricNames.map((m) => {
          const shown = shownUnit(units[m]);
          return {
            name: m,
            unit: shown.unit,
            values: trials.map((ts) =>
              med(
                ts
                  .map((t) => t.metrics?.[m])
                  .filter((v): v is number => typeof v === 'number')
                  .map((v) => v * shown.factor),
              ),
            ),
          };
        }),
      };
    }),
    service: {
      cpu: runs.map((r) => r.service?.cpuMean ?? null),
      memoryMb: runs.map((r) =>
        r.service?.memoryPeak === undefined || r.service.memoryPeak === null
          ? null
          : Math.round((r.service.memoryPeak / 2 ** 20) * 10) / 10,
      ),
      growthMbPerMin: runs.map((r) =>
        typeof r.service?.memoryGrowth === 'number' ? Math.round((r.service.memoryGrowth / 2 ** 20) * 100) / 100 : null,
      ),
    },
  };
}
