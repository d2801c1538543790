// Least-squares slope of y over x with a separate intercept per group (the "within" estimator):
// slope = Σ (x − x̄_g)(y − ȳ_g) / Σ (x − x̄_g)², so level differences between groups (e.g. a
// scenario with 1000 connections holds more socket buffers) do not read as a trend. The
// confidence interval uses Student-t on an effective sample size corrected for lag-1
// autocorrelation of the residuals, n_eff = n·(1 − ρ)/(1 + ρ): resource samples taken every
// 500 ms are not independent, and the plain OLS interval would be too narrow. Pure.
import { tQuantile } from './distributions.js';

export interface SlopeFit {
  slope: number;
  /** Two-sided interval for the slope at `level`. */
  ci: [number, number];
  level: number;
  /** Share of the within-group variance of y that the line explains. */
  r2: number;
  n: number;
  /** Effective sample size after the autocorrelation correction. */
  nEff: number;
  /** Lag-1 autocorrelation of the residuals (0 when negative). */
  rho: number;
  groups: number;
}

export interface Point {
  x: number;
  y: number;
  /** Points of one group share an intercept; within a group, points are in x order. */
  group: number;
}

/** null when there are too few points (fewer than 3 beyond one per group) or no spread in x. */
export function withinSlope(points: readonly Point[], level = 0.95): SlopeFit | null {
  const groups = new Map<number, Point[]>();
  for (const p of points) {
    let g = groups.get(p.group);
    if (!g) groups.set(p.group, (g = []));
    g.push(p);
  }
  const used = [...groups.values()].filter((g) => g.length >= 2).map((g) => [...g].sort((a, b) => a.x - b.x));
  const n = used.reduce((a, g) => a + g.length, 0);
  const k = used.length;
  if (n - k < 3) return null;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  const centred = used.map((g) => {
    const mx = g.reduce((a, p) => a + p.x, 0) / g.length;
    const my = g.reduce((a, p) => a + p.y, 0) / g.length;
    return g.map((p) => ({ dx: p.x - mx, dy: p.y - my }));
  });
  for (const g of centred)
    for (const { dx, dy } of g) {
      sxx += dx * dx;
      sxy += dx * dy;
      syy += dy * dy;
    }
  if (sxx <= 0) return null;
  const slope = sxy / sxx;
  const residuals = centred.map((g) => g.map(({ dx, dy }) => dy - slope * dx));
  const sse = residuals.flat().reduce((a, r) => a + r * r, 0);
  // Lag-1 autocorrelation of residuals, within groups only.
  let num = 0;
  for (const g of residuals) for (let i = 1; i < g.length; i++) num += g[i]! * g[i - 1]!;
  const rho = sse > 0 ? Math.max(0, Math.min(0.99, num / sse)) : 0;
  const nEff = Math.max(k + 3, n * ((1 - rho) / (1 + rho)));
  const df = Math.max(1, nEff - k - 1);
  const se = Math.sqrt(sse / Math.max(1, n - k - 1) / sxx) * Math.sqrt(n / nEff);
  const half = tQuantile(1 - (1 - level) / 2, df) * se;
  return {
    slope,
    ci: [slope - half, slope + half],
    level,
    r2: syy > 0 ? Math.max(0, 1 - sse / syy) : 0,
    n,
    nEff,
    rho,
    groups: k,
  };
}
