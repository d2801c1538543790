// How far a duet's estimate leans from run to run, beyond what its own pairs scatter: read from
// the stored runs that were duets against a stored build (each keeps its comparisons' estimates
// and standard errors). A duet's pairs share one run's machine, checkouts and starts, so whatever
// a run fixes for its whole length is invisible to them; the stored runs see it (measured on one
// 2-core machine: p50 of gunicorn + Flask moved with an sd of 4 % from run to run of an unchanged
// build, and one such run in 57 proved a +10 % "regression" from its pairs alone). Pure.
import type { DuetEstimate, HistoryRecord } from '../contract/record.js';
import { median, tailSd } from '../stats/robust.js';
import { comparisonKey } from './ab.js';

/** One comparison's lean: an sd on its analysis scale (log-ratio, or the share's difference), from `runs` stored duets. */
export interface RunLean {
  sd: number;
  runs: number;
}

export interface LeanEvidence {
  /** By comparison key ("p50 of items"): comparisons with at least `minRuns` stored estimates. */
  leans: Map<string, RunLean>;
  /** Stored duets of this config and runner class read (newest `window`). */
  runs: number;
}

export const LEAN_WINDOW = 20;
export const LEAN_MIN_RUNS = 5;

/**
 * Per comparison, the between-run sd of the stored duets' estimates less what their own pairs
 * explain: their sd read from the 80th percentile of the deviations from their median (tailSd: a
 * fifth of them may be real changes among the pushes without counting as lean), squared, minus
 * the median squared standard error, floored at 0. Not MAD: a lean is peaked and heavy-tailed
 * (gunicorn + Flask's p50 on one machine: sd 4.1 %, 1.4826 · MAD 2.4 %, 80th percentile 4.2 %,
 * a quarter of the runs beyond ±5 %), and the tails are what fail a gate. The newest `window`
 * duets of this config and runner class; a comparison with fewer than `minRuns` gets none.
 */
export function runToRunLean(
  records: readonly HistoryRecord[],
  current: { fingerprint: string; runner: string },
  o: { window?: number; minRuns?: number } = {},
): LeanEvidence {
  const window = o.window ?? LEAN_WINDOW;
  const minRuns = o.minRuns ?? LEAN_MIN_RUNS;
  const duets = records
    .filter((r) => r.fingerprint === current.fingerprint && r.runner === current.runner && Array.isArray(r.duet?.estimates))
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.savedAt.localeCompare(a.savedAt))
    .slice(0, window);
  const byKey = new Map<string, DuetEstimate[]>();
  for (const r of duets)
    for (const e of r.duet!.estimates) {
      // A hand-edited or damaged entry is passed over, not the record.
      if (typeof e?.scenario !== 'string' || typeof e.metric !== 'string' || !Number.isFinite(e.estimate) || !Number.isFinite(e.se))
        continue;
      const key = comparisonKey(e);
      byKey.set(key, [...(byKey.get(key) ?? []), e]);
    }
  const leans = new Map<string, RunLean>();
  for (const [key, es] of byKey) {
    if (es.length < minRuns) continue;
    const between = tailSd(es.map((e) => e.estimate)) ** 2 - median(es.map((e) => e.se ** 2));
    leans.set(key, { sd: Math.sqrt(Math.max(0, between)), runs: es.length });
  }
  return { leans, runs: duets.length };
}
