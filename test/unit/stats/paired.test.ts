// The paired t test on differences, checked against scipy.stats (ttest_1samp, t.interval).
import { describe, expect, it } from 'vitest';
import { pairedT } from '../../../src/stats/paired.js';

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
