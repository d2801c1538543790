// Hodges–Lehmann shift estimate with the Moses confidence interval (two samples). Pure.
// Conventions follow R's wilcox.test(x, y, conf.int = TRUE): the shift is of x relative to y,
// estimated as the median of all pairwise differences x_i − y_j.
import { normalQuantile } from './distributions.js';
import { exactCdf, rank } from './mann-whitney.js';
import { median } from './robust.js';

export interface ShiftEstimate {
  estimate: number;
  lower: number;
  upper: number;
  /** Confidence level actually requested (e.g. 0.95). */
  level: number;
  method: 'exact' | 'normal';
}

export function hodgesLehmann(x: readonly number[], y: readonly number[], level = 0.95): ShiftEstimate {
  const n1 = x.length;
  const n2 = y.length;
  const diffs: number[] = [];
  for (const a of x) for (const b of y) diffs.push(a - b);
  diffs.sort((a, b) => a - b);
  const estimate = median(diffs);
  const alpha = 1 - level;
  const m = n1 * n2;
  const ties = rank([...x, ...y]).tieTerm > 0;
  let qu: number;
  let method: ShiftEstimate['method'];
  if (!ties && m <= 2500) {
    // qwilcox(alpha/2, n1, n2): the smallest u with P(U ≤ u) ≥ alpha/2.
    const cdf = exactCdf(n1, n2);
    qu = 0;
    while (qu < m && cdf[qu]! < alpha / 2) qu++;
    method = 'exact';
  } else {
    const sigma = Math.sqrt((m * (n1 + n2 + 1)) / 12);
    qu = Math.ceil(m / 2 + sigma * normalQuantile(alpha / 2) - 0.5);
    method = 'normal';
  }
  if (qu < 1) qu = 1; // as R: too few observations for the level; the interval is then the full range
  const lower = diffs[qu - 1]!;
  const upper = diffs[m - qu]!;
  return { estimate, lower, upper, level, method };
}
