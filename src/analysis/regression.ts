// History mode: this run against the stored runs of the same config and runner class from the
// default branch. Per scenario and metric: regression / improvement / unchanged / inconclusive /
// insufficient baseline. A regression needs the change to be significantly larger than δ
// (a one-sided minimum-effect test), Holm-adjusted over every comparison of the run. Pure.
import { scenarioFigures, type HistoryRecord, type TrialFigures } from '../history/record.js';
import { COMPARED_METRICS, trialLogs, type MetricDef } from './compared-metrics.js';
import type { BaselineRun, ComparedMetric, Comparison, Outcome, RegressionAnalysis, ScenarioResult } from '../result.js';
import { latestChangePoint } from '../stats/changepoint.js';
import { normalSf, tCdf, tQuantile, tSf } from '../stats/distributions.js';
import { holm } from '../stats/multiple.js';
import { predictionTest, withinRunFloor } from '../stats/prediction.js';
import { median } from '../stats/robust.js';

export interface RegressionSettings {
  window: number;
  minRuns: number;
  alpha: number;
  /** Minimum effect per metric, as a fraction (errors: an absolute rate). */
  delta: Record<ComparedMetric, number>;
  onMissingBaseline: 'pass' | 'warn' | 'fail';
}

export const REGRESSION_DEFAULTS: RegressionSettings = {
  window: 20,
  minRuns: 5,
  alpha: 0.05,
  delta: { p50: 0.05, p95: 0.1, p99: 0.1, rps: 0.05, workflows_per_s: 0.05, errors: 0.001 },
  onMissingBaseline: 'warn',
};

/** A comparison under construction: the test's internals ride along until Holm is done. */
type Draft = Comparison & { pWorse: number | null; pBetter: number | null; scale: { value: number; df: number } | null };

export interface CurrentRun {
  id?: string;
  fingerprint: string;
  runner: string;
  scenarios: { name: string; trials: TrialFigures[] }[];
}

/** Per-run summary of a metric: the median of log(value) over the run's trials (null if unusable). */
function runLogMedian(trials: readonly TrialFigures[], pick: MetricDef['pick']): number | null {
  const logs = trialLogs(trials, pick);
  return logs.length ? median(logs) : null;
}

export function selectBaseline(records: readonly HistoryRecord[], current: CurrentRun, window: number) {
  const sameConfig = records.filter((r) => r.fingerprint === current.fingerprint && r.id !== current.id);
  const sameRunner = sameConfig.filter((r) => r.runner === current.runner);
  // Default-branch runs form the baseline; so do runs saved outside any git checkout (a laptop,
  // no branch to speak of). Runs saved from other named branches never do.
  const defaultBranch = sameRunner.filter(
    (r) => r.git === null || r.git.onDefaultBranch || (r.git.branch === null && r.git.sha === null && !r.git.pullRequest),
  );
  const ordered = [...defaultBranch].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.savedAt.localeCompare(b.savedAt));
  return {
    candidates: {
      total: records.length,
      sameConfig: sameConfig.length,
      sameRunner: sameRunner.length,
      defaultBranch: defaultBranch.length,
    },
    window: ordered.slice(-window),
  };
}

export function analyzeRegressions(
  records: readonly HistoryRecord[],
  current: CurrentRun,
  settings: RegressionSettings,
  store: string,
  warnings: string[] = [],
): RegressionAnalysis {
  const { candidates, window } = selectBaseline(records, current, settings.window);
  const drafts: Draft[] = [];
  const used = new Map<string, HistoryRecord>();

  for (const scenario of current.scenarios) {
    if (!scenario.trials.length) continue;
    const runs = window
      .map((r) => ({ record: r, trials: r.scenarios.find((s) => s.name === scenario.name)?.trials }))
      .filter((x): x is { record: HistoryRecord; trials: TrialFigures[] } => Boolean(x.trials?.length));

    for (const def of COMPARED_METRICS) {
      const currentTrials = scenario.trials.map(def.pick).filter((v): v is number => v !== null && v > 0);
      if (!currentTrials.length) continue; // e.g. workflows/s of a single-request scenario
      const logs = currentTrials.map(Math.log);
      const y = median(logs);
      const series = runs
        .map((r) => ({ record: r.record, v: runLogMedian(r.trials, def.pick) }))
        .filter((x): x is { record: HistoryRecord; v: number } => x.v !== null);
      const cp = latestChangePoint(series.map((s) => s.v));
      const kept = cp ? series.slice(cp.index) : series;
      const base: Draft = {
        scenario: scenario.name,
        metric: def.metric,
        worse: def.worse,
        baseline: kept.length ? Math.exp(median(kept.map((k) => k.v))) : null,
        current: Math.exp(y),
        runs: kept.length,
        cutAt: cp ? (kept[0]?.record.id ?? null) : null,
        change: null,
        band: null,
        p: null,
        pAdjusted: null,
        mde: null,
        delta: settings.delta[def.metric],
        outcome: 'insufficient baseline',
        note: cp ? `baseline cut at a change point (${formatShift(cp.shift)} level shift)` : '',
        trend: kept.map((k) => ({ id: k.record.id, sha: k.record.git?.sha ?? null, value: Math.exp(k.v) })),
        pWorse: null,
        pBetter: null,
        scale: null,
      };
      if (kept.length < settings.minRuns) {
        base.note = joinNote(base.note, `${kept.length} comparable run${kept.length === 1 ? '' : 's'} stored; ${settings.minRuns} needed`);
        drafts.push(base);
        continue;
      }
      for (const k of kept) used.set(k.record.id, k.record);
      const test = predictionTest(
        kept.map((k) => k.v),
        y,
        { worse: def.worse, floor: withinRunFloor(logs), mdeAlpha: settings.alpha }, // MDE refined after Holm below
      );
      drafts.push({
        ...base,
        change: test.change,
        band: test.band,
        p: test.pWorse,
        pWorse: test.pWorse,
        pBetter: test.pBetter,
        mde: test.mde,
        scale: { value: test.spread * Math.sqrt(1 + 1 / test.n), df: test.df },
      });
    }

    // Errors: pooled counts; errors where the baseline had none are a regression once they
    // exceed δ; otherwise a one-sided two-proportion test.
    const attempts = scenario.trials.reduce((a, t) => a + t.attempts, 0);
    const errors = scenario.trials.reduce((a, t) => a + t.errors, 0);
    const rate = attempts ? errors / attempts : 0;
    const bAttempts = runs.reduce((a, r) => a + r.trials.reduce((x, t) => x + t.attempts, 0), 0);
    const bErrors = runs.reduce((a, r) => a + r.trials.reduce((x, t) => x + t.errors, 0), 0);
    const bRate = bAttempts ? bErrors / bAttempts : 0;
    const err: Draft = {
      scenario: scenario.name,
      metric: 'errors',
      worse: 'up',
      baseline: runs.length ? bRate : null,
      current: rate,
      runs: runs.length,
      cutAt: null,
      change: runs.length ? rate - bRate : null,
      band: null,
      p: null,
      pAdjusted: null,
      mde: settings.delta.errors,
      delta: settings.delta.errors,
      outcome: 'insufficient baseline',
      note: '',
      trend: [],
      pWorse: null,
      pBetter: null,
      scale: null,
    };
    if (runs.length < settings.minRuns) {
      err.note = `${runs.length} comparable run${runs.length === 1 ? '' : 's'} stored; ${settings.minRuns} needed`;
    } else if (bErrors === 0) {
      err.note = 'the baseline had no errors';
      err.outcome = errors > 0 && rate >= settings.delta.errors ? 'regression' : 'unchanged';
      if (err.outcome === 'regression') err.note = `errors appeared where the ${runs.length} baseline runs had none`;
    } else {
      const pooled = (errors + bErrors) / (attempts + bAttempts);
      const se = Math.sqrt(pooled * (1 - pooled) * (1 / attempts + 1 / bAttempts));
      const z = se > 0 ? (rate - bRate) / se : 0;
      err.p = normalSf(z);
      err.pWorse = err.p;
      err.pBetter = normalSf(-z);
    }
    drafts.push(err);
  }

  // Holm over every gating test of this run (worse direction), and over the better direction
  // for improvements.
  // Minimum-effect tests: a regression must be significantly worse than δ, not merely
  // significantly different from zero and observed above δ. (Measured in bench/: testing
  // against zero let a noisy neighbour's 4–5 % shift fail 3.1 % of unchanged PRs.)
  for (const d of drafts) {
    if (!d.scale || d.change === null) continue;
    const up = d.worse === 'up';
    const logWorse = up ? Math.log1p(d.change) : -Math.log1p(-d.change);
    const worseBy = (f: number): number => (up ? Math.log1p(f) : -Math.log1p(-f));
    d.pWorse = tSf((logWorse - worseBy(d.delta)) / d.scale.value, d.scale.df);
    d.pBetter = tCdf((logWorse - worseBy(-d.delta)) / d.scale.value, d.scale.df);
    d.p = d.pWorse;
  }
  const tested = drafts.filter((d) => d.pWorse !== null);
  const adjWorse = holm(tested.map((d) => d.pWorse!));
  const adjBetter = holm(tested.map((d) => d.pBetter!));
  const m = Math.max(1, tested.length);
  tested.forEach((d, i) => {
    d.pAdjusted = adjWorse[i]!;
    const effect = d.change ?? 0;
    if (d.scale) {
      // Holm's first rejection needs p ≤ α/m: the MDE is the worsening that reaches that level
      // in the minimum-effect test, so it is always above δ.
      const up = d.worse === 'up';
      const logShift = (up ? Math.log1p(d.delta) : -Math.log1p(-d.delta)) + tQuantile(1 - settings.alpha / m, d.scale.df) * d.scale.value;
      d.mde = up ? Math.expm1(logShift) : -Math.expm1(-logShift);
    }
    if (adjWorse[i]! <= settings.alpha && effect >= d.delta) d.outcome = 'regression';
    else if (adjBetter[i]! <= settings.alpha && -effect >= d.delta) d.outcome = 'improvement';
    else if (d.metric !== 'errors' && d.band && d.band[0] > -d.delta && d.band[1] < d.delta) d.outcome = 'unchanged';
    else if (d.metric === 'errors' && effect < d.delta) d.outcome = 'unchanged';
    else d.outcome = 'inconclusive';
  });

  const comparisons: Comparison[] = drafts.map(({ pWorse: _w, pBetter: _b, scale: _s, ...c }) => c);
  const counts = { regression: 0, improvement: 0, unchanged: 0, inconclusive: 0, 'insufficient baseline': 0 } as Record<Outcome, number>;
  for (const c of comparisons) counts[c.outcome]++;
  const baseline: BaselineRun[] = [...used.values()]
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
    .map((r) => ({ id: r.id, savedAt: r.savedAt, sha: r.git?.sha ?? null, branch: r.git?.branch ?? null }));
  return {
    mode: 'history',
    store,
    alpha: settings.alpha,
    window: settings.window,
    minRuns: settings.minRuns,
    onMissingBaseline: settings.onMissingBaseline,
    fingerprint: current.fingerprint,
    runner: current.runner,
    candidates,
    baseline,
    comparisons,
    counts,
    warnings,
  };
}

function formatShift(shift: number): string {
  return `${shift >= 0 ? '+' : '−'}${Math.abs(shift * 100).toFixed(1)} %`;
}

function joinNote(a: string, b: string): string {
  return [a, b].filter(Boolean).join('; ');
}

/** The figures history keeps, from a finished run. */
export function currentFromScenarios(
  id: string | undefined,
  fingerprint: string,
  runner: string,
  scenarios: readonly ScenarioResult[],
): CurrentRun {
  return { id, fingerprint, runner, scenarios: scenarioFigures(scenarios) };
}
