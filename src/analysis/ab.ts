// A/B mode: base and head measured on the same machine in pairs (a duet trial: both loaded at
// the same time; interleaved: adjacent blocks). Per scenario and metric, each pair gives one
// log-ratio head/base (error rates and shares on their own scale: a difference), so whatever
// moved the machine during a pair cancels in it; a one-sided paired t test and interval on those,
// Holm over the family. α is split evenly over the planned looks, so sampling more while
// undecided cannot inflate false alarms. Metrics an open model fixes by design (its request
// rate) are left out, with the reason. Pure.
import type { TrialFigures } from '../contract/record.js';
import {
  comparedMetrics,
  FIXED_BY_OPEN_MODEL,
  type MetricDef as ComparedMetricDef,
  deltaOf,
  fromScale,
  gatingOf,
  holmByFamily,
  isGating,
  trialValues,
  type ComparedDefinition,
} from './compared-metrics.js';
import type { AbComparison, AbOutcome, BuiltinMetric, ComparedMetric } from '../contract/result.js';
import { tQuantile } from '../stats/distributions.js';
import { formatValue, readChange, signedRange } from './format.js';
import { crossoverT, pairedT, withRunLean } from '../stats/paired.js';
import { median } from '../stats/robust.js';

export interface AbDecisionSettings {
  /** A regression (or improvement) needs Holm-adjusted p ≤ alpha / looks. */
  alpha: number;
  /** A confident pass: the interval's upper end at 1 − 2·beta / looks below δ (default: alpha). */
  beta?: number;
  /** Number of planned looks; each look tests at alpha / looks (and beta / looks). */
  looks: number;
  delta: Record<BuiltinMetric, number>;
  /** Service metrics with a direction are compared too. */
  definitions?: readonly ComparedDefinition[];
  /** The metrics that can fail the gate (regression.gate); default: all. */
  gate?: readonly string[];
  /** Scenarios in an open model: the metrics it fixes (FIXED_BY_OPEN_MODEL) are not compared. */
  openModel?: ReadonlySet<string>;
  /**
   * Duet crossed over: per pair (index), which arrangement it ran in (0: the base held the first
   * slot, 1: the head did). With pairs in both, the slot's effect cancels (crossoverT).
   */
  arrangement?: readonly (0 | 1)[];
  /** Comparisons left out of the gate for this run (a latency whose pairs scatter too widely), by "metric of scenario". */
  notGating?: ReadonlyMap<string, string>;
  /** Comparisons that gate on a wider δ than the configured one for this run (a latency whose pairs scatter widely), by "metric of scenario". */
  widened?: ReadonlyMap<string, number>;
  /**
   * Duet: how far each comparison's estimate leans from run to run beyond its pairs' scatter, read
   * from stored duets (lean.ts), by "metric of scenario": added to the pairs' variance (withRunLean).
   */
  lean?: ReadonlyMap<string, { sd: number; runs: number }>;
}

/** The key of a comparison in AbDecisionSettings.notGating. */
export const comparisonKey = (c: { metric: string; scenario: string }): string => `${c.metric} of ${c.scenario}`;

/** Pairs of (base, head) values on the metric's comparison scale, with the pair's index: trial i of each side, where both exist. */
export function pairedValues(
  base: readonly TrialFigures[],
  head: readonly TrialFigures[],
  def: Pick<ComparedMetricDef, 'pick' | 'scale'>,
): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let i = 0; i < Math.min(base.length, head.length); i++) {
    const b = trialValues([base[i]!], def)[0];
    const h = trialValues([head[i]!], def)[0];
    if (b !== undefined && h !== undefined) out.push([b, h, i]);
  }
  return out;
}

/** The planned looks: at min, then every step trials per side, up to max. */
export function lookSchedule(min: number, max: number, step: number): number[] {
  const looks: number[] = [];
  for (let n = min; n < max; n += step) looks.push(n);
  looks.push(max);
  return looks;
}

/**
 * Errors in A/B: each trial's error rate, compared pair by pair on its own scale (a difference,
 * in percentage points) like every other metric, crossed over where the duet was: a burst of
 * timeouts in one stalled trial is one pair's difference, not tens of thousands of independent
 * requests (a pooled two-proportion test over every request "proved" 150 timeouts in one trial
 * of 100,000 requests a regression at the first look). History mode keeps its own rule.
 */
const ERROR_RATE: ComparedMetricDef = {
  metric: 'errors',
  worse: 'up',
  pick: (t) => (t.attempts > 0 ? t.errors / t.attempts : null),
  scale: 'abs',
};

/** The error rates of the paired trials, pooled per side (every error over every attempt): what the report shows as base and head. */
function pooledRates(
  base: readonly TrialFigures[],
  head: readonly TrialFigures[],
  pairs: readonly [number, number, number][],
): { base: number; head: number } {
  const rate = (ts: readonly TrialFigures[]): number => {
    const picked = pairs.map(([, , i]) => ts[i]!);
    const attempts = picked.reduce((a, t) => a + t.attempts, 0);
    return attempts ? picked.reduce((a, t) => a + t.errors, 0) / attempts : 0;
  };
  return { base: rate(base), head: rate(head) };
}

export function analyzeAb(
  base: ReadonlyMap<string, readonly TrialFigures[]>,
  head: ReadonlyMap<string, readonly TrialFigures[]>,
  s: AbDecisionSettings,
): AbComparison[] {
  const level = s.alpha / s.looks;
  const passLevel = (s.beta ?? s.alpha) / s.looks;
  const drafts: (AbComparison & { pBetter: number })[] = [];
  for (const [scenario, headTrials] of head) {
    const baseTrials = base.get(scenario) ?? [];
    const fixed = s.openModel?.has(scenario) ? FIXED_BY_OPEN_MODEL : {};
    for (const def of [...comparedMetrics(s.definitions), ERROR_RATE]) {
      if (Object.hasOwn(fixed, def.metric)) continue;
      const pairs = pairedValues(baseTrials, headTrials, def);
      if (pairs.length < 2) continue;
      // Each pair's difference, oriented so that "greater" means worse.
      const diffs = pairs.map(([b, h]) => (def.worse === 'up' ? h - b : b - h));
      // The interval at the look's level for a confident pass (β's): its upper bound below δ is
      // one; p does not depend on it. Crossed over, the slot's effect cancels between the arrangements.
      const pairsAlone = s.arrangement
        ? crossoverT(
            diffs,
            pairs.map(([, , i]) => s.arrangement![i] ?? 0),
            1 - 2 * passLevel,
          )
        : pairedT(diffs, 1 - 2 * passLevel);
      // What the stored duets say the estimate moves from run to run, which no number of this run's pairs can see.
      const lean = s.lean?.get(comparisonKey({ metric: def.metric, scenario }));
      const t = lean && lean.sd > 0 ? withRunLean(pairsAlone, lean.sd, lean.runs, 1 - 2 * passLevel) : pairsAlone;
      const p = t.pGreater;
      const pBetter = t.pLess;
      // On the log scale the shift is a ratio; a share on its own scale shifts by a difference. A
      // figure that worsens downward is worse by the share of the base it lost (1 − head/base), as
      // in history mode: a halving is 0.5 worse and reads −50 % (format.ts readChange).
      const change = (x: number): number => (def.scale === 'abs' ? x : def.worse === 'up' ? Math.expm1(x) : -Math.expm1(-x));
      drafts.push({
        scenario,
        metric: def.metric,
        worse: def.worse,
        ...(def === ERROR_RATE
          ? pooledRates(baseTrials, headTrials, pairs)
          : { base: fromScale(def, median(pairs.map((x) => x[0]))), head: fromScale(def, median(pairs.map((x) => x[1]))) }),
        n: { base: pairs.length, head: pairs.length },
        change: change(t.estimate),
        ci: [change(t.lower), change(t.upper)],
        spread: t.sd,
        ...(pairsAlone.se !== undefined ? { se: pairsAlone.se } : {}),
        ...(lean && lean.sd > 0 ? { lean: { sd: lean.sd, runs: lean.runs } } : {}),
        ...(t.slot !== undefined ? { slotEffect: t.slot } : {}),
        ...(def.scale ? { scale: def.scale } : {}),
        ciLevel: 1 - 2 * passLevel,
        p,
        pAdjusted: p,
        delta: s.widened?.get(comparisonKey({ metric: def.metric, scenario })) ?? deltaOf(def, s.delta),
        outcome: 'inconclusive',
        gating: isGating(def.metric, s.gate) && !s.notGating?.has(comparisonKey({ metric: def.metric, scenario })),
        sentence: '',
        pBetter,
      });
    }
  }
  const gating = drafts.map((d) => d.gating !== false);
  const adj = holmByFamily(
    drafts.map((d) => d.p),
    gating,
  );
  const adjBetter = holmByFamily(
    drafts.map((d) => d.pBetter),
    gating,
  );
  return drafts.map(({ pBetter: _ignored, ...d }, i) => {
    const c: AbComparison = { ...d, pAdjusted: adj[i]! };
    c.outcome = decideOutcome(c, adj[i]!, adjBetter[i]!, level);
    c.sentence = sentence(c);
    return c;
  });
}

/**
 * The duet's gated metrics whose δ this run's pairs decide, with the widest δ each may gate on:
 * latency (a ratio) up to a doubling; the memory each request leaves behind (bytes) up to 4 KB.
 * A comparison whose pairs scatter so widely that max-trials pairs could not resolve even that
 * stays out of the gate.
 */
export const DUET_ADMITTED: Readonly<Record<string, { cap: number }>> = {
  p50: { cap: 1 },
  p95: { cap: 1 },
  memory_per_request: { cap: 4096 },
};

/** How each such comparison gates this run: on δ, on a wider δ, or not at all. */
export interface Admission {
  /** Comparisons that gate on a wider δ, by key: the δ. */
  widened: Map<string, number>;
  /** Comparisons left out of the gate, by key: why. */
  notGating: Map<string, string>;
  /** Why each widened or left-out comparison is so, by key. */
  why: Map<string, string>;
}

/**
 * Each latency's and memory growth's δ for a duet's default gate, from how widely this run's
 * pairs scatter: max-trials pairs must resolve δ with margin (an interval half-width of δ/2 at
 * the look's level). Where they cannot resolve the configured δ, the comparison gates on the
 * smallest change they can resolve (a wait of a few milliseconds on a sub-millisecond route is a
 * change of ×2 or more, still caught), up to its cap (DUET_ADMITTED); beyond it, it does not
 * gate. Pairs of a sub-millisecond latency on a shared CPU scatter ±10–26 %; routes that wait on a
 * database mostly resolve δ itself; a route with large responses reads its memory per request
 * to ±100–200 B (bench/RESULTS-kinds.md). A run-to-run lean read from stored duets (lean.ts)
 * counts too: no number of pairs resolves a change smaller than about 2q times it.
 */
export function duetAdmission(
  comparisons: readonly AbComparison[],
  s: Pick<AbDecisionSettings, 'alpha' | 'looks' | 'gate'> & { maxTrials: number },
): Admission {
  const out: Admission = { widened: new Map(), notGating: new Map(), why: new Map() };
  const level = s.alpha / s.looks;
  const q = tQuantile(1 - level, Math.max(1, s.maxTrials - 2));
  for (const c of comparisons) {
    const admitted = DUET_ADMITTED[c.metric];
    if (!admitted || !isGating(c.metric, s.gate) || c.spread === undefined) continue;
    const abs = c.scale === 'abs';
    const lean = c.lean?.sd ?? 0;
    // The smallest change max-trials pairs resolve: an interval half-width of δ/2, the run-to-run lean included.
    const resolved = 2 * q * Math.sqrt(c.spread ** 2 / s.maxTrials + lean ** 2);
    if (resolved <= c.delta) continue;
    const key = comparisonKey(c);
    if (!Number.isFinite(c.spread)) {
      out.notGating.set(key, 'too few pairs to tell how widely they scatter');
      out.why.set(key, out.notGating.get(key)!);
      continue;
    }
    // On the ratio scale in whole percent, or in steps of 16 bytes.
    const needed = abs ? Math.ceil(resolved / 16) * 16 : Math.ceil(Math.expm1(resolved) * 100) / 100;
    const amount = (x: number): string => (abs ? formatValue(x, 'bytes-per-request') : `${pct(x)} %`);
    const limit = (c.delta * Math.sqrt(s.maxTrials)) / (2 * q);
    const scatter =
      lean > 0
        ? `its estimate leans ±${amount(lean)} from run to run (${c.lean!.runs} stored duets), which more pairs do not shrink, and its pairs scatter ±${amount(c.spread)} here: too widely to resolve δ ${amount(c.delta)} within ${s.maxTrials} pairs`
        : `its pairs scatter ±${amount(c.spread)} here, too widely to resolve δ ${amount(c.delta)} within ${s.maxTrials} pairs (that needs ±${amount(limit)} or less)`;
    if (needed <= admitted.cap) {
      out.widened.set(key, needed);
      out.why.set(key, `${scatter}; it gates on changes of ${amount(needed)} or more`);
    } else {
      out.notGating.set(key, `${scatter}, or any change below ${abs ? amount(admitted.cap) : `×${(1 + admitted.cap).toFixed(0)}`}`);
      out.why.set(key, out.notGating.get(key)!);
    }
  }
  return out;
}

function decideOutcome(c: AbComparison, adjusted: number, adjustedBetter: number, level: number): AbOutcome {
  if (adjusted <= level && c.change >= c.delta) return 'regression';
  if (adjustedBetter <= level && -c.change >= c.delta) return 'improvement';
  if (c.ci[1] < c.delta) return 'confident pass';
  return 'inconclusive';
}

const NAMES: Partial<Record<ComparedMetric, [string, string, string]>> = {
  // [metric name, word when worse, word when better]
  p50: ['p50', 'slower', 'faster'],
  p95: ['p95', 'slower', 'faster'],
  p99: ['p99', 'slower', 'faster'],
  rps: ['throughput', 'lower', 'higher'],
  workflows_per_s: ['workflows/s', 'lower', 'higher'],
  errors: ['the error rate', 'higher', 'lower'],
  cpu_per_request: ['service CPU per request', 'higher', 'lower'],
  dependency_cpu_per_request: ["dependencies' CPU per request", 'higher', 'lower'],
  system_cpu_per_request: ['system CPU per request (service and its dependencies)', 'higher', 'lower'],
  relative_cpu_per_request: ['service CPU per request relative to the yardstick', 'higher', 'lower'],
  memory_per_request: ['memory growth per request', 'higher', 'lower'],
};

/** A fraction's size in percent, to one decimal (0.042 → "4.2"). */
export const pct = (f: number): string => `${Math.round(Math.abs(f) * 1000) / 10}`;

/** "p95 of checkout is 12 % slower (97.5 % CI +8 to +16 %)": the change head against base, as a reader computes it. */
export function sentence(c: AbComparison): string {
  const [name, worse, better] = NAMES[c.metric] ?? [c.metric, c.worse === 'up' ? 'higher' : 'lower', c.worse === 'up' ? 'lower' : 'higher'];
  const ci = `${Math.round(c.ciLevel * 1000) / 10} % CI ${signedRange(c, c.ci, false, ' to ')}`;
  const word = c.change > 0 ? worse : better;
  const read = readChange(c, c.change);
  if (c.metric === 'memory_per_request')
    return `${capital(name)} of ${c.scenario} is ${formatValue(Math.abs(read), 'bytes-per-request')} ${word} (${ci}).`;
  // pct() turns a fraction into percent, which for a rate difference is percentage points.
  const size = c.metric === 'errors' || c.scale === 'abs' ? `${pct(read)} percentage points` : `${pct(read)} %`;
  if (pct(read) === '0') return `${capital(name)} of ${c.scenario} is unchanged (${ci}).`;
  return `${capital(name)} of ${c.scenario} is ${size} ${word} (${ci}).`;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The gating comparisons still undecided (the reason to sample more). */
export function undecided(comparisons: readonly AbComparison[]): AbComparison[] {
  return gatingOf(comparisons).filter((c) => c.outcome === 'inconclusive');
}

/**
 * Why sampling may stop at this look, or null to go on: no further trial can change the gate's
 * outcome once a gating comparison is a proven regression (α is spent per look, so the verdict
 * holds) or every gating comparison is decided. Non-gating comparisons never keep it sampling.
 */
export function stopReason(comparisons: readonly AbComparison[], trials: number): string | null {
  const gating = gatingOf(comparisons);
  const proven = gating.filter((c) => c.outcome === 'regression').length;
  if (proven) return `${proven} gating regression${proven === 1 ? ' was' : 's were'} proven after ${trials} trials per side`;
  if (!gating.some((c) => c.outcome === 'inconclusive')) return `every gating comparison was decided after ${trials} trials per side`;
  return null;
}

/** Outcome counts over the gating comparisons (what decides the verdict). */
export function abCounts(comparisons: readonly AbComparison[]): Record<AbOutcome, number> {
  const counts = { regression: 0, improvement: 0, 'confident pass': 0, inconclusive: 0 } as Record<AbOutcome, number>;
  for (const c of gatingOf(comparisons)) counts[c.outcome]++;
  return counts;
}
