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
  /** Standard deviation of the differences. */
  sd: number;
}

export function pairedT(diffs: readonly number[], level = 0.95): PairedTest {
  const n = diffs.length;
  const m = n ? mean(diffs) : 0;
  if (n < 2) return { n, estimate: m, lower: -Infinity, upper: Infinity, pGreater: 1, pLess: 1, sd: Number.NaN };
  const sd = Math.sqrt(variance(diffs));
  const se = sd / Math.sqrt(n);
  if (se <= 1e-12 * Math.max(1e-12, Math.abs(m))) {
    // Every pair the same: the sign of the difference is certain, its size exactly known.
    return { n, estimate: m, lower: m, upper: m, pGreater: m > 0 ? 0 : 1, pLess: m < 0 ? 0 : 1, sd };
  }
  const t = m / se;
  const q = tQuantile(1 - (1 - level) / 2, n - 1);
  return { n, estimate: m, lower: m - q * se, upper: m + q * se, pGreater: tSf(t, n - 1), pLess: tSf(-t, n - 1), sd };
}
