import type { ProfileMode } from '../contract/profile.js';
import type { TargetExpr, Unit } from './target-expr.js';
import type { MetricExpr } from './metric-expr.js';
import type { BuiltinMetric } from '../contract/result.js';

export interface Config {
  /** Absolute path of the config file. */
  file: string;
  name: string;
  service: ServiceConfig;
  /** Processes the service needs (a database, a cache): started before it, stopped after it. */
  dependencies: DependencyConfig[];
  scenarios: ScenarioConfig[];
  /** Every target, scenario blocks included, in the order written. */
  targets: TargetConfig[];
  report: { template?: string };
  history: HistoryConfig;
  regression: RegressionSettings;
  /**
   * The base build, for A/B mode: how to start it, and (with `ref`) the git ref to check out into
   * a worktree and `setup` to prepare it; the service's cwd is then moved into that checkout.
   */
  baseline?: { service: ServiceConfig; ref?: string; setup?: string; dependencies?: DependencyConfig[] };
  /** `ab` when a baseline service is configured (unless mode says otherwise), else `history`. */
  mode: 'history' | 'ab';
  ab: AbSettings;
  /** Named expressions over the service's Prometheus metrics (service.metrics.define). */
  metrics: MetricDefinition[];
  /**
   * A target the settings cannot judge (too short a load window, too few requests): `fail` (as
   * an unmeasured target) or `warn` (not judged, said, and the gate decides without it).
   */
  unjudgeable: 'fail' | 'warn';
  /**
   * The profiled trial: `mode` chooses the profiler (`auto` by what the service runs) and when
   * (`auto`: when an A/B gate fails; a named profiler: every run; `off`: never); `requested`
   * (`perfgate run --profile`) profiles this run whatever the mode.
   */
  profile: { mode: ProfileMode; requested: boolean };
}

export interface MetricDefinition {
  name: string;
  expr: string;
  parsed: MetricExpr;
  unit: Extract<Unit, 'number' | 'fraction' | 'bytes' | 'ms' | 'per-second'>;
  /** Compared against history and in A/B when set. */
  better?: 'higher' | 'lower';
  /** Smallest relative change that may fail the gate. */
  delta: number;
}

export interface MetricsEndpoint {
  /** Path below the service URL, or a full URL. */
  url: string;
  timeoutMs: number;
}

export interface AbSettings {
  /** Trials per side before the first look. */
  minTrials: number;
  /** Trials per side at most. */
  maxTrials: number;
  /** Trials per side added between looks. */
  step: number;
  /** Wall-clock budget for the whole A/B measurement. */
  budgetMs: number;
  /**
   * `duet`: each trial loads both builds at the same time (services pinned to the same CPUs, the
   * load generator to the others); `interleaved`: one after the other. Unset: duet when both
   * builds can run side by side and the CPUs can be split, else interleaved.
   */
  design?: 'duet' | 'interleaved';
}

export const AB_DEFAULTS: AbSettings = { minTrials: 6, maxTrials: 20, step: 2, budgetMs: 10 * 60_000 };

export interface HistoryConfig {
  store: 'dir' | 'git' | 'none';
  /** dir store: absolute path. */
  path: string;
  remote: string;
  branch: string;
  save: 'auto' | boolean;
  keep: number;
}

export interface ServiceConfig {
  /** Shell command; absent for an external target. */
  command?: string;
  cwd: string;
  env: Record<string, string>;
  port?: number | 'auto';
  /** Base URL; may still hold `{port}` until the port is chosen. */
  url: string;
  ready:
    | { kind: 'http'; url: string; timeoutMs: number }
    | { kind: 'tcp'; timeoutMs: number }
    | { kind: 'log'; pattern: RegExp; timeoutMs: number };
  /** Path or URL polled for uptime. */
  health: string;
  stopTimeoutMs: number;
  /** Stop by SIGTERM to the root process alone first (dependencies: a database stops its own processes). */
  stopRootFirst?: boolean;
  allowRemote: boolean;
  /** The service's Prometheus endpoint, scraped around every trial. */
  metrics?: MetricsEndpoint;
  /** https: how to verify the service's certificate. */
  tls?: TlsSettings;
}

/**
 * A dependency perfgate starts: `service` says how (command, cwd, env, port, readiness, stop
 * timeout, as for the service); `setup` runs once it is ready (a schema, seed data); `provides`
 * are the variables the service under test gets, `{port}` replaced by the dependency's port.
 * Shared by both builds in A/B mode, or `perBuild`: each build gets its own copy, started and
 * pinned with it, and the copy's CPU time per request is measured and compared as the build's.
 */
export interface DependencyConfig {
  name: string;
  service: ServiceConfig;
  setup?: string;
  /** A command that stops it gently before the SIGTERM to its tree (e.g. pg_ctl stop). */
  stop?: string;
  provides: Record<string, string>;
  perBuild: boolean;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

export interface StepConfig {
  name: string;
  method: HttpMethod;
  path: string;
  headers: Record<string, string>;
  /** Raw body, or JSON (`json:`) serialised per request after variable substitution. */
  body?: string;
  json?: unknown;
  capture: Record<string, string>;
  /** Statuses that count as success; default any 2xx or 3xx. */
  expect?: number[];
}

/** How perfgate speaks TLS to an https:// service (load, readiness, uptime probe, metrics). */
export interface TlsSettings {
  /** Accept a certificate no trusted CA signed (self-signed): still encrypted, not verified. */
  insecure: boolean;
  /** PEM text of a private CA to trust, read from `service.tls.ca`. */
  ca?: string;
  /** Where the CA was read from (for messages). */
  caFile?: string;
}

export interface ScenarioConfig {
  name: string;
  kind: 'request' | 'workflow';
  steps: StepConfig[];
  connections: number;
  /** Open model: requests per second over all connections. */
  rate?: number;
  /** Open model: how sends are spaced (evenly, or a Poisson process). */
  arrival?: 'uniform' | 'poisson';
  warmupMs: number;
  trials: number;
  durationMs: number;
  /** Per request: no response within it is a timeout. Never longer than a trial. */
  timeoutMs: number;
  /** Per connection attempt (TCP and TLS handshake): past it, a connection error. */
  connectTimeoutMs?: number;
  /** The service's TLS settings (https), copied here so that load processes carry them. */
  tls?: TlsSettings;
  /** A stress ramp instead of trials. */
  ramp?: RampConfig;
  /** Load generator processes on this machine (1: in-process). */
  processes: number;
}

export interface RampConfig {
  /** What grows: connections (closed model) or the offered rate (open model). */
  by: 'connections' | 'rate';
  start: number;
  factor: number;
  max: number;
  /** Load level of every step, in order (connections, or requests per second). */
  levels: number[];
  stepMs: number;
  /** A step breaking any of these ends the ramp. */
  stop: { p95Ms?: number; p99Ms?: number; errorRate: number };
}

export const RAMP_DEFAULTS = { factor: 2, errorRate: 0.01, maxSteps: 30 } as const;

export interface TargetConfig {
  name: string;
  expr: string;
  parsed: TargetExpr;
  /** Scenario name, or undefined for the whole run. */
  scenario?: string;
  notes?: string;
  /** Where it was written, for messages. */
  path: string;
}

export const LOAD_DEFAULTS = {
  connections: 10,
  warmupMs: 2000,
  trials: 5,
  durationMs: 5000,
  timeoutMs: 10_000,
} as const;

export const SERVICE_DEFAULTS = {
  readyTimeoutMs: 30_000,
  stopTimeoutMs: 5000,
} as const;

/**
 * The metrics that gate by default, chosen from the benchmark (bench/RESULTS-ab-quiet.md): p95
 * catches what p50 and p99 catch at +10 % with fewer unchanged PRs left inconclusive; errors,
 * ramp capacity and memory growth are one figure each, and throughput and workflows/s are what
 * an open-model scenario loses first when the service cannot keep up.
 */
export const GATE_DEFAULT: readonly string[] = ['p95', 'rps', 'workflows_per_s', 'errors', 'capacity', 'memory.growth'];

/** How history mode decides (regression: in the config). */
export interface RegressionSettings {
  window: number;
  minRuns: number;
  /** Family-wise level of a proven regression (and improvement), after Holm. */
  alpha: number;
  /**
   * The level of a confident pass: the one-sided upper bound of the worsening at 1 − β (A/B: per
   * look) below δ. A change of exactly δ ends as a confident pass in at most β of runs. Default: α.
   */
  beta: number;
  /** Minimum effect per metric, as a fraction (errors: an absolute rate; memory.growth: bytes per minute). */
  delta: Record<BuiltinMetric, number>;
  onMissingBaseline: 'pass' | 'warn' | 'fail';
  /**
   * The metrics that can fail the gate (built-in names or defined service metrics). The others
   * are compared and reported but sit outside the Holm family and never fail a run.
   */
  gate: readonly string[];
  /** Whether `gate` was written in the config (else A/B mode chooses its gate by design: abGate). */
  gateWritten?: boolean;
  /**
   * `moderated`: the trial metrics' spreads estimated together (empirical Bayes); `own`: each from
   * its own baseline runs (default: the benchmark found no gain from moderating one scenario's
   * metrics together; bench/RESULTS-history-gate.md).
   */
  spreads: 'own' | 'moderated';
  /**
   * A run's level per metric: its least disturbed trial (`best`: the fastest latency, the highest
   * throughput; default) or the median over its trials.
   */
  summary: 'best' | 'median';
  /**
   * Whether plain runs measure the yardstick beside the service (service/yardstick.ts): a fixed
   * workload on the service's CPUs whose CPU time per operation says how fast the machine was.
   */
  yardstick: boolean;
  /**
   * What a run without a base build (a push to the default branch, a PR without `baseline`) is
   * judged against: `stored-runs`, the figures of the stored runs; `stored-build`, the build of the
   * newest stored run, checked out and measured side by side with this one (an A/B run whose gate
   * decides; default), this run's own plain figures then stored as usual. Without a stored run to
   * take the commit from (the first run, records without a commit), `stored-runs`.
   */
  against: 'stored-runs' | 'stored-build';
  /**
   * Whether `against` was written in the config: only then does a run with nothing to take a build
   * from (no store, no git checkout, nothing stored yet) say why it is judged on the stored runs.
   */
  againstWritten?: boolean;
  /**
   * The levels of a run measured against the stored build: `alpha` and `beta` when the config sets
   * them, else α 0.01 and β 0.05. No one is waiting on a push to the default branch, so a false
   * fail there costs trust and buys nothing (bench/RESULTS-history-stored-build.md).
   */
  storedBuild: { alpha: number; beta: number };
}

/** Every built-in metric a comparison or regression.gate can name. */
export const BUILTIN_METRICS: readonly BuiltinMetric[] = [
  'p50',
  'p95',
  'p99',
  'rps',
  'workflows_per_s',
  'errors',
  'capacity',
  'memory.growth',
  'cpu_per_request',
  'dependency_cpu_per_request',
  'system_cpu_per_request',
  'relative_cpu_per_request',
  'memory_per_request',
];

export const REGRESSION_DEFAULTS: RegressionSettings = {
  window: 20,
  minRuns: 5,
  alpha: 0.05,
  beta: 0.05,
  delta: {
    p50: 0.05,
    p95: 0.1,
    p99: 0.1,
    rps: 0.05,
    workflows_per_s: 0.05,
    errors: 0.001,
    capacity: 0.1,
    'memory.growth': 5 * 1024 ** 2,
    cpu_per_request: 0.04,
    dependency_cpu_per_request: 0.05,
    system_cpu_per_request: 0.04,
    relative_cpu_per_request: 0.04,
    memory_per_request: 256,
  },
  onMissingBaseline: 'warn',
  gate: GATE_DEFAULT,
  spreads: 'own',
  summary: 'best',
  yardstick: false,
  against: 'stored-build',
  storedBuild: { alpha: 0.01, beta: 0.05 },
};
