// The contract of result.json (schemas/result.schema.json describes the same shape).
// Units: latency in ms (floats, µs precision), rates as fractions, CPU in % of one core,
// memory in bytes, throughput per second, timestamps ISO-8601 UTC.

import type { ProfileResult } from './profile.js';
import type { AbResult, BaseBuildFailure, HistoryInfo, RegressionAnalysis } from './comparison.js';
import type { CpuTimeCounting, ScenarioResult, ServiceMetrics, ServiceWindow } from './scenario-result.js';

// The scenario figures and the comparisons are split by subject; every type is still read from here.
export * from './scenario-result.js';
export * from './comparison.js';

export const RESULT_SCHEMA_VERSION = 1;

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
    /** The yardstick beside the service (regression.yardstick): whether it ran, on which CPUs, how often. */
    yardstick?: { ran: boolean; cpus: number[] | null; periodMs: number; note: string | null };
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
