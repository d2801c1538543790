// The paired t test on differences (and the run-to-run lean added to it), checked against scipy.stats (ttest_1samp, t.interval); tailSd against numpy.
import { describe, expect, it } from 'vitest';
import { crossoverT, pairedT, withRunLean } from '../../../src/stats/paired.js';
import { quantile, tailSd } from '../../../src/stats/robust.js';

describe('pairedT', () => {
  const d = [0.031, 0.012, 0.044, -0.005, 0.027, 0.038, 0.019, 0.025];

  it('matches scipy: one-sided p-values and the 99 % interval', () => {
    // scipy 1.17: ttest_1samp(d, 0, alternative='greater').pvalue; t.interval(0.99, 7, mean, sem)
    const r = pairedT(d, 0.99);
    expect(r.pGreater).toBeCloseTo(0.0016197643747396624, 10);
    expect(r.pLess).toBeCloseTo(0.9983802356252603, 10);
    expect(r.lower).toBeCloseTo(0.004794017752697059, 10);
    expect(r.upper).toBeCloseTo(0.042955982247302946, 10);
    expect(r.estimate).toBeCloseTo(0.023875, 12);
  });

  it('says nothing from one pair, and is certain when every pair agrees', () => {
    expect(pairedT([0.1])).toMatchObject({ n: 1, pGreater: 1, pLess: 1, lower: -Infinity, upper: Infinity });
    const same = pairedT([0.05, 0.05, 0.05]);
    expect(same).toMatchObject({ pGreater: 0, pLess: 1 });
    expect(same.lower).toBeCloseTo(0.05, 12);
    expect(same.upper).toBeCloseTo(0.05, 12);
  });
});

describe('crossoverT', () => {
  // Five pairs with the base in the first slot, three with the head there: a slot effect of about
  // +0.03 in the first arrangement and -0.03 in the second, no effect of the build.
  const d = [0.031, 0.012, 0.044, -0.005, 0.027, -0.038, -0.019, -0.025];
  const arrangement = [0, 0, 0, 0, 0, 1, 1, 1] as const;

  it("matches scipy: the effect is the mean of the arrangements' means, its t that of ttest_ind(d0, -d1)", () => {
    // scipy 1.17: ttest_ind(d0, [-x for x in d1], equal_var=True, alternative='greater' / 'less').pvalue;
    // t.interval(0.99, 6, m, sp / 2 * sqrt(1/5 + 1/3)), sp pooled within the arrangements
    const r = crossoverT(d, arrangement, 0.99);
    expect(r.estimate).toBeCloseTo(-0.0027666666666666673, 12);
    expect(r.pGreater).toBeCloseTo(0.6701271007468045, 10);
    expect(r.pLess).toBeCloseTo(0.3298728992531955, 10);
    expect(r.lower).toBeCloseTo(-0.02492501876888712, 10);
    expect(r.upper).toBeCloseTo(0.019391685435553786, 10);
    expect(r.sd).toBeCloseTo(0.016367990442052168, 10);
    // The plain paired test reads the unbalanced slot effect as a build effect.
    expect(pairedT(d, 0.99).estimate).toBeCloseTo(0.003375, 10);
  });

  it('is the plain paired test while every pair is in one arrangement', () => {
    expect(crossoverT(d.slice(0, 5), [0, 0, 0, 0, 0], 0.99)).toEqual(pairedT(d.slice(0, 5), 0.99));
  });
});

describe('withRunLean', () => {
  const d = [0.031, 0.012, 0.044, -0.005, 0.027, 0.038, 0.019, 0.025];

  it("matches scipy: the lean's variance added to the mean's, Welch–Satterthwaite degrees of freedom", () => {
    // scipy 1.17: S = sqrt(sem(d)**2 + 0.02**2); df = (a+b)**2 / (a**2/7 + b**2/9);
    // t.sf(mean/S, df), t.sf(-mean/S, df), t.interval(0.99, df, mean, S)
    const r = withRunLean(pairedT(d, 0.99), 0.02, 10, 0.99);
    expect(r.se).toBeCloseTo(0.020729927899399113, 12);
    expect(r.df).toBeCloseTo(10.31430609845884, 10);
    expect(r.pGreater).toBeCloseTo(0.13771730082003944, 8);
    expect(r.pLess).toBeCloseTo(0.8622826991799606, 8);
    expect(r.lower).toBeCloseTo(-0.04137779323691402, 8);
    expect(r.upper).toBeCloseTo(0.08912779323691403, 8);
    // The estimate and the pairs' own spread are the pairs'.
    expect(r.estimate).toBe(pairedT(d).estimate);
    expect(r.sd).toBe(pairedT(d).sd);
  });

  it('no lean leaves the test as it was; pairs that all agree still have the lean to reckon with', () => {
    const t = pairedT(d, 0.99);
    expect(withRunLean(t, 0, 10, 0.99)).toBe(t);
    const same = withRunLean(pairedT([0.05, 0.05, 0.05]), 0.04, 12);
    expect(same.pGreater).toBeGreaterThan(0.05);
    expect(same.lower).toBeLessThan(0);
  });
});

describe('tailSd', () => {
  it('matches numpy: quantile(|d − median(d)|, 0.8) / norm.ppf(0.9), the 80th percentile linear between order statistics', () => {
    // numpy 2 / scipy 1.17: np.quantile(np.abs(d - np.median(d)), 0.8) / stats.norm.ppf(0.9); np.quantile(d, 0.8)
    const d = [0.031, 0.012, 0.044, -0.005, 0.027, 0.038, 0.019, 0.025, 0.3];
    expect(tailSd(d)).toBeCloseTo(0.017946995359664722, 12);
    expect(quantile(d, 0.8)).toBeCloseTo(0.0404, 12);
    expect(tailSd([])).toBeNaN();
  });
});
