// The figures of one scenario in result.json: each trial's latency, errors, connections and
// pacing, the service's CPU and memory in its windows, ramp steps, and the scenario's summary.
// Units as in result.ts.

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
   * The yardstick's figures over the trial (regression.yardstick): CPU time per operation of a
   * fixed workload run beside the service on its CPUs, how fast the machine was meanwhile.
   */
  yardstick?: YardstickFigures;
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

/** The machine's other work: CPUs kept busy by work that is not this run's (outside perfgate's process tree), on average, of `cpus`. */
export interface MachineFigures {
  otherCpus: number;
  cpus: number;
}

/** The yardstick over one trial: operations done, their CPU time (µs) and the CPU time one took. */
export interface YardstickFigures {
  ops: number;
  cpuUs: number;
  perOpUs: number;
  /** How long it waited for a CPU per operation (run-queue delay, µs): how contended the CPUs were. Linux only. */
  waitPerOpUs?: number;
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
  /**
   * How busy the machine was with other work just before the scenario, while perfgate sent no load
   * (CPUs kept busy on average outside perfgate's process tree, steal included). Linux, a service
   * perfgate started.
   */
  machine?: MachineFigures;
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
