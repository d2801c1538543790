// The per-trial metrics that history and A/B mode compare, which way is worse for each, and how
// to read them from a trial. Errors are compared by their own rule, not listed here.
import type { TrialFigures } from '../history/record.js';
import type { ComparedMetric } from '../result.js';

export interface MetricDef {
  metric: Exclude<ComparedMetric, 'errors'>;
  worse: 'up' | 'down';
  pick: (t: TrialFigures) => number | null;
}

export const COMPARED_METRICS: readonly MetricDef[] = [
  { metric: 'p50', worse: 'up', pick: (t) => t.p50 },
  { metric: 'p95', worse: 'up', pick: (t) => t.p95 },
  { metric: 'p99', worse: 'up', pick: (t) => t.p99 },
  { metric: 'rps', worse: 'down', pick: (t) => t.rps },
  { metric: 'workflows_per_s', worse: 'down', pick: (t) => t.workflowsPerSec },
];

/** log(value) of each trial where the metric exists and is positive. */
export function trialLogs(trials: readonly TrialFigures[], pick: MetricDef['pick']): number[] {
  return trials
    .map(pick)
    .filter((v): v is number => v !== null && v > 0 && Number.isFinite(v))
    .map(Math.log);
}
