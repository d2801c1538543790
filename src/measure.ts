// Measuring one service: start it, run every scenario (warm-up, then K trials), sample its CPU,
// memory and health meanwhile, stop it. What comes back is the measured part of a RunResult.
import { serviceWindow, summarizeTrials, type Window } from './analysis/aggregate.js';
import { loadSettings } from './config/settings.js';
import type { Config, ScenarioConfig } from './config/types.js';
import type { Histogram } from './load/histogram.js';
import { runScenario, type ScenarioHooks } from './load/scenario.js';
import type { Progress } from './progress.js';
import type { RunFailure, RunResult, ScenarioResult, TrialResult } from './result.js';
import { serviceUrl } from './config/load.js';
import { abortReason, launch, type Launched } from './service/launch.js';
import { UptimeProbe, type ProbeSample } from './service/probe.js';
import { ResourceSampler, type ResourceSample } from './service/sampler.js';

export interface MeasureContext {
  env: NodeJS.ProcessEnv;
  runId: string;
  serviceLog: string | null;
  signal?: AbortSignal;
  progress: Progress;
  /** Turns an absolute path into what result.json shows. */
  display: (path: string) => string;
}

export interface Measurement {
  scenarios: ScenarioResult[];
  failure: RunFailure | null;
  service: RunResult['service'];
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
  // autocannon refused the scenario (e.g. a request it cannot build): a verdict, not a crash of perfgate.
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
  scenarios.forEach((s, i) => (s.service = serviceWindow(data, windowsByScenario[i] ?? [])));
  const exit = launched.service?.exit;
  return {
    ...serviceWindow(data, windowsByScenario.flat()),
    mode: launched.service ? 'managed' : 'external',
    command: config.service.command ?? null,
    url: launched.baseUrl,
    readyMs: launched.readyMs,
    exit: exit ? { code: exit.code, signal: exit.signal } : null,
    logFile: ctx.serviceLog ? ctx.display(ctx.serviceLog) : null,
    logTail: launched.logTail(),
  };
}

export async function measureOnce(config: Config, ctx: MeasureContext): Promise<Measurement> {
  const launched = await launch(config.service, {
    env: ctx.env,
    runId: ctx.runId,
    logFile: ctx.serviceLog ?? undefined,
    signal: ctx.signal,
    progress: ctx.progress,
    label: 'the service',
  });
  const scenarios: ScenarioResult[] = [];
  const windows: Window[][] = [];
  const samples = new ServiceSamples();
  let failure = launched.failure;
  try {
    if (!failure) {
      samples.start(launched, config.service.health);
      for (const scenario of config.scenarios) {
        ctx.progress.info(
          `perfgate: scenario "${scenario.name}": ${scenario.connections} connections${scenario.rate ? ` at ${scenario.rate} req/s` : ''}, ${scenario.trials} × ${scenario.durationMs / 1000}s`,
        );
        let run: Awaited<ReturnType<typeof runScenario>>;
        try {
          run = await runScenario(launched.baseUrl, scenario, {
            interrupt: () => abortReason(ctx.signal) ?? launched.crashed(),
            ...progressHooks(ctx.progress, scenario),
          });
        } catch (err) {
          failure = loadError(launched, scenario.name, err);
          break;
        }
        windows.push(run.windows);
        const result = scenarioResult(scenario, run.trials, run.histograms, run.interrupted);
        scenarios.push(result);
        if (run.trials.length) ctx.progress.info(summaryLine(result));
        if (run.interrupted) {
          failure = interruption(launched, run.interrupted, scenario.name, ctx.signal);
          break;
        }
      }
    }
  } finally {
    await samples.stop();
    await launched.stop();
  }
  return { scenarios, failure, service: serviceFigures(config, launched, ctx, samples, scenarios, windows) };
}
