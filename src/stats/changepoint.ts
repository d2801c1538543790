// The latest change point in a series of runs: a single split where the level shifted, found
// with Welch's t on log values. Runs before it no longer describe the service. Pure.
import { mean } from './robust.js';
import { welch } from './welch.js';

export interface ChangePoint {
  /** Index of the first run after the change. */
  index: number;
  p: number;
  /** Level after ÷ level before − 1. */
  shift: number;
}

export interface ChangePointOptions {
  alpha?: number;
  minShift?: number;
  minSegment?: number;
}

/**
 * The split with the largest |t| between the runs before and after it, when it is significant
 * (p ≤ alpha, default 0.001) and large (|shift| ≥ minShift, default 5 %); otherwise null.
 */
export function latestChangePoint(logValues: readonly number[], opts: ChangePointOptions = {}): ChangePoint | null {
  const alpha = opts.alpha ?? 0.001;
  const minShift = opts.minShift ?? 0.05;
  const minSegment = opts.minSegment ?? 2;
  let best: { index: number; t: number; p: number; diff: number } | null = null;
  for (let k = minSegment; k <= logValues.length - minSegment; k++) {
    const before = logValues.slice(0, k);
    const after = logValues.slice(k);
    const w = welch(before, after);
    const meanDiff = mean(after) - mean(before);
    if (!best || Math.abs(w.t) > Math.abs(best.t) || (Math.abs(w.t) === Math.abs(best.t) && k > best.index)) {
      best = { index: k, t: w.t, p: w.p, diff: meanDiff };
    }
  }
  if (!best || best.p > alpha) return null;
  const shift = Math.expm1(best.diff);
  if (Math.abs(shift) < minShift) return null;
  return { index: best.index, p: best.p, shift };
}
