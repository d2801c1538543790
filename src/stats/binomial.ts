// Binomial proportions: the Clopper–Pearson ("exact") interval, from beta quantiles. Pure.
import { incompleteBeta } from './special.js';

/** The beta distribution's quantile: x with I_x(a, b) = p (bisection; I is monotone in x). */
export function betaQuantile(p: number, a: number, b: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (incompleteBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Two-sided Clopper–Pearson interval for k successes in n trials. */
export function clopperPearson(k: number, n: number, level = 0.95): [number, number] {
  const alpha = 1 - level;
  const lower = k === 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1);
  const upper = k === n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k);
  return [lower, upper];
}
