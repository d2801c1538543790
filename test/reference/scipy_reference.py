# Reference values for test/unit/stats.test.ts, computed with scipy (python3 scipy_reference.py).
# Not run in CI: the printed values are pasted into the test with the call beside each.
import scipy
from scipy import stats

print("scipy", scipy.__version__)
for x, df in [(2.0, 5), (-1.5, 3), (0.5, 30), (10.0, 2), (3.5, 4.7), (-0.2, 1)]:
    print(f"t.cdf({x}, {df}) = {stats.t.cdf(x, df)!r}")
print(f"t.sf(8, 10) = {stats.t.sf(8, 10)!r}")
print(f"t.sf(40, 3) = {stats.t.sf(40, 3)!r}")
for p, df in [(0.975, 4), (0.95, 19), (0.999, 2), (0.05, 7.3), (0.9999, 1)]:
    print(f"t.ppf({p}, {df}) = {stats.t.ppf(p, df)!r}")
for z in [1.96, -0.5, 3.0]:
    print(f"norm.cdf({z}) = {stats.norm.cdf(z)!r}")
print(f"norm.sf(6) = {stats.norm.sf(6)!r}")
print(f"norm.sf(9) = {stats.norm.sf(9)!r}")
for p in [0.001, 0.975, 0.5, 1e-10]:
    print(f"norm.ppf({p}) = {stats.norm.ppf(p)!r}")

a = [10.1, 10.4, 9.8, 10.0, 10.3, 9.9]
b = [10.9, 11.4, 10.7, 11.9, 10.8]
r = stats.ttest_ind(b, a, equal_var=False)
print(f"ttest_ind(b, a, equal_var=False) t={r.statistic!r} p={r.pvalue!r} df={r.df!r}")
print(f"  greater p={stats.ttest_ind(b, a, equal_var=False, alternative='greater').pvalue!r}")

x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.07, 3.14, 1.28]
for alt in ["greater", "less", "two-sided"]:
    r = stats.mannwhitneyu(x, y, alternative=alt, method="exact")
    print(f"mannwhitneyu(x, y, alternative={alt!r}, method='exact') U={r.statistic!r} p={r.pvalue!r}")
xs = [3, 4, 2, 6, 2, 5]
ys = [9, 7, 5, 10, 6, 8]
r = stats.mannwhitneyu(xs, ys, alternative="less", method="asymptotic", use_continuity=True)
print(f"mannwhitneyu(xs, ys, alternative='less', method='asymptotic') U={r.statistic!r} p={r.pvalue!r}")
r = stats.mannwhitneyu(xs, ys, alternative="two-sided", method="asymptotic", use_continuity=True)
print(f"  two-sided p={r.pvalue!r}")
big1 = [i * 0.37 % 5 for i in range(40)]
big2 = [i * 0.41 % 5 + 0.8 for i in range(70)]
r = stats.mannwhitneyu(big2, big1, alternative="greater", method="asymptotic", use_continuity=True)
print(f"mannwhitneyu(big2, big1, 'greater', asymptotic) U={r.statistic!r} p={r.pvalue!r}")
r = stats.mannwhitneyu([1, 2, 3], [4, 5, 6], alternative="less", method="exact")
print(f"mannwhitneyu([1,2,3],[4,5,6],'less',exact) p={r.pvalue!r}")

# Clopper-Pearson bounds: beta.ppf(alpha/2, k, n-k+1) and beta.ppf(1-alpha/2, k+1, n-k)
for k, n in [(0, 300), (3, 300), (12, 400), (300, 300)]:
    lo = stats.beta.ppf(0.025, k, n - k + 1) if k > 0 else 0.0
    hi = stats.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    print(f"clopper_pearson({k}, {n}) = ({lo!r}, {hi!r})")
print(f"beta.ppf(0.3, 2.5, 7) = {stats.beta.ppf(0.3, 2.5, 7)!r}")

# Least squares with one intercept per group (the "within" slope of stats/linear.ts): numpy lstsq
# on [x, group dummies], CI from Student-t with n - p degrees of freedom.
import numpy as np
x0 = np.arange(6.0); x1 = np.arange(10.0, 16.0)
e = np.array([0.3, -0.2, 0.25, -0.3, 0.1, -0.15])
y0 = 2.0 + 1.5 * x0 + e; y1 = 100 + 1.5 * x1 - e[::-1]
X = np.column_stack([np.concatenate([x0, x1]), np.r_[np.ones(6), np.zeros(6)], np.r_[np.zeros(6), np.ones(6)]])
yy = np.concatenate([y0, y1])
beta, res, _, _ = np.linalg.lstsq(X, yy, rcond=None)
se = np.sqrt(res[0] / (12 - 3) * np.linalg.inv(X.T @ X)[0, 0]); tq = stats.t.ppf(0.975, 12 - 3)
print(f"within slope = {beta[0]!r}, 95% CI = ({beta[0] - tq * se!r}, {beta[0] + tq * se!r})")

# Moderated variances (limma's fitFDist / squeezeVar, Smyth 2004) written out with scipy's special
# functions and a bracketing root finder for the inverse trigamma (not limma's Newton iteration).
from scipy import special, optimize
for x in [0.5, 2.0, 4.5, 30.0]:
    print(f"digamma({x}) = {special.digamma(x)!r}, trigamma({x}) = {float(special.polygamma(1, x))!r}")
def trigamma_inverse(y):
    return optimize.brentq(lambda x: float(special.polygamma(1, x)) - y, 1e-8, 1e8, xtol=1e-14, rtol=1e-14)
for y in [0.3, 2.0, 11.0]:
    print(f"trigammaInverse({y}) = {trigamma_inverse(y)!r}")
def fit_prior(s2, d):
    s2 = np.asarray(s2); d = np.asarray(d, dtype=float)
    e = np.log(s2) - special.digamma(d / 2) + np.log(d / 2)
    emean = e.mean(); evar = e.var(ddof=1) - special.polygamma(1, d / 2).mean()
    if evar > 0:
        d0 = 2 * trigamma_inverse(evar)
        return d0, np.exp(emean + special.digamma(d0 / 2) - np.log(d0 / 2))
    return np.inf, np.exp(emean)
for s2, d in [([0.0004, 0.0009, 0.00025, 0.0016, 0.0006], [4, 4, 4, 4, 4]), ([1.0, 1.3, 0.8, 1.1], [9, 9, 19, 19]), ([0.01, 0.5, 2.0, 0.002], [3, 3, 3, 3]), ([0.0004, 0.0012, 0.0002, 0.003, 0.0007, 0.0001], [4, 4, 4, 4, 4, 4])]:
    d0, s0 = fit_prior(s2, d)
    post = [(d0 * s0 + di * v) / (d0 + di) if np.isfinite(d0) else s0 for v, di in zip(s2, d)]
    print(f"fit_prior({s2}, {d}) = d0 {float(d0)!r}, s0sq {float(s0)!r}; posterior {[float(v) for v in post]!r}")
