// Welch's unequal-variances t-test. Pure.
import { tCdf, tSf } from './distributions.js';
import { mean, variance } from './robust.js';

export interface WelchResult {
  t: number;
  df: number;
  /** Two-sided p-value. */
  p: number;
  /** P-value for "mean of b is greater than mean of a". */
  pGreater: number;
  /** P-value for "mean of b is less than mean of a". */
  pLess: number;
}

/** Compares b against a (t > 0 when b's mean is larger). Each sample needs at least 2 values. */
export function welch(a: readonly number[], b: readonly number[]): WelchResult {
  const na = a.length;
  const nb = b.length;
  const va = variance(a) / na;
  const vb = variance(b) / nb;
  const diff = mean(b) - mean(a);
  const se2 = va + vb;
  if (se2 === 0) {
    // No spread at all: any difference is certain, none is nothing.
    const t = diff === 0 ? 0 : diff > 0 ? Infinity : -Infinity;
    return { t, df: na + nb - 2, p: diff === 0 ? 1 : 0, pGreater: diff > 0 ? 0 : 1, pLess: diff < 0 ? 0 : 1 };
  }
  const t = diff / Math.sqrt(se2);
  const df = se2 ** 2 / ((va * va) / (na - 1) + (vb * vb) / (nb - 1));
  const pGreater = tSf(t, df);
  const pLess = tCdf(t, df);
  return { t, df, p: Math.min(1, 2 * Math.min(pGreater, pLess)), pGreater, pLess };
}
