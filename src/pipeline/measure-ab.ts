// A/B mode: the base and the head build on the same machine, one service at a time (never both:
// they would share the CPU), trials interleaved B,H,H,B,B,H… so that drift hits both sides
// alike. Each service start warms every scenario up once; each block then runs one trial of
// every scenario. After `min-trials` per side, and every `step` trials after that, the trials
// are analysed; sampling stops when every gating comparison is decided, at `max-trials`, or
// before the time budget would be exceeded.
import { analyzeAb, lookSchedule, undecided, type AbDecisionSettings } from '../analysis/ab.js';
import type { Window } from '../analysis/aggregate.js';
import type { Config, ScenarioConfig, ServiceConfig } from '../config/types.js';
import { trialFigures, type TrialFigures } from '../contract/record.js';
import type { Histogram } from '../load/histogram.js';
import { runScenario } from '../load/scenario.js';
import { attachMetrics, reading, trialMetrics } from '../analysis/service-metrics.js';
import { serviceUrl } from '../config/service-url.js';
import { TrialScrapes } from '../service/scrape.js';
import {
  interruption,
  loadError,
  metricsOf,
  progressHooks,
  withLoadPool,
  scenarioResult,
  serviceFigures,
  ServiceSamples,
  type MeasureContext,
  type Measurement,
} from './measure.js';
import type { AbComparison, AbOutcome, AbResult, RunFailure, TrialResult } from '../contract/result.js';
import { abortReason, launch, type Launched } from '../service/launch.js';

export interface AbMeasurement extends Measurement {
  ab: AbResult;
  /** Which build the failure (if any) came from: a failing base is not the head's regression. */
  failedSide: Side | null;
}

type Side = 'base' | 'head';

interface SideState {
  service: ServiceConfig;
  label: string;
  log: string | null;
  trials: Map<string, TrialResult[]>;
  histograms: Map<string, Histogram[]>;
  windows: Map<string, Window[]>;
  /** Scrapes of the service's metrics, per scenario. */
  scrapes: Map<string, TrialScrapes>;
  last: Launched | undefined;
}

export async function measureAb(config: Config, ctx: MeasureContext & { baseLog: string | null }): Promise<AbMeasurement> {
  if (!config.baseline) throw new Error('A/B mode without baseline.service');
  const settings = config.ab;
  const looks = lookSchedule(settings.minTrials, settings.maxTrials, settings.step);
  const decision: AbDecisionSettings = {
    alpha: config.regression.alpha,
    looks: looks.length,
    delta: config.regression.delta,
    definitions: config.metrics,
  };
  const side = (service: ServiceConfig, label: string, log: string | null): SideState => ({
    service,
    label,
    log,
    trials: new Map(config.scenarios.map((s) => [s.name, []])),
    histograms: new Map(config.scenarios.map((s) => [s.name, []])),
    windows: new Map(config.scenarios.map((s) => [s.name, []])),
    scrapes: new Map(config.scenarios.map((s) => [s.name, new TrialScrapes(undefined, service.metrics?.timeoutMs ?? 0)])),
    last: undefined,
  });
  const sides: Record<Side, SideState> = {
    base: side(config.baseline.service, 'the base service', ctx.baseLog),
    head: side(config.service, 'the service', ctx.serviceLog),
  };
  const headSamples = new ServiceSamples();
  const started = Date.now();
  let running: { side: Side; launched: Launched } | undefined;
  let failure: RunFailure | null = null;
  let failedSide: Side | null = null;
  let comparisons: AbComparison[] = [];
  let analysedAt = 0;
  let batches = 0;
  let order = '';
  let stoppedBecause = '';

  const stopRunning = async (): Promise<void> => {
    if (!running) return;
    if (running.side === 'head') await headSamples.stop();
    await running.launched.stop();
    running = undefined;
  };

  const ensure = async (s: Side): Promise<Launched | undefined> => {
    if (running?.side === s) return running.launched;
    await stopRunning();
    const state = sides[s];
    const launched = await launch(state.service, {
      env: ctx.env,
      runId: ctx.runId,
      logFile: state.log ?? undefined,
      appendLog: state.last !== undefined,
      signal: ctx.signal,
      progress: ctx.progress,
      label: state.label,
    });
    state.last = launched;
    if (launched.failure) {
      failure = launched.failure;
      failedSide = s;
      await launched.stop();
      return undefined;
    }
    running = { side: s, launched };
    const endpoint = state.service.metrics;
    if (endpoint && config.metrics.length) for (const sc of state.scrapes.values()) sc.url = serviceUrl(launched.baseUrl, endpoint.url);
    if (s === 'head') headSamples.start(launched, state.service.health);
    for (const scenario of config.scenarios) {
      if (scenario.warmupMs <= 0) continue;
      const warm = await withLoadPool(scenario, (start) =>
        runScenario(launched.baseUrl, { ...scenario, trials: 0 }, interruptHooks(launched, scenario, s), start),
      );
      if (warm.interrupted) {
        failure = interruption(launched, warm.interrupted, scenario.name, ctx.signal);
        failedSide = s;
        return undefined;
      }
    }
    return launched;
  };

  const interruptHooks = (launched: Launched, scenario: ScenarioConfig, s: Side) => ({
    interrupt: () => abortReason(ctx.signal) ?? launched.crashed(),
    ...progressHooks(ctx.progress, scenario, `${s} · `),
  });

  const analyse = (): void => {
    const figures = (s: Side): Map<string, TrialFigures[]> =>
      new Map([...sides[s].trials].filter(([, ts]) => ts.length).map(([name, ts]) => [name, ts.map(trialFigures)]));
    comparisons = analyzeAb(figures('base'), figures('head'), decision);
    analysedAt = batches;
  };

  try {
    outer: for (;;) {
      for (const s of batches % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const)) {
        const launched = await ensure(s);
        if (!launched) break outer;
        for (const scenario of config.scenarios) {
          let run: Awaited<ReturnType<typeof runScenario>>;
          try {
            const scrapes = sides[s].scrapes.get(scenario.name)!;
            run = await withLoadPool(scenario, (start) =>
              runScenario(
                launched.baseUrl,
                { ...scenario, trials: 1, warmupMs: 0 },
                { ...interruptHooks(launched, scenario, s), ...(scrapes.enabled ? { trialBoundary: scrapes.boundary } : {}) },
                start,
              ),
            );
            // Defined service metrics ride on the trial, so that the A/B analysis compares them too.
            const pair = scrapes.pairs[scrapes.pairs.length - 1];
            if (scrapes.enabled) for (const t of run.trials) t.metrics = trialMetrics(reading(t, pair), config.metrics);
          } catch (err) {
            failure = loadError(launched, scenario.name, err);
            failedSide = s;
            break outer;
          }
          sides[s].trials.get(scenario.name)!.push(...run.trials);
          sides[s].histograms.get(scenario.name)!.push(...run.histograms);
          sides[s].windows.get(scenario.name)!.push(...run.windows);
          if (run.interrupted) {
            failure = interruption(launched, run.interrupted, scenario.name, ctx.signal);
            failedSide = s;
            break outer;
          }
        }
        order += s === 'base' ? 'B' : 'H';
      }
      batches++;
      if (looks.includes(batches)) {
        analyse();
        const open = undecided(comparisons).length;
        ctx.progress.info(`perfgate: A/B look at ${batches} trials per side: ${comparisons.length - open} decided, ${open} inconclusive`);
        if (!open) {
          stoppedBecause = `every comparison was decided after ${batches} trials per side`;
          break;
        }
        if (batches >= settings.maxTrials) {
          stoppedBecause = `max-trials (${settings.maxTrials} per side) reached with ${open} comparison${open === 1 ? '' : 's'} still inconclusive`;
          break;
        }
      }
      const elapsed = Date.now() - started;
      if (elapsed + elapsed / batches > settings.budgetMs) {
        stoppedBecause = `the time budget (${Math.round(settings.budgetMs / 1000)} s) would be exceeded by another batch`;
        break;
      }
    }
  } finally {
    await stopRunning();
  }
  if (failure) stoppedBecause = `stopped by a failure: ${(failure as RunFailure).message}`;
  if (analysedAt !== batches && batches > 0) analyse();

  const readings: { ramp: boolean; readings: ReturnType<typeof attachMetrics> }[] = [];
  const results = (s: Side) =>
    config.scenarios
      .filter((sc) => sides[s].trials.get(sc.name)!.length)
      .map((sc) => {
        const result = scenarioResult(sc, sides[s].trials.get(sc.name)!, sides[s].histograms.get(sc.name)!);
        const scrapes = sides[s].scrapes.get(sc.name)!;
        if (scrapes.enabled) {
          const r = attachMetrics(result, scrapes.pairs, config.metrics);
          if (s === 'head') readings.push({ ramp: false, readings: r });
        }
        return result;
      });
  const headScenarios = results('head');
  const headScrapes = [...sides.head.scrapes.values()];
  const scrapeStats = {
    scrapes: headScrapes.reduce((a, x) => a + x.scrapes, 0),
    failed: headScrapes.reduce((a, x) => a + x.failed, 0),
    problems: new Set(headScrapes.flatMap((x) => [...x.problems])),
  };
  const head = sides.head.last!;
  const service = head
    ? serviceFigures(
        config,
        head,
        ctx,
        headSamples,
        headScenarios,
        headScenarios.map((s) => sides.head.windows.get(s.name)!),
      )
    : serviceFigures(config, sides.base.last!, ctx, headSamples, headScenarios, []);
  const counts = { regression: 0, improvement: 0, 'confident pass': 0, inconclusive: 0 } as Record<AbOutcome, number>;
  for (const c of comparisons) counts[c.outcome]++;
  return {
    scenarios: headScenarios,
    failure,
    service,
    metrics: head ? metricsOf(config, head, scrapeStats, readings) : null,
    ab: {
      mode: 'ab',
      alpha: decision.alpha,
      looks,
      alphaPerLook: decision.alpha / looks.length,
      trialsPerSide: batches,
      batches,
      stoppedBecause,
      elapsedMs: Date.now() - started,
      order,
      base: {
        command: config.baseline.service.command ?? null,
        url: sides.base.last?.baseUrl ?? config.baseline.service.url,
        scenarios: results('base'),
      },
      comparisons,
      counts,
    },
    failedSide,
  };
}
