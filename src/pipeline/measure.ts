// Measuring one service: start it, run every scenario (warm-up, then K trials), sample its CPU,
// memory and health meanwhile, stop it. What comes back is the measured part of a RunResult.
import { serviceWindow, type Window } from '../analysis/aggregate.js';
import { summarizeTrials } from '../load/summary.js';
import { memoryGrowth } from '../analysis/growth.js';
import type { TrialReading } from '../analysis/metric-eval.js';
import { attachMetrics, runMetrics } from '../analysis/service-metrics.js';
import { loadSettings } from '../config/settings.js';
import type { Config, ScenarioConfig } from '../config/types.js';
import type { Histogram } from '../load/histogram.js';
import { runRamp, type RampRun } from '../load/ramp.js';
import { LoadPool } from '../load/processes.js';
import { runScenario, type ScenarioHooks, type ScenarioRun, type TrialStarter } from '../load/scenario.js';
import type { Progress } from '../util/progress.js';
import type { RunFailure, RunResult, ScenarioResult, ServiceMetrics, TrialResult } from '../contract/result.js';
import { serviceUrl } from '../config/service-url.js';
import { abortReason, type Launched } from '../service/launch.js';
import { dirname, join } from 'node:path';
import { UptimeProbe, type ProbeSample } from '../service/probe.js';
import { ResourceSampler, type ResourceSample } from '../service/sampler.js';
import { TrialScrapes } from '../service/scrape.js';
import { cpuCounting, TrialCpu } from '../service/cpu-time.js';
import { TrialRss } from '../service/trial-memory.js';
import { idleMachineLoad } from '../service/machine-load.js';
import { Yardstick, YARDSTICK_PERIOD_MS } from '../service/yardstick.js';
import { launchSystem, startDependencies, type Dependencies } from '../service/dependencies.js';
import type { DependencyConfig } from '../config/types.js';

export interface MeasureContext {
  env: NodeJS.ProcessEnv;
  runId: string;
  serviceLog: string | null;
  signal?: AbortSignal;
  progress: Progress;
  /** Turns an absolute path into what result.json shows. */
  display: (path: string) => string;
  /** The dependencies shared by the run (started once, before any build): one that exits stops the load. */
  shared?: Pick<Dependencies, 'crashed'>;
}

export interface Measurement {
  scenarios: ScenarioResult[];
  failure: RunFailure | null;
  service: RunResult['service'];
  metrics?: ServiceMetrics | null;
}

/** Samples of one service across all of its starts. */
export class ServiceSamples {
  readonly resources: ResourceSample[] = [];
  readonly probes: ProbeSample[] = [];
  private sampler: ResourceSampler | undefined;
  private probe: UptimeProbe | undefined;

  start(launched: Launched, healthPath: string): void {
    if (launched.service) {
      this.sampler = new ResourceSampler(launched.service.pid);
      this.sampler.start();
    }
    this.probe = new UptimeProbe(serviceUrl(launched.baseUrl, healthPath));
    this.probe.start();
  }

  async stop(): Promise<void> {
    await this.probe?.stop();
    await this.sampler?.stop();
    if (this.probe) this.probes.push(...this.probe.samples);
    if (this.sampler) this.resources.push(...this.sampler.samples);
    this.probe = undefined;
    this.sampler = undefined;
  }
}

export function scenarioResult(
  scenario: ScenarioConfig,
  trials: TrialResult[],
  histograms: Histogram[],
  interrupted?: string,
): ScenarioResult {
  return {
    name: scenario.name,
    kind: scenario.kind,
    settings: { ...loadSettings(scenario), steps: scenario.steps.map((s) => ({ name: s.name, method: s.method, path: s.path })) },
    summary: summarizeTrials(trials, histograms),
    trials: trials.map((t, index) => ({ ...t, index })),
    service: { cpu: null, memory: null, uptime: null },
    ...(interrupted ? { interrupted } : {}),
  };
}

/** A ramp's result: its one trial is the capacity step (none when no step met the conditions); every step is in `ramp`. */
export function rampScenarioResult(scenario: ScenarioConfig, run: RampRun): ScenarioResult {
  const i = run.capacityIndex;
  const result = scenarioResult(scenario, i === null ? [] : [run.trials[i]!], i === null ? [] : [run.histograms[i]!], run.interrupted);
  const ramp = scenario.ramp!;
  const cap = i === null ? null : run.steps[i]!;
  result.ramp = {
    by: ramp.by,
    levels: ramp.levels,
    stop: { p95Ms: ramp.stop.p95Ms ?? null, p99Ms: ramp.stop.p99Ms ?? null, errorRate: ramp.stop.errorRate },
    steps: run.steps,
    capacity: cap ? { level: cap.level, rps: cap.rps, p95: cap.p95 } : null,
    stoppedBecause: run.stoppedBecause,
  };
  return result;
}

/**
 * Hooks that read the service's CPU time and scrape its metrics around every measured trial
 * (CPU first: a scrape costs the service CPU that no trial asked for).
 */
export function boundaryHooks(hooks: ScenarioHooks, cpu: TrialResources | undefined, scrapes: TrialScrapes | undefined): ScenarioHooks {
  const steps = [cpu?.enabled ? cpu.boundary : undefined, scrapes?.enabled ? scrapes.boundary : undefined].filter(
    (f): f is NonNullable<ScenarioHooks['trialBoundary']> => f !== undefined,
  );
  if (!steps.length) return hooks;
  return {
    ...hooks,
    trialBoundary: async (when, kept) => {
      for (const step of when === 'before' ? [...steps].reverse() : steps) await step(when, kept);
    },
  };
}

/**
 * What a build's system spends over each trial, read at the trial boundaries one after the
 * other: the CPU time of the service and of its own (per-build) dependencies, then how much the
 * service's resident memory grew (CPU first: reading /proc costs a little CPU of its own).
 */
export class TrialResources {
  private readonly service: TrialCpu;
  private readonly deps: { name: string; cpu: TrialCpu }[];
  private readonly rss: TrialRss;
  /** The yardstick's readings before this scenario's first trial (one yardstick serves the whole run). */
  private readonly yardstickFirst: number;

  constructor(
    launched: Pick<Launched, 'service' | 'dependencies'> | undefined,
    private readonly yardstick?: Yardstick | null,
  ) {
    this.service = new TrialCpu(launched?.service);
    this.deps = (launched?.dependencies ?? []).map((d) => ({ name: d.name, cpu: new TrialCpu(d.launched.service) }));
    this.rss = new TrialRss(launched?.service);
    this.yardstickFirst = yardstick?.readings.length ?? 0;
  }

  get enabled(): boolean {
    return this.service.enabled || this.deps.some((d) => d.cpu.enabled) || this.rss.enabled || Boolean(this.yardstick);
  }

  // The yardstick is read last before a trial and first after it, so that its window holds the
  // trial's and as little else as can be.
  readonly boundary = async (when: 'before' | 'after', kept: boolean): Promise<void> => {
    if (when === 'after') await this.yardstick?.boundary(when, kept);
    await this.service.boundary(when, kept);
    for (const d of this.deps) await d.cpu.boundary(when, kept);
    await this.rss.boundary(when, kept);
    if (when === 'before') await this.yardstick?.boundary(when, kept);
  };

  /** Each trial's CPU time, from the readings taken around it (in order; `first`: readings of earlier trials). */
  attach(trials: TrialResult[], first = 0): void {
    trials.forEach((t, i) => {
      const perRequest = (ns: number): number | null => (t.requests > 0 ? ns / 1000 / t.requests : null);
      const r = this.service.enabled ? this.service.readings[first + i] : null;
      if (r) t.serviceCpu = { ns: r.ns, perRequestUs: perRequest(r.ns), source: r.source };
      const deps = this.deps.map((d) => ({ name: d.name, r: d.cpu.enabled ? d.cpu.readings[first + i] : null }));
      if (deps.length && deps.every((d) => d.r)) {
        const ns = deps.reduce((a, d) => a + d.r!.ns, 0);
        t.dependencyCpu = { ns, perRequestUs: perRequest(ns), byName: Object.fromEntries(deps.map((d) => [d.name, d.r!.ns])) };
      }
      const grew = this.rss.enabled ? this.rss.readings[first + i] : null;
      if (typeof grew === 'number')
        t.serviceMemory = { growthBytes: grew, perRequestBytes: t.requests > 0 ? Math.round((grew / t.requests) * 10) / 10 : null };
      const ys = this.yardstick?.readings[this.yardstickFirst + i];
      if (ys) t.yardstick = ys;
    });
  }
}

/** Runs a scenario (or its ramp) and turns it into a result, with its service metrics and CPU time attached. */
export async function runAndRecord(
  baseUrl: string,
  scenario: ScenarioConfig,
  hooks: ScenarioHooks,
  config: Pick<Config, 'metrics'>,
  scrapes: TrialScrapes,
  system?: Pick<Launched, 'service' | 'dependencies'>,
  yardstick?: Yardstick | null,
): Promise<{ run: ScenarioRun; result: ScenarioResult; readings: TrialReading[] }> {
  const first = scrapes.pairs.length;
  const cpu = scenario.ramp ? undefined : new TrialResources(system, yardstick);
  const withScrapes = boundaryHooks(hooks, cpu, scrapes);
  return withLoadPool(scenario, async (start) => {
    if (scenario.ramp) {
      const run = await runRamp(baseUrl, scenario, withScrapes, start);
      const result = rampScenarioResult(scenario, run);
      const pairs = scrapes.enabled && run.capacityIndex !== null ? [scrapes.pairs[first + run.capacityIndex]] : [];
      const readings = scrapes.enabled ? attachMetrics(result, pairs, config.metrics) : [];
      return { run, result, readings };
    }
    const run = await runScenario(baseUrl, scenario, withScrapes, start);
    cpu?.attach(run.trials);
    const result = scenarioResult(scenario, run.trials, run.histograms, run.interrupted);
    const readings = scrapes.enabled ? attachMetrics(result, scrapes.pairs.slice(first), config.metrics) : [];
    return { run, result, readings };
  });
}

/** Runs `body` with the trial starter the scenario asks for: in-process, or a pool of load processes (closed after). */
export async function withLoadPool<T>(scenario: ScenarioConfig, body: (start: TrialStarter | undefined) => Promise<T>): Promise<T> {
  if (scenario.processes <= 1) return body(undefined);
  const pool = new LoadPool(scenario.processes);
  try {
    return await body(pool.start);
  } finally {
    await pool.close();
  }
}

/** The service metrics part of a run, or null when no endpoint is configured. */
export function metricsOf(
  config: Config,
  launched: Pick<Launched, 'baseUrl'>,
  scrapes: { scrapes: number; failed: number; problems: Iterable<string> },
  readings: { ramp: boolean; readings: TrialReading[] }[],
): ServiceMetrics | null {
  const m = config.service.metrics;
  if (!m) return null;
  return runMetrics(serviceUrl(launched.baseUrl, m.url), config.metrics, readings, scrapes);
}

export function progressHooks(progress: Progress, scenario: ScenarioConfig, prefix = ''): Pick<ScenarioHooks, 'onPhase' | 'onLive'> {
  return {
    onPhase: (phase) => progress.live(`  ${prefix}${scenario.name}: ${phase}`),
    onLive: (phase, live, totalMs) =>
      progress.live(
        `  ${prefix}${scenario.name}: ${phase} ${Math.min(100, Math.round((100 * live.elapsedMs) / totalMs))}% · ${Math.round((live.responses * 1000) / Math.max(1, live.elapsedMs))} req/s · ${live.errors} errors`,
      ),
  };
}

/** The failure to record when a scenario stopped early: Ctrl-C, or the service died. */
export function interruption(launched: Launched, reason: string, scenario: string, signal: AbortSignal | undefined): RunFailure {
  const aborted = abortReason(signal);
  if (aborted) return { kind: 'aborted', message: aborted, scenario, logTail: launched.logTail() };
  const exit = launched.service?.exit;
  return {
    kind: 'crashed',
    message: reason,
    scenario,
    exit: exit ? { code: exit.code, signal: exit.signal } : undefined,
    logTail: launched.logTail(),
  };
}

export function loadError(launched: Launched, scenario: string, err: unknown): RunFailure {
  if (isInternal(err)) return internalFailure(err, launched.logTail(), scenario);
  // The load could not start (e.g. a load process could not be forked): a verdict, not a crash of perfgate.
  return {
    kind: 'load-error',
    message: `the load for "${scenario}" could not be sent: ${(err as Error).message}`,
    scenario,
    logTail: launched.logTail(),
  };
}

export function summaryLine(s: ScenarioResult): string {
  const l = s.summary.latency;
  return `perfgate:   ${Math.round(s.summary.rps)} req/s, p50 ${l.p50} ms, p95 ${l.p95} ms, p99 ${l.p99} ms, errors ${(s.summary.errors.rate * 100).toFixed(2)}%`;
}

/** Attaches service figures to each scenario (its own trial windows) and to the run (all of them). */
export function serviceFigures(
  config: Config,
  launched: Launched,
  ctx: MeasureContext,
  samples: ServiceSamples,
  scenarios: ScenarioResult[],
  windowsByScenario: Window[][],
): RunResult['service'] {
  const data = { resources: launched.service ? samples.resources : null, probes: samples.probes };
  const withGrowth = (w: RunResult['service'] | ScenarioResult['service'], groups: Window[][]): typeof w => {
    if (w.memory && data.resources) w.memory.growth = memoryGrowth(data.resources, groups);
    return w;
  };
  scenarios.forEach((s, i) => (s.service = withGrowth(serviceWindow(data, windowsByScenario[i] ?? []), [windowsByScenario[i] ?? []])));
  // Run-wide figures leave stress ramps out: they push the service past its limits on purpose.
  const steady = windowsByScenario.filter((_, i) => !scenarios[i]?.ramp);
  const exit = launched.service?.exit;
  return {
    ...withGrowth(serviceWindow(data, steady.flat()), steady),
    mode: launched.service ? 'managed' : 'external',
    command: config.service.command ?? null,
    url: launched.baseUrl,
    readyMs: launched.readyMs,
    exit: exit ? { code: exit.code, signal: exit.signal } : null,
    logFile: ctx.serviceLog ? ctx.display(ctx.serviceLog) : null,
    logTail: launched.logTail(),
    ...(launched.service ? { cpuTime: cpuCounting(launched.service) } : {}),
  };
}

export async function measureOnce(config: Config, ctx: MeasureContext): Promise<Measurement> {
  const launched = await launchSystem(config.service, perBuild(config.dependencies), {
    env: ctx.env,
    runId: ctx.runId,
    logFile: ctx.serviceLog ?? undefined,
    signal: ctx.signal,
    progress: ctx.progress,
    label: 'the service',
    dependencyLog: dependencyLog(ctx, ''),
    shared: ctx.shared,
  });
  const scenarios: ScenarioResult[] = [];
  const windows: Window[][] = [];
  const samples = new ServiceSamples();
  const endpoint = config.service.metrics;
  const scrapes = new TrialScrapes(endpoint ? serviceUrl(launched.baseUrl, endpoint.url) : undefined, endpoint?.timeoutMs ?? 0);
  const readings: { ramp: boolean; readings: TrialReading[] }[] = [];
  let failure = launched.failure;
  let yardstick: Yardstick | null = null;
  try {
    if (!failure) {
      if (config.regression.yardstick) yardstick = await startYardstick(launched, ctx);
      samples.start(launched, config.service.health);
      for (const scenario of config.scenarios) {
        ctx.progress.info(`perfgate: scenario "${scenario.name}": ${describeLoad(scenario)}`);
        // The machine's other work with no load sent: history does not call a run on a busier machine slower.
        const machine = launched.service && !launched.service.cpuNotMeasured ? await idleMachineLoad() : null;
        let recorded: Awaited<ReturnType<typeof runAndRecord>>;
        try {
          recorded = await runAndRecord(
            launched.baseUrl,
            scenario,
            { interrupt: () => abortReason(ctx.signal) ?? launched.crashed(), ...progressHooks(ctx.progress, scenario) },
            config,
            scrapes,
            launched,
            yardstick,
          );
        } catch (err) {
          failure = loadError(launched, scenario.name, err);
          break;
        }
        const { run, result } = recorded;
        if (machine) result.machine = machine;
        windows.push(run.windows);
        scenarios.push(result);
        readings.push({ ramp: Boolean(scenario.ramp), readings: recorded.readings });
        if (result.ramp) ctx.progress.info(rampLine(result));
        else if (run.trials.length) ctx.progress.info(summaryLine(result));
        if (run.interrupted) {
          failure = interruption(launched, run.interrupted, scenario.name, ctx.signal);
          break;
        }
      }
    }
  } finally {
    await yardstick?.stop();
    await samples.stop();
    await launched.stop();
  }
  return {
    scenarios,
    failure,
    service: { ...serviceFigures(config, launched, ctx, samples, scenarios, windows), ...yardstickOf(config, yardstick) },
    metrics: failure && !scenarios.length ? null : metricsOf(config, launched, scrapes, readings),
  };
}

/** The yardstick beside the service (regression.yardstick); a run without it goes on, and says so. */
async function startYardstick(launched: Launched, ctx: MeasureContext): Promise<Yardstick | null> {
  const y = await Yardstick.start(launched.service?.pid, { env: ctx.env });
  if (!y) ctx.progress.info('perfgate: the yardstick could not start; CPU per request is not read relative to it in this run');
  else if (y.pinNote) ctx.progress.info(`perfgate: the yardstick runs unpinned: ${y.pinNote}`);
  return y;
}

/** How the run's yardstick ran, for result.json and the report. */
function yardstickOf(config: Config, y: Yardstick | null): Pick<RunResult['service'], 'yardstick'> {
  if (!config.regression.yardstick) return {};
  if (!y) return { yardstick: { ran: false, cpus: null, periodMs: YARDSTICK_PERIOD_MS, note: 'it could not start' } };
  return { yardstick: { ran: true, cpus: y.cpus, periodMs: YARDSTICK_PERIOD_MS, note: y.pinNote ? `unpinned: ${y.pinNote}` : null } };
}

function describeLoad(s: ScenarioConfig): string {
  if (s.ramp) {
    const r = s.ramp;
    const unit = r.by === 'connections' ? 'connections' : `req/s over ${s.connections} connections`;
    return `stress ramp ${r.levels.join(' → ')} ${unit}, ${r.stepMs / 1000}s per step`;
  }
  return `${s.connections} connections${s.rate ? ` at ${s.rate} req/s` : ''}, ${s.trials} × ${s.durationMs / 1000}s${s.processes > 1 ? ` from ${s.processes} load processes` : ''}`;
}

function rampLine(s: ScenarioResult): string {
  const cap = s.ramp!.capacity;
  return `perfgate:   capacity ${cap ? `${Math.round(cap.rps)} req/s (p95 ${cap.p95} ms)` : 'not found: no step met the conditions'}; ${s.ramp!.stoppedBecause}`;
}

/** Whether an error is perfgate's own fault (the load engine threw), not the load's or the service's. */
export function isInternal(err: unknown): boolean {
  return Boolean((err as { internal?: boolean } | null)?.internal);
}

/** perfgate's own fault as a run failure: the run's files are still written; exit 3. */
export function internalFailure(err: unknown, logTail: string[], scenario?: string): RunFailure {
  const e = err instanceof Error ? err : new Error(String(err));
  const cause = e.cause instanceof Error ? e.cause : e;
  return {
    kind: 'internal',
    message: `internal error (a bug in perfgate, please report it): ${e.message}${cause.stack ? `\n${cause.stack.split('\n').slice(0, 6).join('\n')}` : ''}`,
    ...(scenario ? { scenario } : {}),
    logTail,
  };
}

/** The dependencies each build gets its own copy of; the others are shared, started once per run. */
export function perBuild(deps: readonly DependencyConfig[]): DependencyConfig[] {
  return deps.filter((d) => d.perBuild);
}

/** Where a dependency's log goes: next to the service's, `PREFIXdependency-NAME.log` (base- for the base build's copy). */
export function dependencyLog(ctx: Pick<MeasureContext, 'serviceLog'>, prefix: string): (name: string) => string | undefined {
  return (name) => (ctx.serviceLog ? join(dirname(ctx.serviceLog), `${prefix}dependency-${name}.log`) : undefined);
}

/**
 * Runs `body` with the shared dependencies up (every dependency without per-build: once per run,
 * for both builds), their variables in the environment every build gets; stops them after. A
 * dependency that cannot start is `body`'s failure to report (nothing is measured).
 */
export async function withSharedDependencies<T>(
  config: Pick<Config, 'dependencies'>,
  ctx: MeasureContext,
  body: (ctx: MeasureContext, failure: RunFailure | null) => Promise<T>,
): Promise<T> {
  const shared = config.dependencies.filter((d) => !d.perBuild);
  if (!shared.length) return body(ctx, null);
  const deps = await startDependencies(shared, {
    env: ctx.env,
    runId: ctx.runId,
    signal: ctx.signal,
    progress: ctx.progress,
    logFile: dependencyLog(ctx, ''),
  });
  try {
    return await body({ ...ctx, env: { ...ctx.env, ...deps.env }, shared: deps }, deps.failure);
  } finally {
    await deps.stop();
  }
}
