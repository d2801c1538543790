// Mann–Whitney U test: exact null distribution for small samples without ties, normal
// approximation with tie and continuity correction otherwise. Pure.
import { normalSf } from './distributions.js';

export type Alternative = 'greater' | 'less' | 'two-sided';

export interface MannWhitneyResult {
  /** U of the first sample: #pairs with x > y, plus half the ties. */
  u: number;
  p: number;
  method: 'exact' | 'normal';
}

/** Largest n1·n2 for which the exact distribution is computed. */
const EXACT_LIMIT = 2500;

/**
 * Tests whether x tends to be larger than y (`greater`), smaller (`less`) or either.
 * Matches scipy.stats.mannwhitneyu(x, y, alternative, method='auto'-like: exact when no ties and
 * n1·n2 ≤ 2500, else 'asymptotic' with use_continuity=True).
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], alternative: Alternative): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (!n1 || !n2) return { u: 0, p: 1, method: 'exact' };
  const { ranks, tieTerm } = rank([...x, ...y]);
  const r1 = ranks.slice(0, n1).reduce((a, b) => a + b, 0);
  const u = r1 - (n1 * (n1 + 1)) / 2;
  if (tieTerm === 0 && n1 * n2 <= EXACT_LIMIT) {
    const cdf = exactCdf(n1, n2);
    const sf = (k: number): number => 1 - (k <= 0 ? 0 : cdf[Math.min(k - 1, cdf.length - 1)]!); // P(U ≥ k)
    const pGreater = sf(Math.round(u));
    const pLess = cdf[Math.round(u)]!; // P(U ≤ u)
    const p = alternative === 'greater' ? pGreater : alternative === 'less' ? pLess : Math.min(1, 2 * Math.min(pGreater, pLess));
    return { u, p, method: 'exact' };
  }
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sigma === 0) return { u, p: 1, method: 'normal' };
  const zGreater = (u - mu - 0.5) / sigma;
  const zLess = (mu - u - 0.5) / sigma;
  let p: number;
  if (alternative === 'greater') p = normalSf(zGreater);
  else if (alternative === 'less') p = normalSf(zLess);
  else p = Math.min(1, 2 * normalSf((Math.abs(u - mu) - 0.5) / sigma));
  return { u, p, method: 'normal' };
}

/** Mid-ranks (1-based) and Σ(t³ − t) over tie groups. */
export function rank(values: readonly number[]): { ranks: number[]; tieTerm: number } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  let tieTerm = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = r;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  return { ranks, tieTerm };
}

const cdfCache = new Map<string, Float64Array>();

/** P(U ≤ k) for k = 0 … n1·n2 under H0, no ties. */
export function exactCdf(n1: number, n2: number): Float64Array {
  const key = n1 <= n2 ? `${n1},${n2}` : `${n2},${n1}`;
  const hit = cdfCache.get(key);
  if (hit) return hit;
  const [a, b] = n1 <= n2 ? [n1, n2] : [n2, n1];
  // f[i][u]: arrangements of i items of the first sample among j of the second, built up in j.
  // Recurrence on the number of partitions of u into at most `a` parts each ≤ `b`:
  // counts(a, b, u) = counts(a, b-1, u) + counts(a-1, b, u-b) — iterate with a 2-D table over a.
  let prev: Float64Array[] = Array.from({ length: a + 1 }, (_, i) => {
    const arr = new Float64Array(a * b + 1);
    if (i === 0) arr[0] = 1;
    return arr;
  });
  // j = 0 columns: only u = 0 with i = 0 … for i > 0 and j = 0 there is one arrangement with U = 0.
  for (let i = 1; i <= a; i++) prev[i]![0] = 1;
  for (let j = 1; j <= b; j++) {
    const next: Float64Array[] = Array.from({ length: a + 1 }, () => new Float64Array(a * b + 1));
    next[0]![0] = 1;
    for (let i = 1; i <= a; i++) {
      const cur = next[i]!;
      const left = prev[i]!; // one fewer of the second sample: last element is from the second sample
      const up = next[i - 1]!; // last element from the first sample, exceeding all j of the second
      for (let u = 0; u <= i * j; u++) cur[u] = left[u]! + (u >= j ? up[u - j]! : 0);
    }
    prev = next;
  }
  const counts = prev[a]!;
  let total = 0;
  for (const c of counts) total += c;
  const cdf = new Float64Array(counts.length);
  let acc = 0;
  for (let u = 0; u < counts.length; u++) {
    acc += counts[u]!;
    cdf[u] = Math.min(1, acc / total);
  }
  cdfCache.set(key, cdf);
  return cdf;
}
