// Trials that ran at the same time (in several processes, or on several machines) → one trial.
// Histograms are merged exactly (decoded and added, never percentiles averaged), counts add up,
// and the trial lasts from the earliest start to the latest end. Pure.
import { summarizeTrials } from './summary.js';
import type { TrialResult } from '../contract/result.js';
import { decodeHistogram, type Histogram } from './histogram.js';

export type TrialPart = Omit<TrialResult, 'index'>;

export function mergeParallel(parts: readonly TrialPart[], histograms?: Histogram[]): TrialPart {
  if (!parts.length) throw new Error('nothing to merge');
  const starts = parts.map((p) => Date.parse(p.startedAt));
  const start = Math.min(...starts);
  const end = Math.max(...parts.map((p, i) => starts[i]! + p.durationMs));
  // The sum of the parts, as summarizeTrials adds trials up; then the clock of parallel parts.
  const sum = summarizeTrials(
    parts.map((p, index) => ({ ...p, index })),
    histograms ?? parts.map((p) => decodeHistogram(p.histogram)),
  );
  const durationMs = Math.max(end - start, ...parts.map((p) => p.durationMs));
  return {
    ...sum,
    startedAt: new Date(start).toISOString(),
    durationMs: Math.round(durationMs * 1000) / 1000,
    rps: durationMs > 0 ? (sum.ok * 1000) / durationMs : 0,
    connectionsServed: parts.reduce((a, p) => a + p.connectionsServed, 0),
    ...(sum.pacing
      ? {
          pacing: {
            ...sum.pacing,
            // Parallel parts each offered their share: the offer adds up, over the common clock.
            offered: parts.reduce((a, p) => a + (p.pacing?.offered ?? 0), 0),
            achievedRate: durationMs > 0 ? (sum.pacing.sent * 1000) / durationMs : 0,
            // Each part's schedule had its own seed: the first one names the set.
            ...(parts[0]!.pacing?.seed !== undefined ? { seed: parts[0]!.pacing.seed } : {}),
          },
        }
      : {}),
    ...(sum.workflows
      ? { workflows: { completed: sum.workflows.completed, perSecond: durationMs > 0 ? (sum.workflows.completed * 1000) / durationMs : 0 } }
      : {}),
  };
}

/** How far parallel parts overlapped in time: the common window, and each part's own. */
export function overlap(parts: readonly Pick<TrialPart, 'startedAt' | 'durationMs'>[]): {
  overlapMs: number;
  spanMs: number;
  shortestMs: number;
} {
  const starts = parts.map((p) => Date.parse(p.startedAt));
  const ends = parts.map((p, i) => starts[i]! + p.durationMs);
  return {
    overlapMs: Math.max(0, Math.min(...ends) - Math.max(...starts)),
    spanMs: Math.max(...ends) - Math.min(...starts),
    shortestMs: Math.min(...parts.map((p) => p.durationMs)),
  };
}

/** Splits a total (connections) over n parts as evenly as whole numbers allow, larger parts first. */
export function split(total: number, n: number): number[] {
  const base = Math.floor(total / n);
  return Array.from({ length: n }, (_, i) => base + (i < total % n ? 1 : 0));
}
