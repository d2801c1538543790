// Descriptive statistics used by the tests, from simple-statistics (the design's statistics
// package); perfgate keeps only the conventions around them. Pure.
import { mean as ssMean, median as ssMedian, medianAbsoluteDeviation, sampleVariance } from 'simple-statistics';

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
