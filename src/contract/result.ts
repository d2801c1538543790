// The contract of result.json (schemas/result.schema.json describes the same shape).
// Units: latency in ms (floats, µs precision), rates as fractions, CPU in % of one core,
// memory in bytes, throughput per second, timestamps ISO-8601 UTC.

import type { ProfileResult } from './profile.js';

export const RESULT_SCHEMA_VERSION = 1;

export interface LatencySummary {
  /** Number of latencies recorded (2xx responses). */
  count: number;
  min: number;
  mean: number;
  stdev: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Latency as another tool reported it (perfgate import): null where its output holds nothing
 * (k6 has no p99 unless summaryTrendStats asks for it; autocannon has no p95). perfgate's own
 * measurements always have every field.
 */
export type ReportedLatency = { [K in keyof LatencySummary]: LatencySummary[K] | null };

/** A latency figure perfgate measured itself (never null there). */
export function own(v: number | null): number {
  if (v === null) throw new Error('perfgate measured a trial without a latency figure');
  return v;
}

export interface ErrorCounts {
  /** non2xx + timeouts + connection errors + workflow errors. */
  total: number;
  /** Responses with a status the step does not expect (by default: not 2xx or 3xx). */
  non2xx: number;
  /** No response within the timeout (or no free connection within it, in an open model). */
  timeouts: number;
  /** A connection refused, reset, closed without a response, a handshake that failed or timed out, a response that could not be read. */
  connection: number;
  /** A workflow that could not go on: a capture missing, a captured value that cannot be sent. */
  workflow?: number;
  /** total / (responses + timeouts + connection errors), at most 1. */
  rate: number;
  /** Why requests failed (besides their status), with counts; at most 20 distinct reasons a trial. */
  reasons?: Record<string, number>;
}

export interface StepFigures {
  name: string;
  method: string;
  path: string;
  requests: number;
  ok: number;
  errors: number;
  latency: LatencySummary;
  histogram: string;
}

export interface TrialResult {
  index: number;
  startedAt: string;
  durationMs: number;
  /** Responses received, any status. */
  requests: number;
  /** 2xx responses. */
  ok: number;
  /** Successful responses per second (`requests` is the total, any status). */
  rps: number;
  /** Requests still unanswered at the end of the trial's drain, younger than the timeout (not errors). */
  unfinished?: number;
  /**
   * The service's CPU time over the trial (its whole process tree, every thread) and per response:
   * the figure that stays put when the machine's speed moves. Absent where it cannot be read (an
   * external service, not Linux).
   */
  serviceCpu?: ServiceCpu;
  /** The CPU time of the build's own (per-build) dependencies over the trial, per response of the service. */
  dependencyCpu?: DependencyCpu;
  /**
   * How much the service's resident memory (its whole process tree's RSS) grew over the trial, and
   * per response: what a leak costs each request. Absent where it cannot be read.
   */
  serviceMemory?: { growthBytes: number; perRequestBytes: number | null };
  latency: ReportedLatency;
  errors: ErrorCounts;
  /** Connections that got at least one 2xx response in this trial. */
  connectionsServed: number;
  statusCodes: Record<string, number>;
  workflows?: { completed: number; perSecond: number };
  steps?: StepFigures[];
  /** HdrHistogram (µs) of this trial, compressed base64, for exact merging later. */
  histogram: string;
  /** Metrics defined under service.metrics.define, over this trial (null: not measurable). */
  metrics?: Record<string, number | null>;
  /** How the connections behaved (perfgate's own trials; absent in imports and older results). */
  connections?: ConnectionFigures;
  /** Open model: the schedule of sends and how it was kept. */
  pacing?: PacingFigures;
}

export interface ServiceCpu {
  /** Nanoseconds of CPU time (cgroup: the service's own cgroup's cpu.stat, µs resolution; schedstat: ns; stat: 10 ms ticks). */
  ns: number;
  /** Microseconds of service CPU per response; null with no response. */
  perRequestUs: number | null;
  source: 'cgroup' | 'schedstat' | 'stat';
}

/** The CPU time a build's own dependencies used (a database started per build): summed, and per dependency. */
export interface DependencyCpu {
  ns: number;
  /** Microseconds per response of the service; null with no response. */
  perRequestUs: number | null;
  /** Nanoseconds per dependency, by name. */
  byName: Record<string, number>;
}

/** How a service's CPU time was counted, in words for the report. */
export interface CpuTimeCounting {
  /** cgroup: the service's own cgroup; proc: its process tree in /proc; none: not measured. */
  counted: 'cgroup' | 'proc' | 'none';
  note: string;
}

/** Connections opened in a trial, and how often the server closed one after a response. */
export interface ConnectionFigures {
  /** TCP connections opened (the initial ones included). */
  opened: number;
  /** Responses after which the server closed the connection (Connection: close, HTTP/1.0). */
  closedByServer: number;
  /** Time to open a connection (not part of any request's latency). */
  handshake: LatencySummary;
  /** HdrHistogram (µs) of the handshakes, compressed base64. */
  handshakeHistogram: string;
}

/** The open model's schedule and how well it was kept. */
export interface PacingFigures {
  arrival: 'uniform' | 'poisson';
  /** Requests per second offered. */
  offered: number;
  /** Requests that fell due during the trial. */
  intended: number;
  /** Requests sent. */
  sent: number;
  /** Requests that found no idle connection when due and waited (latency counted from when due). */
  late: number;
  /** Requests still waiting for a connection when the trial ended (never sent). */
  dropped: number;
  /** Requests that waited longer than the timeout for a connection (counted as timeouts, never sent). */
  expired?: number;
  /** The Poisson schedule's seed (a fresh one every trial). */
  seed?: number;
  /** Sends per second achieved. */
  achievedRate: number;
  /** The load generator's own timer lag (p99, ms): how late it woke for a send that had a connection. */
  lagP99Ms: number;
}

/** A value read from the service's metrics, or why there is none. */
export interface MetricValue {
  value: number | null;
  note?: string;
}

/** Least-squares RSS slope over the measured load (bytes per minute). */
export interface MemoryGrowth {
  slope: number;
  /** 95 % interval for the slope (autocorrelation-corrected). */
  ci: [number, number];
  r2: number;
  samples: number;
  effectiveSamples: number;
  /** Interval above zero, R² ≥ 0.5, at least 1 MB/min, over at least 30 s of load. */
  steady: boolean;
  sentence: string;
}

export interface RampStep {
  /** Connections, or offered requests per second for a rate ramp. */
  level: number;
  connections: number;
  rate: number | null;
  startedAt: string;
  durationMs: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errorRate: number;
  /** Whether the step met every stop condition. */
  ok: boolean;
  /** Which condition it broke. */
  broke: string | null;
}

export interface RampResult {
  by: 'connections' | 'rate';
  levels: number[];
  stop: { p95Ms: number | null; p99Ms: number | null; errorRate: number };
  steps: RampStep[];
  /** The highest step that met every condition; null when even the first did not. */
  capacity: { level: number; rps: number; p95: number } | null;
  stoppedBecause: string;
}

export interface ServiceWindow {
  cpu: { mean: number; peak: number; samples: number } | null;
  memory: { mean: number; peak: number; samples: number; growth?: MemoryGrowth | null } | null;
  uptime: { probes: number; up: number; ratio: number } | null;
}

export interface ScenarioResult {
  name: string;
  kind: 'request' | 'workflow';
  settings: {
    connections: number;
    rate: number | null;
    warmupMs: number;
    trials: number;
    durationMs: number;
    timeoutMs: number;
    /** Load generator processes, when more than one. */
    processes?: number;
    /** Open model with Poisson arrivals (absent: evenly spaced). */
    arrival?: 'poisson';
    steps: { name: string; method: string; path: string }[];
  };
  /** Over all trials: histograms merged, counts added, rps = responses / time under load. */
  summary: Omit<TrialResult, 'index' | 'startedAt'> & {
    /** Fewest connections served in any trial. */
    connectionsServed: number;
  };
  trials: TrialResult[];
  service: ServiceWindow;
  /** Why the scenario stopped early, when it did. */
  interrupted?: string;
  /** Defined service metrics over all of this scenario's trials. */
  metrics?: Record<string, MetricValue>;
  /** A stress ramp: every step, and the capacity found. Its one trial is the capacity step. */
  ramp?: RampResult;
}

export interface ServiceMetrics {
  url: string;
  definitions: { name: string; expr: string; unit: string; better: 'higher' | 'lower' | null; delta: number }[];
  scrapes: number;
  failed: number;
  /** Distinct reasons scrapes failed. */
  problems: string[];
  /** Over every trial of the run (ramps excluded). */
  values: Record<string, MetricValue>;
}

/** `internal`: perfgate itself failed (a bug); the run still stopped everything and wrote its files; exit 3. */
export type FailureKind = 'spawn-failed' | 'never-ready' | 'crashed' | 'load-error' | 'aborted' | 'internal';

export interface RunFailure {
  kind: FailureKind;
  message: string;
  scenario?: string;
  exit?: { code: number | null; signal: string | null };
  logTail: string[];
}

/** `unjudged`: these settings cannot judge the target (too short a load window, too few requests); see TargetResult.fix. */
export type TargetStatus = 'pass' | 'fail' | 'unmeasured' | 'unjudged';

export interface TargetResult {
  name: string;
  expr: string;
  scenario: string | null;
  metric: string;
  op: string;
  threshold: number;
  unit: string;
  /** null when it could not be measured. */
  measured: number | null;
  status: TargetStatus;
  note: string;
  /** For an unjudged target: the setting that would make it judgeable. */
  fix?: string;
  /**
   * Where the status rests on an interval, not the point value (memory.growth): the interval,
   * and whether the value is past the limit without being proven past it (then met, but said so).
   */
  interval?: { lower: number; upper: number; level: number; notProven: boolean };
}

export interface Environment {
  perfgate: string;
  node: string;
  /** The load engine that measured the run. */
  engine?: string;
  /** Older results: the autocannon version that measured them. */
  autocannon?: string;
  os: string;
  platform: string;
  arch: string;
  cpuModel: string;
  cores: number;
  totalMemory: number;
  hostname: string;
  ci: boolean;
}

export interface RunResult {
  schemaVersion: typeof RESULT_SCHEMA_VERSION;
  tool: 'perfgate';
  name: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  verdict: 'pass' | 'fail';
  /** One-line reason for the verdict. */
  reason: string;
  targets: TargetResult[];
  scenarios: ScenarioResult[];
  service: ServiceWindow & {
    mode: 'managed' | 'external';
    command: string | null;
    url: string;
    readyMs: number | null;
    exit: { code: number | null; signal: string | null } | null;
    logFile: string | null;
    logTail: string[];
    /** How the service's CPU time was counted (absent: an external target, or an older result). */
    cpuTime?: CpuTimeCounting;
  };
  failure: RunFailure | null;
  /** The service's own Prometheus metrics, when service.metrics is configured. */
  metrics?: ServiceMetrics | null;
  /** A run merged from shards measured on several machines (perfgate merge). */
  shards?: ShardInfo | null;
  /** A run imported from another tool's output (perfgate import). */
  source?: ImportSource | null;
  /** The config file, every scenario it defines (run or not), and the hash of what changes the measurement. */
  config: {
    file: string;
    scenarios: string[];
    fingerprint: string;
    /** What an unjudged target did to the verdict (absent in older results: fail). */
    unjudgeable?: 'fail' | 'warn';
  };
  /** Runs compare only with runs of the same runner class (OS, arch, CPU model, cores, Node major). */
  runner: string;
  git: GitInfo | null;
  /** Comparison with stored history; null when history is off or the run failed before load. */
  regression: RegressionAnalysis | null;
  /** Same-runner A/B comparison with the base build, in A/B mode. */
  ab: AbResult | null;
  /** The base build could not be measured (setup failed, never ready, crashed): history mode instead. */
  baseBuildFailure?: BaseBuildFailure;
  /** The profiled trial (where the time went), when this run was profiled. */
  profile?: ProfileResult;
  history: HistoryInfo | null;
  environment: Environment;
  files: { result: string; report: string; serviceLog: string | null };
}

export interface ShardInfo {
  count: number;
  files: string[];
  /** Per scenario and trial: how long all shards loaded together, of how long any did. */
  trials: { scenario: string; trial: number; overlapMs: number; spanMs: number; shortestMs: number }[];
  warnings: string[];
}

export interface ImportSource {
  tool: 'k6' | 'autocannon' | 'locust';
  file: string;
  /** Hash of what makes two imports comparable (tool, scenario name, load shape). */
  fingerprint: string;
  /** Figures the tool's output provides, and those it cannot (shown as ❓). */
  provides: string[];
  missing: string[];
  notes: string[];
}

export interface GitInfo {
  sha: string | null;
  branch: string | null;
  defaultBranch: string | null;
  onDefaultBranch: boolean;
  pullRequest: boolean;
  /** GITHUB_EVENT_NAME when run in Actions. */
  event: string | null;
  /** The pull request's number, from the event payload. */
  pullRequestNumber: number | null;
}

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
  /** How much worse, as a fraction (+0.12 = 12 % worse, negative = better); null without baseline. */
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
  window: number;
  minRuns: number;
  onMissingBaseline: 'pass' | 'warn' | 'fail';
  /** How each run's level was taken and how spreads were estimated (absent in older results: median, own). */
  runLevel?: 'best' | 'median';
  spreads?: 'own' | 'moderated';
  fingerprint: string;
  runner: string;
  /** Stored runs considered, and why others were not. */
  candidates: { total: number; sameConfig: number; sameRunner: number; defaultBranch: number };
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
  /** How much worse the head is, as a fraction (the mean of the pairs' log-ratios; errors: rate difference). */
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
  alpha: number;
  looks: number[];
  alphaPerLook: number;
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
  /** Latency comparisons the duet's default gate left out of the gate because this run's pairs scatter too widely for δ, and why. */
  notGating?: { scenario: string; metric: string; why: string }[];
  /**
   * Latency comparisons the duet's default gate judged on a wider δ than the configured one,
   * because this run's pairs scatter too widely to resolve it, and why (absent: none).
   */
  widened?: { scenario: string; metric: string; delta: number; why: string }[];
}
