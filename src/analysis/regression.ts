// History mode: this run against the stored runs of the same config and runner class from the
// default branch. Per scenario and metric: regression / improvement / unchanged / inconclusive /
// insufficient baseline. A regression needs the change to be significantly larger than δ
// (a one-sided minimum-effect test), Holm-adjusted over every comparison of the run. Pure.
import { growthSe, scenarioFigures, type HistoryRecord, type ScenarioFigures, type TrialFigures } from '../contract/record.js';
import { machineCaveat, selectBaseline } from './baseline.js';
import {
  comparedMetrics,
  deltaOf,
  fromScale,
  gatingOf,
  holmByFamily,
  isGating,
  leftOut,
  trialValues,
  type ComparedDefinition,
  type LeftOut,
  type MetricDef,
} from './compared-metrics.js';
import type { BaselineRun, Comparison, Outcome, RegressionAnalysis, RunResult } from '../contract/result.js';
import { tooShortForGrowth } from './growth.js';
import { latestChangePoint } from '../stats/changepoint.js';
import { normalQuantile, normalSf, tCdf, tQuantile, tSf } from '../stats/distributions.js';
import { squeezeVariances } from '../stats/moderated.js';
import type { RegressionSettings } from '../config/types.js';
import { predictionTest, withinRunFloor } from '../stats/prediction.js';
import { median, robustSd } from '../stats/robust.js';

/**
 * A comparison under construction: the test's internals ride along until Holm is done. `abs`:
 * compared on the metric's own scale (memory growth, which can be zero or negative) rather than
 * on the log scale.
 */
type Draft = Comparison & {
  pWorse: number | null;
  pBetter: number | null;
  /**
   * The test's scale and degrees of freedom. `spread` and `n` (a trial metric's baseline spread
   * and run count) mark the comparisons whose spreads are moderated together.
   */
  dist: { value: number; df: number; abs?: boolean; spread?: number; n?: number } | null;
};

export interface CurrentRun {
  id?: string;
  fingerprint: string;
  runner: string;
  scenarios: ScenarioFigures[];
  /** RSS slope over the run (bytes per minute) and its standard error. */
  memoryGrowth?: { slope: number; se: number } | null;
  /** Service metrics that are compared (those with `better`). */
  definitions?: readonly ComparedDefinition[];
  /** Comparisons this run's design makes meaningless (an open model's request rate): not made. */
  leftOut?: readonly LeftOut[];
}

/** The label run-wide comparisons (memory growth) carry instead of a scenario name. */
export const WHOLE_RUN = 'the whole run';

/** The level of a confident pass (regression.beta; α where a caller's settings predate it). */
const passLevel = (settings: Pick<RegressionSettings, 'alpha' | 'beta'>): number => settings.beta ?? settings.alpha;

function isLeftOut(current: CurrentRun, scenario: string, metric: string): boolean {
  return current.leftOut?.some((l) => l.scenario === scenario && l.metric === metric) ?? false;
}

/** A stored run's level of a metric on its comparison scale (null if unusable). */
function storedLevel(trials: readonly TrialFigures[], def: MetricDef, summary: RegressionSettings['summary']): number | null {
  const values = trialValues(trials, def);
  return values.length ? runLevel(values, def, summary) : null;
}

/**
 * A run's level from its trials' values (comparison scale): the median, or its least disturbed
 * trial (the fastest latency, the highest throughput): contention from other work on the machine
 * only ever makes a trial worse, so the best trial of a run is the one it touched least.
 */
function runLevel(values: readonly number[], def: Pick<MetricDef, 'worse'>, summary: RegressionSettings['summary']): number {
  if (summary === 'median') return median(values);
  return def.worse === 'up' ? Math.min(...values) : Math.max(...values);
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
      if (isLeftOut(current, scenario.name, def.metric)) continue;
      const logs = trialValues(scenario.trials, def);
      if (!logs.length) continue; // e.g. workflows/s of a single-request scenario
      const y = runLevel(logs, def, settings.summary);
      const series = runs
        .map((r) => ({ record: r.record, v: storedLevel(r.trials, def, settings.summary) }))
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
        upper: null,
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
      const d = withTest(base, test);
      d.dist = { ...d.dist!, spread: test.spread, n: test.n };
      drafts.push(d);
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
    // One-sided upper bound of the rise (normal approximation, unpooled): below δ, a confident pass.
    err.upper = runs.length
      ? rate -
        bRate +
        normalQuantile(1 - passLevel(settings)) *
          Math.sqrt((rate * (1 - rate)) / Math.max(1, attempts) + (bRate * (1 - bRate)) / Math.max(1, bAttempts))
      : null;
    if (runs.length < settings.minRuns) {
      err.note = tooFew(runs.length, settings);
    } else if (bErrors === 0) {
      err.note = 'the baseline had no errors';
      err.outcome =
        errors > 0 && rate >= settings.delta.errors ? 'regression' : err.upper! < settings.delta.errors ? 'confident pass' : 'inconclusive';
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
  if (current.memoryGrowth && !isLeftOut(current, WHOLE_RUN, 'memory.growth'))
    drafts.push(growthDraft(current.memoryGrowth, window, settings, used));

  // Holm over the gating tests of this run (worse direction), and over the better direction for
  // improvements; the non-gating tests form a family of their own (reported, never failing).
  // Minimum-effect tests: a regression must be significantly worse than δ, not merely
  // significantly different from zero and observed above δ. (Measured in bench/: testing
  // against zero let a noisy neighbour's 4–5 % shift fail 3.1 % of unchanged PRs.)
  // Moderated spreads: the trial metrics' baseline spreads are shrunk toward each other
  // (empirical Bayes), which buys degrees of freedom when they agree (stats/moderated.ts).
  if (settings.spreads === 'moderated') moderateSpreads(drafts.filter((d) => d.dist?.spread !== undefined));
  for (const d of drafts) {
    if (!d.dist || d.change === null) continue;
    const up = d.worse === 'up';
    const abs = d.dist.abs === true;
    const worseBy = (f: number): number => (abs ? f : up ? Math.log1p(f) : -Math.log1p(-f));
    const fromWorse = (w: number): number => (abs ? w : up ? Math.expm1(w) : -Math.expm1(-w));
    const logWorse = worseBy(d.change);
    d.pWorse = tSf((logWorse - worseBy(d.delta)) / d.dist.value, d.dist.df);
    d.pBetter = tCdf((logWorse - worseBy(-d.delta)) / d.dist.value, d.dist.df);
    d.p = d.pWorse;
    const half = tQuantile(0.975, d.dist.df) * d.dist.value;
    d.band = [fromWorse(logWorse - half), fromWorse(logWorse + half)];
    // The one-sided upper bound of the worsening at 1 − β: below δ, no regression of δ can hide here.
    d.upper = fromWorse(logWorse + tQuantile(1 - passLevel(settings), d.dist.df) * d.dist.value);
  }
  for (const d of drafts) d.gating = isGating(d.metric, settings.gate);
  const tested = drafts.filter((d) => d.pWorse !== null);
  const family = tested.map((d) => d.gating !== false);
  const adjWorse = holmByFamily(
    tested.map((d) => d.pWorse!),
    family,
  );
  const adjBetter = holmByFamily(
    tested.map((d) => d.pBetter!),
    family,
  );
  const familySize = (gating: boolean): number => Math.max(1, family.filter((g) => g === gating).length);
  tested.forEach((d, i) => {
    const m = familySize(family[i]!);
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
    else if (typeof d.upper === 'number' && d.upper < d.delta) d.outcome = 'confident pass';
    else d.outcome = 'inconclusive';
  });

  const comparisons: Comparison[] = drafts.map(({ pWorse: _w, pBetter: _b, dist: _s, ...c }) => machineCaveat(c, candidates.machine));
  const counts = { regression: 0, improvement: 0, 'confident pass': 0, inconclusive: 0, 'insufficient baseline': 0 } as Record<
    Outcome,
    number
  >;
  for (const c of gatingOf(comparisons)) counts[c.outcome]++;
  const baseline: BaselineRun[] = [...used.values()]
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
    .map((r) => ({ id: r.id, savedAt: r.savedAt, sha: r.git?.sha ?? null, branch: r.git?.branch ?? null }));
  return {
    mode: 'history',
    store,
    alpha: settings.alpha,
    ...(passLevel(settings) !== settings.alpha ? { beta: passLevel(settings) } : {}),
    window: settings.window,
    minRuns: settings.minRuns,
    onMissingBaseline: settings.onMissingBaseline,
    runLevel: settings.summary,
    spreads: settings.spreads,
    fingerprint: current.fingerprint,
    runner: current.runner,
    candidates,
    baseline,
    comparisons,
    counts,
    warnings,
    ...(current.leftOut?.length ? { leftOut: [...current.leftOut] } : {}),
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
  const left = leftOut(run.scenarios, new Set(run.scenarios.filter((sc) => (sc.settings?.rate ?? 0) > 0).map((sc) => sc.name)));
  // A slope over a few seconds is the heap growing to its working size, and its run-to-run
  // scatter proved "regressions" on 3 s runs: memory growth is compared over 30 s of load or
  // not at all (the config's load, as for a memory.growth target: its stored runs have the same).
  const loadMs = run.scenarios
    .filter((sc) => !sc.ramp)
    .reduce((a, sc) => a + (sc.settings?.trials ?? sc.trials.length) * (sc.settings?.durationMs ?? 0), 0);
  const short = g ? tooShortForGrowth(loadMs) : null;
  if (short) left.push({ scenario: WHOLE_RUN, metric: 'memory.growth', why: short });
  return {
    id,
    fingerprint: run.config.fingerprint,
    runner: run.runner,
    scenarios: scenarioFigures(run.scenarios),
    memoryGrowth: g ? { slope: g.slope, se: growthSe(g)! } : null,
    definitions,
    leftOut: left,
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
    upper: null,
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
    d.change = 1; // all of it lost: reads −100 %
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

/**
 * Shrinks the baseline spreads of the trial metrics toward their common prior (limma's
 * squeezeVar) and gives each the degrees of freedom that buys, at most the family's total (the
 * information there is). The test scale keeps its √(1 + 1/N).
 */
function moderateSpreads(drafts: Draft[]): void {
  if (drafts.length < 2) return;
  const s2 = drafts.map((d) => d.dist!.spread! ** 2);
  const df = drafts.map((d) => d.dist!.df);
  const cap = df.reduce((a, x) => a + x, 0);
  const post = squeezeVariances(s2, df);
  drafts.forEach((d, i) => {
    const spread = Math.sqrt(post.s2[i]!);
    d.dist = { ...d.dist!, spread, df: Math.min(post.df[i]!, cap), value: spread * Math.sqrt(1 + 1 / d.dist!.n!) };
  });
}
