// The comparisons in result.json: history mode's (this run against stored runs) and A/B mode's
// (the head against its base build, in pairs), with the base build's failure. Units as in result.ts.
import type { ScenarioResult } from './scenario-result.js';

/** History mode's outcomes; `confident pass`: no worsening of δ or more (results before 0.2 said `unchanged`). */
export type Outcome = 'regression' | 'improvement' | 'confident pass' | 'inconclusive' | 'insufficient baseline';
export type BuiltinMetric =
  | 'p50'
  | 'p95'
  | 'p99'
  | 'rps'
  | 'workflows_per_s'
  | 'errors'
  | 'capacity'
  | 'memory.growth'
  | 'cpu_per_request'
  | 'dependency_cpu_per_request'
  | 'system_cpu_per_request'
  | 'relative_cpu_per_request'
  | 'memory_per_request';
/** A built-in metric, or the name of a metric defined under service.metrics.define. */
export type ComparedMetric = BuiltinMetric | (string & {});

export interface Comparison {
  scenario: string;
  metric: ComparedMetric;
  /** 'up': a higher value is worse (latency, errors); 'down': a lower value is worse (throughput). */
  worse: 'up' | 'down';
  /** Median of the baseline runs' values, in the metric's unit (ms, per second, or error rate). */
  baseline: number | null;
  current: number;
  /** Baseline runs used for this metric (after the change-point cut). */
  runs: number;
  /** Id of the first run kept when a change point cut the window. */
  cutAt: string | null;
  /**
   * How much worse, as a fraction (+0.12 = 12 % worse, negative = better): current/baseline − 1
   * where higher is worse, 1 − current/baseline where lower is; null without baseline. Reports read
   * it against the baseline (format.ts readChange).
   */
  change: number | null;
  band: [number, number] | null;
  /** One-sided upper bound of the worsening at 1 − α (below δ: a confident pass); null without a test. */
  upper?: number | null;
  p: number | null;
  pAdjusted: number | null;
  /** Smallest worsening this comparison could have flagged (fraction), at least `delta`. */
  mde: number | null;
  /** Minimum effect that may fail the gate (fraction; for errors, an absolute rate). */
  delta: number;
  outcome: Outcome;
  /** Whether this comparison can fail the gate (regression.gate); absent in older results: yes. */
  gating?: boolean;
  note: string;
  /** The baseline runs' values (after the cut), oldest first, in the metric's unit: for charts. */
  trend: { id: string; sha: string | null; value: number }[];
  /** `abs`: a share compared on its own scale; change, band, MDE and δ are differences (0.05 = 5 pp). */
  scale?: 'abs';
}

export interface BaselineRun {
  id: string;
  savedAt: string;
  sha: string | null;
  branch: string | null;
}

export interface RegressionAnalysis {
  mode: 'history';
  store: string;
  alpha: number;
  /** The level of a confident pass when it is not alpha (regression.beta). Absent: alpha. */
  beta?: number;
  window: number;
  minRuns: number;
  onMissingBaseline: 'pass' | 'warn' | 'fail';
  /** How each run's level was taken and how spreads were estimated (absent in older results: median, own). */
  runLevel?: 'best' | 'median';
  spreads?: 'own' | 'moderated';
  fingerprint: string;
  runner: string;
  /** Stored runs considered, and why others were not. */
  candidates: {
    total: number;
    sameConfig: number;
    sameRunner: number;
    defaultBranch: number;
    /**
     * With a yardstick in this run: its CPU time per operation (µs, median over the run's trials),
     * the range a stored run's must fall in to be compared, and how many default-branch runs fell
     * outside it (measured on a machine of another speed) or had no yardstick (kept).
     */
    yardstick?: { perOpUs: number; range: [number, number]; outside: number; without: number };
    /**
     * How busy the machine was with other work (CPUs on average, with no load sent), this run's
     * against the compared stored runs' (the median; `runs` of them carried the figure): `busier`
     * or `quieter` by a quarter of the machine's CPUs or more. `factor`: how many times slower (or
     * faster) the machine alone could have made the run (the CPUs left to one against the other;
     * null: almost none left). On a busier machine a worsening of latency, throughput or CPU per
     * request is called a regression only beyond that factor (on a quieter one, an improvement
     * likewise): otherwise the comparison says inconclusive, and why.
     */
    machine?: MachineEvidence;
  };
  /** Runs that formed the baseline (any metric), oldest first. */
  baseline: BaselineRun[];
  comparisons: Comparison[];
  /** Outcomes of the gating comparisons (regression.gate). */
  counts: Record<Outcome, number>;
  warnings: string[];
  /** Comparisons not made because this run's design fixes the metric (an open model's request rate). */
  leftOut?: { scenario: string; metric: string; why: string }[];
}

export interface HistoryInfo {
  store: string;
  saved: boolean;
  /** Why it was or was not saved. */
  reason: string;
  location: string | null;
  pruned: number;
  /** Where the dashboard was published (git store, default-branch runs), if it was. */
  dashboard?: string;
}

export type AbOutcome = 'regression' | 'improvement' | 'confident pass' | 'inconclusive';

export interface AbComparison {
  scenario: string;
  metric: ComparedMetric;
  worse: 'up' | 'down';
  /** Medians of the trials of each side (ms, per second, or an error rate). */
  base: number;
  head: number;
  /** Trials per side; for a paired comparison, the pairs. */
  n: { base: number; head: number };
  /**
   * How much worse the head is, as a fraction, from the mean of the pairs' log-ratios: head/base − 1
   * where higher is worse, 1 − head/base where lower is (a halving: 0.5); errors and shares: the
   * difference. Reports read it head against base (format.ts readChange).
   */
  change: number;
  /** Standard deviation of the pairs' log-ratios (paired comparisons; absent in older results); crossed over: within the arrangements. */
  spread?: number;
  /** Crossed over: the slot's own effect on the log-ratio (the first slot against the second), cancelled in `change`. */
  slotEffect?: number;
  /** Interval for `change` at `ciLevel` (the look's level). */
  ci: [number, number];
  ciLevel: number;
  /** One-sided p for "head worse": paired t on the log-ratios (older results: Mann–Whitney; errors: two-proportion test). */
  p: number;
  /** Holm-adjusted over the family; compared with alpha / looks. */
  pAdjusted: number;
  delta: number;
  outcome: AbOutcome;
  /** Whether this comparison can fail the gate (regression.gate); absent in older results: yes. */
  gating?: boolean;
  sentence: string;
  /** `abs`: a share compared on its own scale; change and interval are differences (0.05 = 5 pp). */
  scale?: 'abs';
  /** Standard error of the mean pair difference on the test's scale (log-ratio, or the share's difference), from the pairs alone (absent in older results). */
  se?: number;
  /**
   * How far this comparison's estimate leans from run to run beyond its pairs' scatter (an sd on
   * the test's scale), from `runs` stored duets of this config and runner class: added to the
   * pairs' variance in the test and interval (absent: no such evidence, or none used).
   */
  lean?: { sd: number; runs: number };
}

/** A base build perfgate could not measure: the run fell back to history mode. */
export interface BaseBuildFailure {
  ref: string;
  sha: string | null;
  message: string;
  logTail: string[];
  /** Where the setup's or the base service's output is, when there is one. */
  log: string | null;
}

export interface AbResult {
  mode: 'ab';
  /** A regression needs Holm-adjusted p ≤ alphaPerLook (alpha split over the looks). */
  alpha: number;
  looks: number[];
  alphaPerLook: number;
  /** The level of a confident pass when it is not alpha (regression.beta; per look: beta / looks). Absent: alpha. */
  beta?: number;
  /** Trials per side when sampling stopped, and why it stopped. */
  trialsPerSide: number;
  batches: number;
  stoppedBecause: string;
  elapsedMs: number;
  order: string;
  base: {
    command: string | null;
    url: string;
    scenarios: ScenarioResult[];
    /** When perfgate checked the base build out itself (baseline.ref, --against). */
    commit?: { ref: string; sha: string; why: string } | null;
  };
  comparisons: AbComparison[];
  /** Outcomes of the gating comparisons. */
  counts: Record<AbOutcome, number>;
  /**
   * How the builds were loaded: `duet` (both at the same time, their services pinned to the same
   * CPUs, the load generator to the others) or `interleaved` (one after the other, alternating);
   * absent in older results (interleaved). `designNote` says why, and where each ran.
   */
  design?: 'duet' | 'interleaved';
  designNote?: string;
  /** Comparisons not made because the design fixes the metric (an open model's request rate). */
  leftOut?: { scenario: string; metric: string; why: string }[];
  /** Where the gate came from: the config's regression.gate, or the design's default (absent in older results). */
  gateFrom?: string;
  /**
   * Duet crossed over: which build held the first slot (started, given its port and warmed up
   * first) in each pair, B or H, e.g. "BBBHHHBB"; the analysis cancels the slot's effect.
   */
  firstSlot?: string;
  /**
   * Duet: a cgroup CPU quota (container runners, Kubernetes) that caps perfgate, both builds and
   * the load generator together below the CPUs pinning split, so the split isolated nothing
   * (absent: no such quota).
   */
  cpuQuota?: { cpus: number; file: string };
  /**
   * Duet: the scenarios a target reads, which the head ran alone after the pairs (the base
   * stopped, nothing pinned), their own trials as a plain run measures them: the head's figures
   * and targets for those scenarios are these, not its pairs'. `ms`: how long that took (with
   * the head's stress ramps). Absent: none.
   */
  headAlone?: { scenarios: string[]; ms: number };
  /**
   * The head's pairs of the scenarios it then ran alone (`headAlone`), whose figures in
   * `scenarios` are the alone ones: with `base.scenarios`, every pair the comparisons read, so
   * that each comparison can be recomputed from this file. Absent: none ran alone.
   */
  headPairs?: { scenarios: ScenarioResult[] };
  /** Latency comparisons the duet's default gate left out of the gate because this run's pairs scatter too widely for δ, and why. */
  notGating?: { scenario: string; metric: string; why: string }[];
  /**
   * Latency comparisons the duet's default gate judged on a wider δ than the configured one,
   * because this run's pairs scatter too widely to resolve it, and why (absent: none).
   */
  widened?: { scenario: string; metric: string; delta: number; why: string }[];
  /**
   * Duet against a base build perfgate checked out (a stored run's, a pull request's base,
   * --against): the stored duets of this config and runner class read for each comparison's
   * run-to-run lean (the newest `window`; a comparison needs `minRuns` of them). The leans found are
   * on the comparisons (`lean`). Absent: none were read (no history store, or history that could
   * not be read).
   */
  runLean?: { duets: number; window: number; minRuns: number };
}

/** The machine's other work, this run's against the stored runs' (history's `candidates.machine`). */
export interface MachineEvidence {
  /** This run's: CPUs kept busy by other work (median over its scenarios), of `cpus`. */
  otherCpus: number;
  cpus: number;
  /** The stored runs' (the median of their medians), and how many stored runs carried the figure. */
  storedOtherCpus: number;
  runs: number;
  /** 'busier'/'quieter': this run's share of busy CPUs differs from the stored runs' by a quarter or more. */
  differs: 'busier' | 'quieter' | null;
  /**
   * Where it differs: how many times slower (busier) or faster (quieter) the machine alone could
   * have made this run, the CPUs left to the stored runs against those left to this one; null
   * when almost none were left on the busier side.
   */
  factor?: number | null;
}
