// Descriptive statistics used by the tests, from simple-statistics (the design's statistics
// package); perfgate keeps only the conventions around them. Pure.
import { normalQuantile } from './distributions.js';
import { mean as ssMean, median as ssMedian, medianAbsoluteDeviation, quantile as ssQuantile, sampleVariance } from 'simple-statistics';

export function mean(xs: readonly number[]): number {
  return xs.length ? ssMean([...xs]) : NaN;
}

/** Sample variance (n − 1); 0 below two values. */
export function variance(xs: readonly number[]): number {
  return xs.length < 2 ? 0 : sampleVariance([...xs]);
}

export function median(xs: readonly number[]): number {
  return xs.length ? ssMedian([...xs]) : NaN;
}

/** Median absolute deviation (unscaled). */
export function mad(xs: readonly number[]): number {
  return xs.length ? medianAbsoluteDeviation([...xs]) : NaN;
}

/** 1.4826 · MAD: a standard-deviation estimate that ignores outliers (consistent for normal data). */
export function robustSd(xs: readonly number[]): number {
  return 1.4826 * mad(xs);
}

/** The p-quantile, linear between order statistics (R's type 7, numpy's default); NaN without values. */
export function quantile(xs: readonly number[], p: number): number {
  return xs.length ? ssQuantile([...xs], p) : NaN;
}

/**
 * A standard-deviation estimate from the 80th percentile of the absolute deviations from the
 * median (÷ the normal's 90th percentile, 1.2816, consistent for normal data). Like 1.4826 · MAD
 * (the 50th percentile) it ignores the largest deviations, here a fifth of them (a few real
 * changes among many), but it reads a peaked, heavy-tailed spread by its tails rather than by its
 * peak, where MAD reads it too narrow.
 */
export function tailSd(xs: readonly number[]): number {
  const m = median(xs);
  return (
    quantile(
      xs.map((x) => Math.abs(x - m)),
      0.8,
    ) / normalQuantile(0.9)
  );
}
