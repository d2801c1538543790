// Moderated variances (empirical Bayes, as in limma's squeezeVar / fitFDist; Smyth 2004): each
// comparison's spread s² on d degrees of freedom is treated as a draw around a common prior
// s0² on d0 degrees of freedom, fitted to all of them by moments of log s². The posterior
//   s̃² = (d0·s0² + d·s²) / (d0 + d),   on d0 + d degrees of freedom,
// shrinks each spread toward the others' and buys degrees of freedom when they agree. Pure.

/** ψ(x), the digamma function (recurrence up to x ≥ 10, then the asymptotic series). */
export function digamma(x: number): number {
  let r = 0;
  while (x < 10) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return r + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))));
}

/** ψ′(x), the trigamma function (recurrence up to x ≥ 10, then the asymptotic series). */
export function trigamma(x: number): number {
  let r = 0;
  while (x < 10) {
    r += 1 / (x * x);
    x += 1;
  }
  const f = 1 / (x * x);
  return r + 1 / x + f / 2 + (f / x) * (1 / 6 - f * (1 / 30 - f * (1 / 42 - f / 30)));
}

/** The x with trigamma(x) = y (Newton's method from limma's starting point). */
export function trigammaInverse(y: number): number {
  if (!(y > 0)) return Infinity;
  if (y > 1e7) return 1 / Math.sqrt(y);
  if (y < 1e-6) return 1 / y;
  let x = 0.5 + 1 / y;
  for (let i = 0; i < 50; i++) {
    const tri = trigamma(x);
    const dif = (tri * (1 - tri / y)) / trigammaDerivative(x);
    x += dif;
    if (-dif / x < 1e-8) break;
  }
  return x;
}

/** ψ″(x), for Newton's step in trigammaInverse. */
function trigammaDerivative(x: number): number {
  let r = 0;
  while (x < 10) {
    r -= 2 / (x * x * x);
    x += 1;
  }
  const f = 1 / (x * x);
  return r - f - 1 / (x * x * x) - f * f * (1 / 2 - f * (1 / 6 - f * (1 / 6 - (3 * f) / 10)));
}

export interface Prior {
  /** Prior degrees of freedom (Infinity: every spread is the same spread). */
  d0: number;
  /** Prior variance. */
  s0sq: number;
}

/**
 * Fits the scaled-F prior to variances `s2` on `df` degrees of freedom each (limma's fitFDist
 * without covariates). Needs at least two positive variances; otherwise no prior (d0 = 0).
 */
export function fitPrior(s2: readonly number[], df: readonly number[]): Prior {
  const ok = s2.map((v, i) => [v, df[i]!] as const).filter(([v, d]) => v > 0 && Number.isFinite(v) && d > 0);
  if (ok.length < 2) return { d0: 0, s0sq: ok[0]?.[0] ?? 0 };
  const e = ok.map(([v, d]) => Math.log(v) - digamma(d / 2) + Math.log(d / 2));
  const emean = e.reduce((a, x) => a + x, 0) / e.length;
  const evar = e.reduce((a, x) => a + (x - emean) ** 2, 0) / (e.length - 1) - ok.reduce((a, [, d]) => a + trigamma(d / 2), 0) / ok.length;
  if (evar > 0) {
    const d0 = 2 * trigammaInverse(evar);
    return { d0, s0sq: Math.exp(emean + digamma(d0 / 2) - Math.log(d0 / 2)) };
  }
  return { d0: Infinity, s0sq: Math.exp(emean) };
}

/** Posterior variances and their degrees of freedom (limma's squeezeVar). */
export function squeezeVariances(s2: readonly number[], df: readonly number[], prior = fitPrior(s2, df)): { s2: number[]; df: number[] } {
  if (!(prior.d0 > 0)) return { s2: [...s2], df: [...df] };
  if (prior.d0 === Infinity) return { s2: s2.map(() => prior.s0sq), df: df.map(() => Infinity) };
  return {
    s2: s2.map((v, i) => (prior.d0 * prior.s0sq + df[i]! * v) / (prior.d0 + df[i]!)),
    df: df.map((d) => prior.d0 + d),
  };
}
