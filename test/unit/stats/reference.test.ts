// The maths written by us, against reference values from established packages. The scripts
// that printed them are in test/reference/ (scipy 1.17.1, R 4.2.2, the xoshiro reference C).
import { describe, expect, it } from 'vitest';
import { betaQuantile, clopperPearson } from '../../../src/stats/binomial.js';
import { latestChangePoint } from '../../../src/stats/changepoint.js';
import { normalCdf, normalQuantile, normalSf, tCdf, tQuantile, tSf } from '../../../src/stats/distributions.js';
import { hodgesLehmann } from '../../../src/stats/hodges-lehmann.js';
import { mannWhitneyU } from '../../../src/stats/mann-whitney.js';
import { digamma, fitPrior, squeezeVariances, trigamma, trigammaInverse } from '../../../src/stats/moderated.js';
import { benjaminiHochberg, holm } from '../../../src/stats/multiple.js';
import { predictionTest, withinRunFloor } from '../../../src/stats/prediction.js';
import { createRng, fromState } from '../../../src/stats/rng.js';
import { mad, median, robustSd } from '../../../src/stats/robust.js';
import { welch } from '../../../src/stats/welch.js';

/** Relative closeness: |a − b| ≤ tol·|b| (absolute near 0). */
function close(actual: number, expected: number, tol = 1e-10): void {
  const err = Math.abs(actual - expected);
  expect(err, `${actual} vs ${expected}`).toBeLessThanOrEqual(tol * Math.max(Math.abs(expected), 1e-300) + (expected === 0 ? 1e-12 : 0));
}

describe('Student-t and normal distributions (scipy.stats)', () => {
  it('t CDF', () => {
    close(tCdf(2.0, 5), 0.9490302605850708); // scipy.stats.t.cdf(2.0, 5)
    close(tCdf(-1.5, 3), 0.11529193262241147); // t.cdf(-1.5, 3)
    close(tCdf(0.5, 30), 0.6896384975574363); // t.cdf(0.5, 30)
    close(tCdf(10.0, 2), 0.9950737714883372); // t.cdf(10.0, 2)
    close(tCdf(3.5, 4.7), 0.9904352032498618); // t.cdf(3.5, 4.7): fractional df, as Welch gives
    close(tCdf(-0.2, 1), 0.4371670418109989); // t.cdf(-0.2, 1)
  });

  it('t upper tail keeps precision for small p', () => {
    close(tSf(8, 10), 5.887471394833083e-6, 1e-9); // t.sf(8, 10)
    close(tSf(40, 3), 1.7190340394579253e-5, 1e-9); // t.sf(40, 3)
  });

  it('t quantile', () => {
    close(tQuantile(0.975, 4), 2.7764451051977934); // t.ppf(0.975, 4)
    close(tQuantile(0.95, 19), 1.7291328115213682); // t.ppf(0.95, 19)
    close(tQuantile(0.999, 2), 22.327124770119866, 1e-9); // t.ppf(0.999, 2)
    close(tQuantile(0.05, 7.3), -1.8829300179564314); // t.ppf(0.05, 7.3)
    close(tQuantile(0.9999, 1), 3183.098757118502, 1e-8); // t.ppf(0.9999, 1)
  });

  it('normal CDF, tail and quantile', () => {
    close(normalCdf(1.96), 0.9750021048517795); // norm.cdf(1.96)
    close(normalCdf(-0.5), 0.3085375387259869); // norm.cdf(-0.5)
    close(normalCdf(3.0), 0.9986501019683699); // norm.cdf(3.0)
    close(normalSf(6), 9.865876450376946e-10, 1e-9); // norm.sf(6)
    close(normalSf(9), 1.1285884059538324e-19, 1e-9); // norm.sf(9)
    close(normalQuantile(0.001), -3.090232306167813); // norm.ppf(0.001)
    close(normalQuantile(0.975), 1.959963984540054); // norm.ppf(0.975)
    expect(normalQuantile(0.5)).toBeCloseTo(0, 14); // norm.ppf(0.5) = 0
    close(normalQuantile(1e-10), -6.361340902404056, 1e-9); // norm.ppf(1e-10)
  });
});

describe('Welch t-test (scipy.stats.ttest_ind, equal_var=False)', () => {
  const a = [10.1, 10.4, 9.8, 10.0, 10.3, 9.9];
  const b = [10.9, 11.4, 10.7, 11.9, 10.8];
  it('statistic, degrees of freedom and p-values', () => {
    const w = welch(a, b); // ttest_ind(b, a, equal_var=False)
    close(w.t, 4.330294004490851);
    close(w.df, 5.404041409516225);
    close(w.p, 0.00627579368763688, 1e-9);
    close(w.pGreater, 0.00313789684381844, 1e-9); // alternative='greater'
  });

  it('no spread: identical samples give p = 1, different constants p = 0', () => {
    expect(welch([1, 1, 1], [1, 1]).p).toBe(1);
    expect(welch([1, 1, 1], [2, 2]).pGreater).toBe(0);
  });
});

describe('Mann–Whitney U (scipy.stats.mannwhitneyu)', () => {
  const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
  const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.07, 3.14, 1.28];
  it('exact for small samples without ties', () => {
    const g = mannWhitneyU(x, y, 'greater'); // method='exact'
    expect(g).toMatchObject({ u: 58, method: 'exact' });
    close(g.p, 0.06795557383792677, 1e-9);
    close(mannWhitneyU(x, y, 'less').p, 0.943253805018511, 1e-9);
    close(mannWhitneyU(x, y, 'two-sided').p, 0.13591114767585355, 1e-9);
    close(mannWhitneyU([1, 2, 3], [4, 5, 6], 'less').p, 0.05, 1e-12); // 1 / C(6,3)
  });

  it('normal approximation with tie and continuity correction', () => {
    const xs = [3, 4, 2, 6, 2, 5];
    const ys = [9, 7, 5, 10, 6, 8];
    const r = mannWhitneyU(xs, ys, 'less'); // method='asymptotic', use_continuity=True
    expect(r).toMatchObject({ u: 2, method: 'normal' });
    close(r.p, 0.006295955745189852, 1e-9);
    close(mannWhitneyU(xs, ys, 'two-sided').p, 0.012591911490379705, 1e-9);
  });

  it('normal approximation for large samples (n1·n2 > 2500)', () => {
    const big1 = Array.from({ length: 40 }, (_, i) => (i * 0.37) % 5);
    const big2 = Array.from({ length: 70 }, (_, i) => ((i * 0.41) % 5) + 0.8);
    const r = mannWhitneyU(big2, big1, 'greater');
    expect(r.u).toBe(1758);
    expect(r.method).toBe('normal');
    close(r.p, 0.013161706104070857, 1e-6); // floating-point ties may differ from Python's by an ulp
  });

  it('all values equal: nothing to see, p = 1', () => {
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5], 'greater').p).toBe(1);
  });
});

describe('Hodges–Lehmann with Moses interval (R wilcox.test, conf.int = TRUE, exact = TRUE)', () => {
  it('estimate and exact 95 % / 90 % intervals', () => {
    const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
    const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.07, 3.14, 1.28];
    const r = hodgesLehmann(x, y, 0.95);
    expect(r.method).toBe('exact');
    close(r.estimate, 0.56, 1e-12);
    close(r.lower, -0.37, 1e-12);
    close(r.upper, 1.183, 1e-12);
    const r90 = hodgesLehmann(x, y, 0.9);
    close(r90.lower, -0.098, 1e-12);
    close(r90.upper, 1.01, 1e-12);
  });

  it('small samples: wilcox.test(b, a, conf.level = 0.80)', () => {
    const r = hodgesLehmann([0.4, 0.52, 0.47], [0.12, 0.31, 0.25, 0.18], 0.8);
    close(r.estimate, 0.245, 1e-12);
    close(r.lower, 0.15, 1e-12);
    close(r.upper, 0.35, 1e-12);
  });

  it('with ties the normal approximation still brackets the estimate', () => {
    const r = hodgesLehmann([1, 2, 2, 3, 4, 5, 5, 6], [0, 1, 1, 2, 3, 3, 4, 4]);
    expect(r.method).toBe('normal');
    expect(r.lower).toBeLessThanOrEqual(r.estimate);
    expect(r.upper).toBeGreaterThanOrEqual(r.estimate);
  });
});

describe('multiple comparisons (R p.adjust)', () => {
  const p = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04];
  it('Holm', () => {
    holm(p).forEach((v, i) => close(v, [0.05, 0.12, 0.12, 0.03, 0.2, 0.12][i]!, 1e-12)); // p.adjust(p, "holm")
  });
  it('Benjamini–Hochberg', () => {
    benjaminiHochberg(p).forEach((v, i) => close(v, [0.03, 0.048, 0.048, 0.03, 0.2, 0.048][i]!, 1e-12)); // p.adjust(p, "BH")
  });
});

describe('seeded RNG (xoshiro128**)', () => {
  it('matches the reference C implementation from state {1,2,3,4}', () => {
    const r = fromState(new Uint32Array([1, 2, 3, 4]));
    expect(Array.from({ length: 6 }, () => r.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('is reproducible from a seed, and different seeds differ', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
  });

  it('normal() has mean 0 and sd 1 (seeded, so this cannot flake)', () => {
    const r = createRng(7);
    const xs = Array.from({ length: 20000 }, () => r.normal());
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });
});

describe('robust summaries', () => {
  it('median, MAD and the 1.4826 scale', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(mad([1, 1, 2, 2, 4, 6, 9])).toBe(1); // R: mad(c(1,1,2,2,4,6,9), constant = 1)
    close(robustSd([1, 1, 2, 2, 4, 6, 9]), 1.4826, 1e-12); // R: mad(c(1,1,2,2,4,6,9))
  });
});

describe('history prediction test', () => {
  const rng = createRng(1);
  const baseline = Array.from({ length: 20 }, () => Math.log(100) + 0.02 * rng.normal());

  it('a value in line with history is not significant; its band covers 0', () => {
    const r = predictionTest(baseline, Math.log(100), { worse: 'up', mdeAlpha: 0.05 });
    expect(r.pWorse).toBeGreaterThan(0.2);
    expect(r.band[0]).toBeLessThan(0);
    expect(r.band[1]).toBeGreaterThan(0);
    expect(r.mde).toBeGreaterThan(0.02);
    expect(r.mde).toBeLessThan(0.08);
  });

  it('+30 % latency is a significant worsening with the right size', () => {
    const r = predictionTest(baseline, Math.log(130), { worse: 'up', mdeAlpha: 0.05 });
    expect(r.pWorse).toBeLessThan(1e-6);
    expect(r.change).toBeGreaterThan(0.25);
    expect(r.change).toBeLessThan(0.35);
  });

  it('for throughput, lower is worse', () => {
    const r = predictionTest(baseline, Math.log(70), { worse: 'down', mdeAlpha: 0.05 });
    expect(r.pWorse).toBeLessThan(1e-6);
    close(r.change, 0.3, 0.05);
    expect(predictionTest(baseline, Math.log(70), { worse: 'up', mdeAlpha: 0.05 }).pBetter).toBeLessThan(1e-6);
  });

  it('matches the formula: t = (y − c)/(s·√(1 + 1/N)), p from t with N − 1 df', () => {
    const base = [0, 0.1, 0.2, 0.3, 0.4].map((v) => v + 1);
    const r = predictionTest(base, 1.5, { worse: 'up', mdeAlpha: 0.05 });
    const s = 1.4826 * 0.1; // MAD of 0,.1,.2,.3,.4 around .2 is 0.1
    close(r.t, (1.5 - 1.2) / (s * Math.sqrt(1 + 1 / 5)), 1e-12);
    close(r.pWorse, tSf(r.t, 4), 1e-12);
  });

  it('identical history does not make every wiggle significant: the within-run floor holds the spread', () => {
    const flat = Array(10).fill(Math.log(100)) as number[];
    const trials = [100, 103, 97, 101, 99].map(Math.log);
    const floor = withinRunFloor(trials);
    expect(floor).toBeGreaterThan(0);
    const r = predictionTest(flat, Math.log(101), { worse: 'up', mdeAlpha: 0.05, floor });
    expect(r.floored).toBe(true);
    expect(r.pWorse).toBeGreaterThan(0.05);
  });
  it('one disturbed trial of five does not set the floor: a run with every latency ×1.5 is proven against 12 steady runs', () => {
    // A sub-millisecond p95: four trials within ±6 %, one twice as slow (a GC pause, a neighbour).
    const trials = [0.62, 0.66, 0.6, 1.3, 0.64].map((v) => Math.log(v * 1.5));
    const floor = withinRunFloor(trials);
    expect(floor).toBeLessThan(0.05); // the sample sd’s floor was 0.18 here
    const rng = createRng(12);
    const stored = Array.from({ length: 12 }, () => Math.log(0.6) + 0.02 * rng.normal());
    const r = predictionTest(stored, Math.min(...trials), { worse: 'up', mdeAlpha: 0.05, floor });
    expect(r.change).toBeGreaterThan(0.45);
    expect(r.band[0]).toBeGreaterThan(0.3);
    expect(r.pWorse).toBeLessThan(1e-4);
  });
});

describe('change point', () => {
  it('finds a step of +20 % inside the window', () => {
    const rng = createRng(3);
    const series = Array.from({ length: 20 }, (_, i) => Math.log(i < 12 ? 100 : 120) + 0.01 * rng.normal());
    const cp = latestChangePoint(series);
    expect(cp?.index).toBe(12);
    expect(cp!.shift).toBeGreaterThan(0.15);
    expect(cp!.p).toBeLessThan(0.001);
  });

  it('ignores noise, a single outlier and a step too small to matter', () => {
    const rng = createRng(4);
    const noise = Array.from({ length: 20 }, () => Math.log(100) + 0.02 * rng.normal());
    expect(latestChangePoint(noise)).toBeNull();
    const outlier = [...noise];
    outlier[7] = Math.log(300);
    expect(latestChangePoint(outlier)).toBeNull();
    const small = Array.from({ length: 20 }, (_, i) => Math.log(i < 10 ? 100 : 103) + 0.002 * rng.normal());
    expect(latestChangePoint(small)).toBeNull(); // significant but only +3 %
  });
});

describe('Clopper–Pearson interval (scipy.stats.beta.ppf)', () => {
  it('matches beta quantiles at the edges and inside', () => {
    close(betaQuantile(0.3, 2.5, 7), 0.17680146270511063, 1e-9); // beta.ppf(0.3, 2.5, 7)
    const [lo0, hi0] = clopperPearson(0, 300); // (0, beta.ppf(0.975, 1, 300))
    expect(lo0).toBe(0);
    close(hi0, 0.01222097469429355, 1e-9);
    const [lo3, hi3] = clopperPearson(3, 300); // beta.ppf(0.025, 3, 298), beta.ppf(0.975, 4, 297)
    close(lo3, 0.0020670072350923163, 1e-8);
    close(hi3, 0.028944511255692605, 1e-9);
    const [lo12, hi12] = clopperPearson(12, 400);
    close(lo12, 0.015595552999894341, 1e-9);
    close(hi12, 0.05181721543058358, 1e-9);
    const [lo300, hi300] = clopperPearson(300, 300);
    close(lo300, 0.9877790253057065, 1e-9);
    expect(hi300).toBe(1);
  });
});

describe('moderated variances (scipy.special; limma fitFDist / squeezeVar written out in scipy_reference.py)', () => {
  it('digamma, trigamma and the inverse trigamma', () => {
    close(digamma(0.5), -1.9635100260214235); // scipy.special.digamma(0.5)
    close(digamma(2.0), 0.42278433509846713);
    close(digamma(4.5), 1.388870926359529);
    close(digamma(30.0), 3.384438132685525);
    close(trigamma(0.5), 4.93480220054468); // scipy.special.polygamma(1, 0.5)
    close(trigamma(2.0), 0.6449340668482266);
    close(trigamma(4.5), 0.24872510303901035);
    close(trigamma(30.0), 0.033895060357739946);
    close(trigammaInverse(0.3), 3.808719012051168); // brentq on polygamma(1, x) - y
    close(trigammaInverse(2.0), 0.87666407746426);
    close(trigammaInverse(11.0), 0.3180301980466684);
  });

  it('the prior and the posterior variances', () => {
    const spread = [0.0004, 0.0012, 0.0002, 0.003, 0.0007, 0.0001];
    const prior = fitPrior(spread, [4, 4, 4, 4, 4, 4]);
    close(prior.d0, 3.1762998049063405);
    close(prior.s0sq, 0.00048332910794908067);
    const post = squeezeVariances(spread, [4, 4, 4, 4, 4, 4]);
    const want = [
      0.0004368822703227543, 0.00088279452134273, 0.0003254042075677603, 0.0018860970861376758, 0.0006040993644552451,
      0.0002696651761902633,
    ];
    post.s2.forEach((v, i) => close(v, want[i]!));
    expect(post.df[0]).toBeCloseTo(4 + 3.1762998049063405, 9);
    const wide = fitPrior([0.01, 0.5, 2.0, 0.002], [3, 3, 3, 3]);
    close(wide.d0, 0.6864687580593438);
    close(wide.s0sq, 0.013550529806228125);
    // Spreads that agree more than chance allows: d0 = ∞, every posterior is the prior.
    const same = fitPrior([0.0004, 0.0009, 0.00025, 0.0016, 0.0006], [4, 4, 4, 4, 4]);
    expect(same.d0).toBe(Infinity);
    close(same.s0sq, 0.0008030079415988003);
    const unequal = fitPrior([1.0, 1.3, 0.8, 1.1], [9, 9, 19, 19]);
    expect(unequal.d0).toBe(Infinity);
    close(unequal.s0sq, 1.125258649108302);
  });
});
