// Defined service metrics → values per trial, per scenario (trials pooled) and over the run.
// Pooling adds counter increases and seconds across trials before dividing, so a rate over a
// scenario is the rate over all of its load, not an average of per-trial ratios. Pure.
import type { MetricDefinition } from '../config/types.js';
import type { MetricValue, ScenarioResult, ServiceMetrics, TrialResult } from '../contract/result.js';
import { evaluateMetric, type TrialReading } from './metric-eval.js';
import type { ScrapePair } from '../service/scrape.js';

export function reading(trial: TrialResult, pair: ScrapePair | undefined): TrialReading {
  return {
    seconds: trial.durationMs / 1000,
    requests: trial.requests,
    ok: trial.ok,
    errors: trial.errors.total,
    before: pair?.before ?? null,
    after: pair?.after ?? null,
    problem: pair ? pair.problem : 'the metrics endpoint was not scraped around this trial',
  };
}

/** Each definition over one trial. */
export function trialMetrics(r: TrialReading, defs: readonly MetricDefinition[]): Record<string, number | null> {
  return Object.fromEntries(defs.map((d) => [d.name, evaluateMetric(d.parsed, [r]).value]));
}

function values(defs: readonly MetricDefinition[], readings: readonly TrialReading[]): Record<string, MetricValue> {
  return Object.fromEntries(
    defs.map((d) => {
      const v = evaluateMetric(d.parsed, readings);
      return [d.name, v.note ? { value: v.value, note: v.note } : { value: v.value }];
    }),
  );
}

/** Sets trial.metrics and scenario.metrics from the scrapes of each trial (same order as the trials). */
export function attachMetrics(
  scenario: ScenarioResult,
  pairs: readonly (ScrapePair | undefined)[],
  defs: readonly MetricDefinition[],
): TrialReading[] {
  if (!defs.length) return [];
  const readings = scenario.trials.map((t, i) => reading(t, pairs[i]));
  scenario.trials.forEach((t, i) => (t.metrics = trialMetrics(readings[i]!, defs)));
  scenario.metrics = values(defs, readings);
  return readings;
}

/** The run's figure for each definition: every trial of every scenario but stress ramps, pooled. */
export function runMetrics(
  url: string,
  defs: readonly MetricDefinition[],
  readingsByScenario: readonly { ramp: boolean; readings: TrialReading[] }[],
  stats: { scrapes: number; failed: number; problems: Iterable<string> },
): ServiceMetrics {
  const pooled = readingsByScenario.filter((s) => !s.ramp).flatMap((s) => s.readings);
  return {
    url,
    definitions: defs.map((d) => ({ name: d.name, expr: d.expr, unit: d.unit, better: d.better ?? null, delta: d.delta })),
    scrapes: stats.scrapes,
    failed: stats.failed,
    problems: [...stats.problems],
    values: values(defs, pooled),
  };
}
