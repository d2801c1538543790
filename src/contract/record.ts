// The contract of a stored run (one history record): the figures history needs (per trial), and
// where the run came from. Small on purpose (no histograms): a thousand of them load in
// milliseconds. The history stores write and read it; the analysis compares with it.
import { randomBytes } from 'node:crypto';
import type { AbComparison, GitInfo, MemoryGrowth, RunResult, ScenarioResult, TrialResult } from './result.js';

export const RECORD_KIND = 'perfgate-run';
export const RECORD_SCHEMA_VERSION = 1;

export interface TrialFigures {
  /** null only for runs imported from a tool that does not report that percentile. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  rps: number;
  workflowsPerSec: number | null;
  /** Attempts: responses + timeouts + connection errors. */
  attempts: number;
  errors: number;
  /** Service metrics defined in the config (absent in older records). */
  metrics?: Record<string, number | null>;
  /** Service CPU time per response, ms (absent in older records and where it cannot be read). */
  cpuPerRequest?: number | null;
  /** CPU time of the build's own dependencies per response of the service, ms (per-build dependencies only). */
  dependencyCpuPerRequest?: number | null;
  /** The build's whole system per response, ms: the service's CPU time plus its own dependencies' (per-build dependencies only). */
  systemCpuPerRequest?: number | null;
  /** How much the service's resident memory grew over the trial per response, bytes (absent where it cannot be read). */
  memoryPerRequest?: number | null;
  /** CPU time of one yardstick operation over the trial, ms (runs with regression.yardstick only). */
  yardstickPerOp?: number | null;
  /** How long the yardstick waited for a CPU per operation over the trial, ms (Linux): how contended the CPUs were. */
  yardstickWaitPerOp?: number | null;
}

/** What history keeps of one scenario: its trials, or for a stress ramp the capacity it found. */
export interface ScenarioFigures {
  name: string;
  trials: TrialFigures[];
  /** Ramp scenarios: req/s at the highest step that met the conditions (null: none did). */
  capacity?: number | null;
  /** The machine's other work before the scenario, with no load sent: CPUs kept busy outside perfgate's tree, of `cpus` (Linux). */
  machine?: { otherCpus: number; cpus: number };
}

export interface HistoryRecord {
  kind: typeof RECORD_KIND;
  schemaVersion: typeof RECORD_SCHEMA_VERSION;
  id: string;
  savedAt: string;
  startedAt: string;
  name: string;
  fingerprint: string;
  runner: string;
  git: GitInfo | null;
  verdict: 'pass' | 'fail';
  scenarios: ScenarioFigures[];
  /**
   * Service CPU (mean, % of one core), memory (peak RSS, bytes) and memory growth (RSS slope,
   * bytes per minute, with its standard error) over the run; absent in older records.
   */
  service?: { cpuMean: number | null; memoryPeak: number | null; memoryGrowth?: number | null; memoryGrowthSe?: number | null };
  /** Comparisons found regressed when the run was made, e.g. "p95 of checkout". */
  regressions?: string[];
  /**
   * The unit of each defined service metric (`fraction`, `bytes`, `ms`, `per-second`, `number`),
   * so that charts label them without the config; absent in older records.
   */
  units?: Record<string, string>;
  /**
   * Flame graphs of this run published next to the dashboard (a store that publishes, a
   * profiled run): per scenario the page's path relative to the dashboard.
   */
  profiles?: { scenario: string; page: string }[];
  /**
   * A run measured side by side with a stored run's build (a duet): each comparison's estimate
   * and its pairs' standard error on the test's scale, so that later runs read how far such
   * estimates lean from run to run (analysis/lean.ts). Absent in other runs and older records.
   */
  duet?: { estimates: DuetEstimate[] };
}

/** One comparison of a stored duet: the mean pair difference (log-ratio oriented so that up is worse, or a share's difference) and its standard error. */
export interface DuetEstimate {
  scenario: string;
  metric: string;
  estimate: number;
  se: number;
}

export function recordFromResult(result: RunResult, savedAt = new Date(), o: { publishesProfiles?: boolean } = {}): HistoryRecord {
  const stamp = result.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const sha = result.git?.sha?.slice(0, 7) ?? 'nosha';
  const id = `${stamp}-${sha}-${randomBytes(3).toString('hex')}`;
  const profiles = o.publishesProfiles ? profilePages(result, id) : [];
  return {
    kind: RECORD_KIND,
    schemaVersion: RECORD_SCHEMA_VERSION,
    id,
    savedAt: savedAt.toISOString(),
    startedAt: result.startedAt,
    name: result.name,
    fingerprint: result.config.fingerprint,
    runner: result.runner,
    git: result.git,
    verdict: result.verdict,
    scenarios: scenarioFigures(result.scenarios),
    service: {
      cpuMean: result.service.cpu?.mean ?? null,
      memoryPeak: result.service.memory?.peak ?? null,
      memoryGrowth: result.service.memory?.growth?.slope ?? null,
      memoryGrowthSe: growthSe(result.service.memory?.growth),
    },
    // Against history, or (an A/B run against a stored run's build, which is stored) its base build.
    regressions: [...(result.regression?.comparisons ?? []), ...(result.ab?.comparisons ?? [])]
      .filter((c) => c.outcome === 'regression' && c.gating !== false)
      .map((c) => `${c.metric} of ${c.scenario}`),
    ...(result.metrics?.definitions.length ? { units: Object.fromEntries(result.metrics.definitions.map((d) => [d.name, d.unit])) } : {}),
    ...(profiles.length ? { profiles: profiles.map(({ scenario, page }) => ({ scenario, page })) } : {}),
    ...(result.ab?.design === 'duet' ? { duet: { estimates: duetEstimates(result.ab.comparisons) } } : {}),
  };
}

/**
 * Where a run's flame graphs go next to the dashboard (`profiles/ID/FILE`, relative to it) and
 * which file each is (as result.json names it): the head build's, one per profiled scenario.
 */
export function profilePages(result: RunResult, id: string): { scenario: string; page: string; file: string }[] {
  return (result.profile?.scenarios ?? []).flatMap((sc) => {
    const file = sc.sides.find((s) => s.side === 'head')?.files?.flameGraph;
    return file ? [{ scenario: sc.scenario, page: `profiles/${id}/${file.split('/').pop()}`, file }] : [];
  });
}

/** What history keeps of each trial. */
export function trialFigures(t: TrialResult): TrialFigures {
  return {
    p50: t.latency.p50,
    p95: t.latency.p95,
    p99: t.latency.p99,
    rps: t.rps,
    workflowsPerSec: t.workflows?.perSecond ?? null,
    attempts: t.requests + t.errors.timeouts + t.errors.connection,
    errors: t.errors.total,
    ...(t.metrics ? { metrics: t.metrics } : {}),
    ...(t.serviceMemory ? { memoryPerRequest: t.serviceMemory.perRequestBytes } : {}),
    ...(t.yardstick
      ? {
          yardstickPerOp: t.yardstick.perOpUs / 1000,
          ...(t.yardstick.waitPerOpUs !== undefined ? { yardstickWaitPerOp: t.yardstick.waitPerOpUs / 1000 } : {}),
        }
      : {}),
    ...(t.serviceCpu ? { cpuPerRequest: t.serviceCpu.perRequestUs === null ? null : t.serviceCpu.perRequestUs / 1000 } : {}),
    ...(t.dependencyCpu
      ? {
          dependencyCpuPerRequest: t.dependencyCpu.perRequestUs === null ? null : t.dependencyCpu.perRequestUs / 1000,
          systemCpuPerRequest: t.serviceCpu && t.requests > 0 ? (t.serviceCpu.ns + t.dependencyCpu.ns) / 1e6 / t.requests : null,
        }
      : {}),
  };
}

/** Standard error of a growth slope, from its 95 % interval. */
export function growthSe(g: MemoryGrowth | null | undefined): number | null {
  return g ? (g.ci[1] - g.ci[0]) / (2 * 1.96) : null;
}

export function scenarioFigures(scenarios: readonly ScenarioResult[]): ScenarioFigures[] {
  return scenarios
    .filter((s) => s.trials.length || s.ramp)
    .map((s) => ({
      ...(s.ramp
        ? { name: s.name, trials: [], capacity: s.ramp.capacity?.rps ?? null }
        : { name: s.name, trials: s.trials.map(trialFigures) }),
      ...(s.machine ? { machine: { otherCpus: s.machine.otherCpus, cpus: s.machine.cpus } } : {}),
    }));
}

/** What a stored duet keeps of its comparisons: each estimate and standard error on its analysis scale. */
export function duetEstimates(comparisons: readonly AbComparison[]): DuetEstimate[] {
  return comparisons.flatMap((c) =>
    c.se !== undefined && Number.isFinite(c.se) ? [{ scenario: c.scenario, metric: c.metric, estimate: analysisScale(c), se: c.se }] : [],
  );
}

/** A comparison's change back on the scale its test runs on: the mean log-ratio (oriented so that up is worse), or a share's difference. */
export function analysisScale(c: Pick<AbComparison, 'change' | 'worse' | 'scale'>): number {
  if (c.scale === 'abs') return c.change;
  return c.worse === 'up' ? Math.log1p(c.change) : -Math.log1p(-c.change);
}
