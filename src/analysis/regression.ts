// History mode: this run against the stored runs of the same config and runner class from the
// default branch. Per scenario and metric: regression / improvement / unchanged / inconclusive /
// insufficient baseline. A regression needs the change to be significantly larger than δ
// (a one-sided minimum-effect test), Holm-adjusted over every comparison of the run. Pure.
import { growthSe, scenarioFigures, type HistoryRecord, type ScenarioFigures, type TrialFigures } from '../contract/record.js';
import { comparedMetrics, deltaOf, fromScale, trialValues, type ComparedDefinition, type MetricDef } from './compared-metrics.js';
import type { BaselineRun, Comparison, Outcome, RegressionAnalysis, RunResult } from '../contract/result.js';
import { latestChangePoint } from '../stats/changepoint.js';
import { normalSf, tCdf, tQuantile, tSf } from '../stats/distributions.js';
import type { RegressionSettings } from '../config/types.js';
import { holm } from '../stats/multiple.js';
import { predictionTest, withinRunFloor } from '../stats/prediction.js';
import { median, robustSd } from '../stats/robust.js';

/**
 * A comparison under construction: the test's internals ride along until Holm is done. `abs`:
 * compared on the metric's own scale (memory growth, which can be zero or negative) rather than
 * on the log scale.
 */
type Draft = Comparison & { pWorse: number | null; pBetter: number | null; dist: { value: number; df: number; abs?: boolean } | null };

export interface CurrentRun {
  id?: string;
  fingerprint: string;
  runner: string;
  scenarios: ScenarioFigures[];
  /** RSS slope over the run (bytes per minute) and its standard error. */
  memoryGrowth?: { slope: number; se: number } | null;
  /** Service metrics that are compared (those with `better`). */
  definitions?: readonly ComparedDefinition[];
}

/** The label run-wide comparisons (memory growth) carry instead of a scenario name. */
export const WHOLE_RUN = 'the whole run';

/** Per-run summary of a metric: the median over the run's trials on its comparison scale (null if unusable). */
function runMedian(trials: readonly TrialFigures[], def: MetricDef): number | null {
  const values = trialValues(trials, def);
  return values.length ? median(values) : null;
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

  const defs = comparedMetrics(current.definitions);
  for (const scenario of current.scenarios) {
    if (scenario.capacity !== undefined) {
      drafts.push(capacityDraft(scenario, window, settings, used));
      continue;
    }
    if (!scenario.trials.length) continue;
    const runs = window
      .map((r) => ({ record: r, trials: r.scenarios.find((s) => s.name === scenario.name)?.trials }))
      .filter((x): x is { record: HistoryRecord; trials: TrialFigures[] } => Boolean(x.trials?.length));

    for (const def of defs) {
      const logs = trialValues(scenario.trials, def);
      if (!logs.length) continue; // e.g. workflows/s of a single-request scenario
      const y = median(logs);
      const series = runs
        .map((r) => ({ record: r.record, v: runMedian(r.trials, def) }))
        .filter((x): x is { record: HistoryRecord; v: number } => x.v !== null);
      const cp = latestChangePoint(series.map((s) => s.v));
      const kept = cp ? series.slice(cp.index) : series;
      const base: Draft = {
        scenario: scenario.name,
        metric: def.metric,
        worse: def.worse,
        baseline: kept.length ? fromScale(def, median(kept.map((k) => k.v))) : null,
        current: fromScale(def, y),
        runs: kept.length,
        cutAt: cp ? (kept[0]?.record.id ?? null) : null,
        change: null,
        band: null,
        p: null,
        pAdjusted: null,
        mde: null,
        delta: deltaOf(def, settings.delta),
        outcome: 'insufficient baseline',
        note: cp ? `baseline cut at a change point (${formatShift(cp.shift, def.scale)} level shift)` : '',
        trend: kept.map((k) => ({ id: k.record.id, sha: k.record.git?.sha ?? null, value: fromScale(def, k.v) })),
        // A share compared on its own scale says so, so that the report shows percentage points.
        ...(def.scale ? { scale: def.scale } : {}),
        pWorse: null,
        pBetter: null,
        dist: null,
      };
      if (kept.length < settings.minRuns) {
        base.note = joinNote(base.note, tooFew(kept.length, settings));
        drafts.push(base);
        continue;
      }
      for (const k of kept) used.set(k.record.id, k.record);
      if (def.scale === 'abs') {
        drafts.push(
          absoluteTest(
            base,
            kept.map((k) => k.v),
            y,
            withinRunFloor(logs),
            settings,
          ),
        );
        continue;
      }
      const test = predictionTest(
        kept.map((k) => k.v),
        y,
        { worse: def.worse, floor: withinRunFloor(logs), mdeAlpha: settings.alpha }, // MDE refined after Holm below
      );
      drafts.push(withTest(base, test));
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
      ...emptyDraft(scenario.name, 'errors', 'up', settings.delta.errors, rate),
      baseline: runs.length ? bRate : null,
      runs: runs.length,
      change: runs.length ? rate - bRate : null,
      mde: settings.delta.errors,
    };
    if (runs.length < settings.minRuns) {
      err.note = tooFew(runs.length, settings);
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
  if (current.memoryGrowth) drafts.push(growthDraft(current.memoryGrowth, window, settings, used));

  // Holm over every gating test of this run (worse direction), and over the better direction
  // for improvements.
  // Minimum-effect tests: a regression must be significantly worse than δ, not merely
  // significantly different from zero and observed above δ. (Measured in bench/: testing
  // against zero let a noisy neighbour's 4–5 % shift fail 3.1 % of unchanged PRs.)
  for (const d of drafts) {
    if (!d.dist || d.change === null) continue;
    const up = d.worse === 'up';
    const abs = d.dist.abs === true;
    const worseBy = (f: number): number => (abs ? f : up ? Math.log1p(f) : -Math.log1p(-f));
    const logWorse = worseBy(d.change);
    d.pWorse = tSf((logWorse - worseBy(d.delta)) / d.dist.value, d.dist.df);
    d.pBetter = tCdf((logWorse - worseBy(-d.delta)) / d.dist.value, d.dist.df);
    d.p = d.pWorse;
  }
  const tested = drafts.filter((d) => d.pWorse !== null);
  const adjWorse = holm(tested.map((d) => d.pWorse!));
  const adjBetter = holm(tested.map((d) => d.pBetter!));
  const m = Math.max(1, tested.length);
  tested.forEach((d, i) => {
    d.pAdjusted = adjWorse[i]!;
    const effect = d.change ?? 0;
    if (d.dist) {
      // Holm's first rejection needs p ≤ α/m: the MDE is the worsening that reaches that level
      // in the minimum-effect test, so it is always above δ.
      const up = d.worse === 'up';
      const abs = d.dist.abs === true;
      const logShift =
        (abs ? d.delta : up ? Math.log1p(d.delta) : -Math.log1p(-d.delta)) + tQuantile(1 - settings.alpha / m, d.dist.df) * d.dist.value;
      d.mde = abs ? logShift : up ? Math.expm1(logShift) : -Math.expm1(-logShift);
    }
    if (adjWorse[i]! <= settings.alpha && effect >= d.delta) d.outcome = 'regression';
    else if (adjBetter[i]! <= settings.alpha && -effect >= d.delta) d.outcome = 'improvement';
    else if (d.metric !== 'errors' && d.band && d.band[0] > -d.delta && d.band[1] < d.delta) d.outcome = 'unchanged';
    else if (d.metric === 'errors' && effect < d.delta) d.outcome = 'unchanged';
    else d.outcome = 'inconclusive';
  });

  const comparisons: Comparison[] = drafts.map(({ pWorse: _w, pBetter: _b, dist: _s, ...c }) => c);
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

function formatShift(shift: number, scale?: 'abs'): string {
  return `${shift >= 0 ? '+' : '−'}${Math.abs(shift * 100).toFixed(1)} ${scale === 'abs' ? 'pp' : '%'}`;
}

function joinNote(a: string, b: string): string {
  return [a, b].filter(Boolean).join('; ');
}

/** The figures history keeps, from a finished run. */
export function currentFromResult(
  id: string | undefined,
  run: Pick<RunResult, 'scenarios' | 'service' | 'runner' | 'metrics'> & { config: Pick<RunResult['config'], 'fingerprint'> },
): CurrentRun {
  const definitions = (run.metrics?.definitions ?? []).map((d) => ({
    name: d.name,
    delta: d.delta,
    unit: d.unit,
    ...(d.better ? { better: d.better } : {}),
  }));
  const g = run.service.memory?.growth;
  return {
    id,
    fingerprint: run.config.fingerprint,
    runner: run.runner,
    scenarios: scenarioFigures(run.scenarios),
    memoryGrowth: g ? { slope: g.slope, se: growthSe(g)! } : null,
    definitions,
  };
}

function emptyDraft(scenario: string, metric: Draft['metric'], worse: Draft['worse'], delta: number, current: number): Draft {
  return {
    scenario,
    metric,
    worse,
    baseline: null,
    current,
    runs: 0,
    cutAt: null,
    change: null,
    band: null,
    p: null,
    pAdjusted: null,
    mde: null,
    delta,
    outcome: 'insufficient baseline',
    note: '',
    trend: [],
    pWorse: null,
    pBetter: null,
    dist: null,
  };
}

/** Stress-ramp capacity: one value per run, compared on the log scale like throughput. */
function capacityDraft(
  scenario: ScenarioFigures,
  window: readonly HistoryRecord[],
  settings: RegressionSettings,
  used: Map<string, HistoryRecord>,
): Draft {
  const series = window
    .map((r) => ({ record: r, v: r.scenarios.find((s) => s.name === scenario.name)?.capacity }))
    .filter((x): x is { record: HistoryRecord; v: number } => typeof x.v === 'number' && x.v > 0);
  const d = emptyDraft(scenario.name, 'capacity', 'down', settings.delta.capacity, scenario.capacity ?? 0);
  d.runs = series.length;
  d.trend = series.map((k) => ({ id: k.record.id, sha: k.record.git?.sha ?? null, value: k.v }));
  if (series.length) d.baseline = Math.exp(median(series.map((k) => Math.log(k.v))));
  if (series.length < settings.minRuns) {
    d.note = tooFew(series.length, settings);
    return d;
  }
  for (const k of series) used.set(k.record.id, k.record);
  if (!scenario.capacity) {
    // Not one step met the conditions where every baseline run found a capacity: nothing to test.
    d.outcome = 'regression';
    d.change = 1;
    d.note = 'no step of the ramp met the conditions, where the baseline runs found a capacity';
    return d;
  }
  const test = predictionTest(
    series.map((k) => Math.log(k.v)),
    Math.log(scenario.capacity),
    { worse: 'down', mdeAlpha: settings.alpha },
  );
  return withTest(d, test);
}

/** A draft with the prediction test's figures (the minimum-effect p-values follow after Holm). */
function withTest(d: Draft, test: ReturnType<typeof predictionTest>): Draft {
  return {
    ...d,
    change: test.change,
    band: test.band,
    p: test.pWorse,
    pWorse: test.pWorse,
    pBetter: test.pBetter,
    mde: test.mde,
    dist: { value: test.spread * Math.sqrt(1 + 1 / test.n), df: test.df },
  };
}

function tooFew(n: number, settings: RegressionSettings): string {
  return `${n} comparable run${n === 1 ? '' : 's'} stored; ${settings.minRuns} needed`;
}

/**
 * Memory growth: one slope per run, compared on its own scale (bytes per minute), with δ an
 * absolute slope. The spread is floored by this run's own standard error, as trials floor it
 * for latency.
 */
function growthDraft(
  current: { slope: number; se: number },
  window: readonly HistoryRecord[],
  settings: RegressionSettings,
  used: Map<string, HistoryRecord>,
): Draft {
  const series = window
    .map((r) => ({ record: r, v: r.service?.memoryGrowth }))
    .filter((x): x is { record: HistoryRecord; v: number } => typeof x.v === 'number' && Number.isFinite(x.v));
  const d = emptyDraft(WHOLE_RUN, 'memory.growth', 'up', settings.delta['memory.growth'], current.slope);
  d.runs = series.length;
  d.trend = series.map((k) => ({ id: k.record.id, sha: k.record.git?.sha ?? null, value: k.v }));
  if (series.length) d.baseline = median(series.map((k) => k.v));
  if (series.length < settings.minRuns) {
    d.note = tooFew(series.length, settings);
    return d;
  }
  for (const k of series) used.set(k.record.id, k.record);
  return absoluteTest(
    d,
    series.map((k) => k.v),
    current.slope,
    Math.max(current.se, 1),
    settings,
  );
}

/**
 * The prediction test on the metric's own scale: centre = median, spread = 1.4826·MAD floored by
 * `floor`, change = how much worse than the centre, in the metric's unit (memory growth: bytes
 * per minute up; a hit rate: its share down).
 */
function absoluteTest(d: Draft, values: number[], current: number, floor: number, settings: RegressionSettings): Draft {
  const n = values.length;
  const spread = Math.max(robustSd(values), floor, 1e-12);
  const scale = spread * Math.sqrt(1 + 1 / n);
  const df = Math.max(1, n - 1);
  const change = (d.worse === 'up' ? 1 : -1) * (current - median(values));
  const half = tQuantile(0.975, df) * scale;
  return {
    ...d,
    change,
    band: [change - half, change + half],
    p: tSf(change / scale, df),
    pWorse: tSf(change / scale, df),
    pBetter: tCdf(change / scale, df),
    mde: tQuantile(1 - settings.alpha, df) * scale,
    dist: { value: scale, df, abs: true },
  };
}
