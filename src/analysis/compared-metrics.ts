// The per-trial metrics that history and A/B mode compare, which way is worse for each, and how
// to read them from a trial: the built-in latency and throughput figures, plus every service
// metric defined with `better:`. Errors are compared by their own rule, not listed here; ramp
// capacity and memory growth are one value per run (see regression.ts).
import { BUILTIN_METRICS, type MetricDefinition } from '../config/types.js';
import type { TrialFigures } from '../contract/record.js';
import type { BuiltinMetric, ComparedMetric } from '../contract/result.js';
import { holm } from '../stats/multiple.js';

export interface MetricDef {
  metric: Exclude<ComparedMetric, 'errors'>;
  worse: 'up' | 'down';
  pick: (t: TrialFigures) => number | null;
  /** Own minimum effect (defined metrics); built-ins take theirs from the settings. */
  delta?: number;
  /**
   * `abs`: compared on the metric's own scale, with δ in its unit: shares (a defined metric in
   * percent, e.g. a cache hit rate) can fall to 0, where a log scale has no value. Default: log.
   */
  scale?: 'abs';
}

export const COMPARED_METRICS: readonly MetricDef[] = [
  { metric: 'p50', worse: 'up', pick: (t) => t.p50 },
  { metric: 'p95', worse: 'up', pick: (t) => t.p95 },
  { metric: 'p99', worse: 'up', pick: (t) => t.p99 },
  { metric: 'rps', worse: 'down', pick: (t) => t.rps },
  { metric: 'workflows_per_s', worse: 'down', pick: (t) => t.workflowsPerSec },
  { metric: 'cpu_per_request', worse: 'up', pick: (t) => t.cpuPerRequest ?? null },
  { metric: 'dependency_cpu_per_request', worse: 'up', pick: (t) => t.dependencyCpuPerRequest ?? null },
  { metric: 'system_cpu_per_request', worse: 'up', pick: (t) => t.systemCpuPerRequest ?? null },
  // History with regression.yardstick: the service's CPU per request in yardstick operations (each
  // trial's own reading), so that a slower moment of the machine, which slows both, cancels out.
  { metric: 'relative_cpu_per_request', worse: 'up', pick: relativeCpu },
  // A leak: bytes of resident memory each response leaves behind; about 0 for a steady service, so compared on its own scale.
  { metric: 'memory_per_request', worse: 'up', pick: (t) => t.memoryPerRequest ?? null, scale: 'abs' },
];

/** A trial's CPU per request in yardstick operations (CPU time of one), or null without both. */
export function relativeCpu(t: TrialFigures): number | null {
  return t.cpuPerRequest && t.yardstickPerOp && t.cpuPerRequest > 0 && t.yardstickPerOp > 0 ? t.cpuPerRequest / t.yardstickPerOp : null;
}

/**
 * A/B mode's gate where the config names none (regression.gate), by design. Duet: the service's
 * CPU time per request, errors, p50 and p95 (each latency on the δ this run's pairs can resolve:
 * ab.ts duetAdmission), and defined service metrics with a direction. The memory each request
 * leaves behind (memory_per_request, a leak) is compared and reported but does not gate by
 * default: a young process's heap still growing to its working size reads as kilobytes a request
 * in short trials, the same in every pair (a same-build demo run with 3 short pairs "proved"
 * +3 KB); regression.gate may name it. Two services sharing one CPU agree on CPU time per pair to ±3–4 %; their latencies,
 * each disturbed by the other, scatter ±10–28 % per pair on a sub-millisecond service
 * (bench/RESULTS-verdicts.md), while on routes that wait on a database they gate in most runs
 * (bench/RESULTS-kinds.md), where latency is the only signal of a wait. With per-build dependencies, the system's CPU time per request (the
 * service's plus its own database's) gates, not the dependencies' alone: a database's background
 * work (checkpoints, autovacuum) is a large share of the little a cached route costs it, so its
 * own per-request figure scatters ±10–20 % a pair where the system's holds to a few percent, and
 * work moved from the service into the database is judged by what the whole build spends.
 * Interleaved: the default gate plus CPU time per request and the system's.
 * Ramp capacity and memory growth (the RSS slope) are one figure per run of the head, never
 * compared with the base: their targets judge them, and they are out of every A/B gate; a leak is
 * compared pair by pair as memory_per_request instead.
 */
export const DUET_GATE: readonly string[] = ['cpu_per_request', 'system_cpu_per_request', 'errors', 'p50', 'p95'];

/** Figures A/B mode does not compare with the base (one per run, of the head alone). */
const HEAD_ONLY = new Set(['capacity', 'memory.growth']);

const BUILTIN = new Set<string>(BUILTIN_METRICS);

export function abGate(
  gate: readonly string[],
  written: boolean | undefined,
  design: 'duet' | 'interleaved',
): { gate: readonly string[]; from: string } {
  const compared = gate.filter((m) => !HEAD_ONLY.has(m));
  if (written) return { gate: compared, from: 'regression.gate' };
  // Defined service metrics with a direction (read from the service, not timed) keep gating.
  const defined = gate.filter((m) => !BUILTIN.has(m));
  return design === 'duet'
    ? { gate: [...DUET_GATE, ...defined], from: "the duet's default; regression.gate chooses others" }
    : {
        gate: [...compared, 'cpu_per_request', 'system_cpu_per_request'],
        from: 'the default, with CPU per request; regression.gate chooses others',
      };
}

/**
 * Metrics an open model fixes by design (the schedule sets the request rate; a build that keeps
 * up sends the same): comparing them says nothing, so they are left out, with this reason.
 */
export const FIXED_BY_OPEN_MODEL: Readonly<Record<string, string>> = {
  rps: 'the open model sets the request rate',
  workflows_per_s: 'the open model sets the request rate',
};

/** A comparison left out, and why. */
export interface LeftOut {
  scenario: string;
  metric: string;
  why: string;
}

/**
 * The comparisons a run leaves out: the metrics an open model fixes, per open-model scenario
 * (workflows/s only for workflows). A/B and history mode alike.
 */
export function leftOut(scenarios: readonly { name: string; kind: string }[], openModel: ReadonlySet<string> | undefined): LeftOut[] {
  return scenarios.flatMap((sc) =>
    openModel?.has(sc.name)
      ? Object.entries(FIXED_BY_OPEN_MODEL)
          .filter(([metric]) => metric !== 'workflows_per_s' || sc.kind === 'workflow')
          .map(([metric, why]) => ({ scenario: sc.name, metric, why }))
      : [],
  );
}

/** Service metrics that have a direction, in definition order. */
export type ComparedDefinition = Pick<MetricDefinition, 'name' | 'better' | 'delta'> & { unit?: string };

/** The built-in metrics followed by the defined service metrics that say which way is better. */
export function comparedMetrics(definitions: readonly ComparedDefinition[] = []): MetricDef[] {
  return [
    ...COMPARED_METRICS,
    ...definitions
      .filter((d) => d.better)
      .map((d): MetricDef => ({
        metric: d.name,
        worse: d.better === 'higher' ? 'down' : 'up',
        pick: (t) => t.metrics?.[d.name] ?? null,
        delta: d.delta,
        ...(d.unit === 'fraction' ? { scale: 'abs' as const } : {}),
      })),
  ];
}

/** The minimum effect of a metric: its own, or the configured one of a built-in. */
export function deltaOf(def: Pick<MetricDef, 'metric' | 'delta'>, deltas: Readonly<Record<BuiltinMetric, number>>): number {
  return def.delta ?? deltas[def.metric as BuiltinMetric] ?? 0.05;
}

/** Each trial's value on the metric's comparison scale: log(value) where positive, or the value itself for `abs`. */
export function trialValues(trials: readonly TrialFigures[], def: Pick<MetricDef, 'pick' | 'scale'>): number[] {
  if (def.scale !== 'abs') return trialLogs(trials, def.pick);
  return trials.map(def.pick).filter((v): v is number => v !== null && Number.isFinite(v));
}

/** A value on the comparison scale back in the metric's unit. */
export function fromScale(def: Pick<MetricDef, 'scale'>, x: number): number {
  return def.scale === 'abs' ? x : Math.exp(x);
}

/** log(value) of each trial where the metric exists and is positive. */
export function trialLogs(trials: readonly TrialFigures[], pick: MetricDef['pick']): number[] {
  return trials
    .map(pick)
    .filter((v): v is number => v !== null && v > 0 && Number.isFinite(v))
    .map(Math.log);
}

/** Whether a metric can fail the gate (regression.gate); without a gate list, every metric can. */
export function isGating(metric: string, gate: readonly string[] | undefined): boolean {
  return gate === undefined || gate.includes(metric);
}

/**
 * Holm's adjustment within each family: the gating comparisons form one, the rest (reported,
 * never failing the run) another, so that reporting more metrics costs the gate no power.
 */
export function holmByFamily(ps: readonly number[], gating: readonly boolean[]): number[] {
  const out = new Array<number>(ps.length);
  for (const family of [true, false]) {
    const idx = ps.map((_, i) => i).filter((i) => gating[i] === family);
    const adj = holm(idx.map((i) => ps[i]!));
    idx.forEach((i, k) => (out[i] = adj[k]!));
  }
  return out;
}

/** The comparisons that can fail the gate (results written before regression.gate: all). */
export function gatingOf<T extends { gating?: boolean }>(comparisons: readonly T[]): T[] {
  return comparisons.filter((c) => c.gating !== false);
}

/** The comparisons reported but outside the gate. */
export function notGating<T extends { gating?: boolean }>(comparisons: readonly T[]): T[] {
  return comparisons.filter((c) => c.gating === false);
}
