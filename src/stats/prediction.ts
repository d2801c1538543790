// History mode: is this run's value out of line with the runs before it? A prediction test on
// the log scale with a robust centre and spread:
//   c = median(baseline), s = max(1.4826·MAD(baseline), floor), t = (y − c) / (s·√(1 + 1/N)),
//   one-sided p from Student-t with N − 1 degrees of freedom. Pure.
import { tCdf, tQuantile, tSf } from './distributions.js';
import { median, robustSd, variance } from './robust.js';

export type Worse = 'up' | 'down';

export interface PredictionResult {
  n: number;
  /** Baseline centre and the spread used, on the log scale. */
  center: number;
  spread: number;
  /** True when the within-run floor, not the baseline's own MAD, set the spread. */
  floored: boolean;
  t: number;
  df: number;
  /** One-sided p-value for "worse" and for "better". */
  pWorse: number;
  pBetter: number;
  /** How much worse this run is, as a fraction (+0.12 = 12 % worse; negative = better). */
  change: number;
  /** 95 % band for `change`. */
  band: [number, number];
  /** Smallest worsening (fraction) that would reach one-sided significance at `mdeAlpha`. */
  mde: number;
}

export interface PredictionOptions {
  worse: Worse;
  /** Lower bound for the spread (log scale), e.g. the standard error of this run's median. */
  floor?: number;
  /** Significance level the minimum detectable effect is computed for. */
  mdeAlpha: number;
  /** Two-sided level of the band. Default 0.95. */
  bandLevel?: number;
}

export function predictionTest(baseline: readonly number[], current: number, opts: PredictionOptions): PredictionResult {
  const n = baseline.length;
  const center = median(baseline);
  const mad = robustSd(baseline);
  const floor = opts.floor ?? 0;
  const spread = Math.max(mad, floor, 1e-12);
  const scale = spread * Math.sqrt(1 + 1 / n);
  const df = Math.max(1, n - 1);
  const diff = current - center;
  const t = diff / scale;
  const up = opts.worse === 'up';
  const pUp = tSf(t, df);
  const pDown = tCdf(t, df);
  const half = tQuantile(1 - (1 - (opts.bandLevel ?? 0.95)) / 2, df) * scale;
  const worseFraction = (logDiff: number): number => (up ? Math.expm1(logDiff) : -Math.expm1(logDiff));
  const a = worseFraction(diff - half);
  const b = worseFraction(diff + half);
  const d = tQuantile(1 - opts.mdeAlpha, df) * scale;
  return {
    n,
    center,
    spread,
    floored: floor > mad,
    t,
    df,
    pWorse: up ? pUp : pDown,
    pBetter: up ? pDown : pUp,
    change: worseFraction(diff),
    band: [Math.min(a, b), Math.max(a, b)],
    mde: up ? Math.expm1(d) : -Math.expm1(-d),
  };
}

/**
 * Spread floor from this run's own trials (log values): the standard error of their median, from
 * a robust sd (1.4826·MAD) where there are four trials or more. With the sample sd, one disturbed
 * trial of five (a sub-millisecond p95 twice its run's others) set the floor for the whole run:
 * a run with every latency ×1.5 read "inconclusive, −21 % … +196 %" against 12 steady stored runs,
 * though its level (its least disturbed trial) was not moved by that trial at all.
 */
export function withinRunFloor(trialLogs: readonly number[]): number {
  const k = trialLogs.length;
  if (k < 2) return 0;
  const sd = k >= 4 ? robustSd(trialLogs) : Math.sqrt(variance(trialLogs));
  return (1.2533 * sd) / Math.sqrt(k);
}
