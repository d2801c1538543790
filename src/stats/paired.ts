// Paired observations: one difference per pair (in A/B duet trials, log(head / base) of a metric
// measured on both builds at the same time). A one-sample t test and interval on the differences:
// the pairs' shared noise (the machine, a neighbour) cancels in each difference, so what is left
// is the spread of the differences alone. Pure.
import { mean, variance } from './robust.js';
import { tQuantile, tSf } from './distributions.js';

export interface PairedTest {
  n: number;
  /** Mean difference. */
  estimate: number;
  /** Two-sided interval at `level`. */
  lower: number;
  upper: number;
  /** One-sided p-values: the mean difference is above 0 / below 0. */
  pGreater: number;
  pLess: number;
  /** Standard deviation of the differences (crossed over: within the arrangements). */
  sd: number;
  /** Crossed over: half the difference of the arrangements' means (the slot's effect). */
  slot?: number;
  /** Standard error of `estimate` and its degrees of freedom (absent with fewer than 2 differences). */
  se?: number;
  df?: number;
}

export function pairedT(diffs: readonly number[], level = 0.95): PairedTest {
  const n = diffs.length;
  const m = n ? mean(diffs) : 0;
  if (n < 2) return { n, estimate: m, lower: -Infinity, upper: Infinity, pGreater: 1, pLess: 1, sd: Number.NaN };
  const sd = Math.sqrt(variance(diffs));
  const se = sd / Math.sqrt(n);
  if (se <= 1e-12 * Math.max(1e-12, Math.abs(m))) {
    // Every pair the same: the sign of the difference is certain, its size exactly known.
    return { n, estimate: m, lower: m, upper: m, pGreater: m > 0 ? 0 : 1, pLess: m < 0 ? 0 : 1, sd, se, df: n - 1 };
  }
  const t = m / se;
  const q = tQuantile(1 - (1 - level) / 2, n - 1);
  return { n, estimate: m, lower: m - q * se, upper: m + q * se, pGreater: tSf(t, n - 1), pLess: tSf(-t, n - 1), sd, se, df: n - 1 };
}

/**
 * Pairs measured in two arrangements (a duet crossed over: the base held the first slot, then
 * the head did): each pair's difference is the effect plus the slot's effect in arrangement 0,
 * minus it in arrangement 1. The effect is the mean of the two arrangements' means, so the slot
 * effect cancels however many pairs each arrangement has; its variance is σ²/4 · (1/n0 + 1/n1),
 * σ² pooled within the arrangements (n − 2 degrees of freedom). With pairs in one arrangement
 * only, the plain paired test.
 */
export function crossoverT(diffs: readonly number[], arrangement: readonly (0 | 1)[], level = 0.95): PairedTest {
  const groups: [number[], number[]] = [[], []];
  diffs.forEach((d, i) => groups[arrangement[i] ?? 0].push(d));
  const [g0, g1] = groups;
  if (!g0.length || !g1.length || diffs.length < 3) return pairedT(diffs, level);
  const m0 = mean(g0);
  const m1 = mean(g1);
  const m = (m0 + m1) / 2;
  const slot = (m0 - m1) / 2;
  const df = diffs.length - 2;
  const ss = g0.reduce((a, x) => a + (x - m0) ** 2, 0) + g1.reduce((a, x) => a + (x - m1) ** 2, 0);
  const sd = Math.sqrt(ss / df);
  const se = (sd / 2) * Math.sqrt(1 / g0.length + 1 / g1.length);
  if (se <= 1e-12 * Math.max(1e-12, Math.abs(m)))
    return { n: diffs.length, estimate: m, lower: m, upper: m, pGreater: m > 0 ? 0 : 1, pLess: m < 0 ? 0 : 1, sd, slot, se, df };
  const t = m / se;
  const q = tQuantile(1 - (1 - level) / 2, df);
  return { n: diffs.length, estimate: m, lower: m - q * se, upper: m + q * se, pGreater: tSf(t, df), pLess: tSf(-t, df), sd, slot, se, df };
}

/**
 * The test with a run-to-run lean added: what one run's estimate moves from one run to the next
 * beyond its own pairs' scatter (an sd on the same scale, estimated from `runs` earlier runs'
 * estimates). Its variance adds to the estimate's; the degrees of freedom are Welch–Satterthwaite's
 * over both parts (the pairs' df, and runs − 1 for the lean). More pairs shrink the first part
 * only, so a lean sets a floor under the interval however long the run.
 */
export function withRunLean(test: PairedTest, lean: number, runs: number, level = 0.95): PairedTest {
  if (!(lean > 0) || test.se === undefined || test.df === undefined) return test;
  const a = test.se ** 2;
  const b = lean ** 2;
  const se = Math.sqrt(a + b);
  const df = (a + b) ** 2 / (a ** 2 / test.df + b ** 2 / Math.max(1, runs - 1));
  const m = test.estimate;
  const t = m / se;
  const q = tQuantile(1 - (1 - level) / 2, df);
  return { ...test, lower: m - q * se, upper: m + q * se, pGreater: tSf(t, df), pLess: tSf(-t, df), se, df };
}
