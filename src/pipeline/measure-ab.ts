// A/B mode: the base and the head build on the same machine. Duet (the default where both can
// run side by side and the CPUs split): both loaded at the same time in every trial, their
// services pinned to the same CPUs and the load generator to the others. Interleaved: one loaded
// at a time (the other idle, or stopped when both cannot run at once), blocks B,H,H,B,B,H… so
// that drift hits both sides alike. Each service start warms every scenario up once; each pair
// (or block) then runs one trial of every scenario. After `min-trials` per side, and every `step` trials
// after that, the trials are analysed; sampling stops as soon as no further trial can change the
// gate's outcome (a gating regression proven, or every gating comparison decided), at
// `max-trials`, or before the time budget would be exceeded.
import { abCounts, analyzeAb, lookSchedule, stopReason, undecided, type AbDecisionSettings } from '../analysis/ab.js';
import type { Window } from '../analysis/aggregate.js';
import { abGate, gatingOf, leftOut } from '../analysis/compared-metrics.js';
import { createRng } from '../stats/rng.js';
import { TrialCpu } from '../service/cpu-time.js';
import { allowedCpus, pinProcess, pinTree, splitCpus } from '../service/pin.js';
import type { Config, ScenarioConfig, ServiceConfig } from '../config/types.js';
import { trialFigures, type TrialFigures } from '../contract/record.js';
import type { Histogram } from '../load/histogram.js';
import { runScenario, type ScenarioRun } from '../load/scenario.js';
import { attachMetrics, reading, trialMetrics } from '../analysis/service-metrics.js';
import { serviceUrl } from '../config/service-url.js';
import { TrialScrapes } from '../service/scrape.js';
import {
  attachCpu,
  boundaryHooks,
  interruption,
  loadError,
  metricsOf,
  progressHooks,
  runAndRecord,
  withLoadPool,
  scenarioResult,
  serviceFigures,
  ServiceSamples,
  type MeasureContext,
  type Measurement,
} from './measure.js';
import type { AbComparison, AbResult, RunFailure, ScenarioResult, TrialResult } from '../contract/result.js';
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
    // Set for the design below (and again if a duet falls back to interleaved).
    gate: abGate(config.regression.gate, config.regression.gateWritten, 'interleaved').gate,
    openModel: new Set(config.scenarios.filter((sc) => sc.rate !== undefined && sc.rate > 0).map((sc) => sc.name)),
  };
  // Stress ramps are not compared (each side would need its own ramp): the head runs them once,
  // after the A/B trials, and their targets (capacity) are judged on the head alone.
  const compared = config.scenarios.filter((s) => !s.ramp);
  const ramps = config.scenarios.filter((s) => s.ramp);
  const rampResults = new Map<string, ScenarioResult>();
  const rampWindows = new Map<string, Window[]>();
  const side = (service: ServiceConfig, label: string, log: string | null): SideState => ({
    service,
    label,
    log,
    trials: new Map(compared.map((s) => [s.name, []])),
    histograms: new Map(compared.map((s) => [s.name, []])),
    windows: new Map(compared.map((s) => [s.name, []])),
    scrapes: new Map(config.scenarios.map((s) => [s.name, new TrialScrapes(undefined, service.metrics?.timeoutMs ?? 0)])),
    last: undefined,
  });
  const sides: Record<Side, SideState> = {
    base: side(config.baseline.service, 'the base service', ctx.baseLog),
    head: side(config.service, 'the service', ctx.serviceLog),
  };
  // Both sides are sampled alike (CPU/memory from /proc, the uptime probe): the sampling runs in
  // the load generator's process and costs the sub-millisecond tail, so sampling only the head
  // made a same-build head read p95 +126 % (measured on the demo). The base's samples are dropped.
  const headSamples = new ServiceSamples();
  const baseSamples = new ServiceSamples();
  const samplesOf = (s: Side): ServiceSamples => (s === 'head' ? headSamples : baseSamples);
  const started = Date.now();
  let failure: RunFailure | null = null;
  let failedSide: Side | null = null;
  let comparisons: AbComparison[] = [];
  let analysedAt = 0;
  let batches = 0;
  let order = '';
  let stoppedBecause = '';
  const rampReadings: { ramp: boolean; readings: ReturnType<typeof attachMetrics> }[] = [];

  // Both builds stay up for the whole measurement when they can (each on its own free port):
  // the one not being loaded sits idle, so they do not share the CPU, and each is started and
  // warmed up once. Restarting for every block made each trial a first trial after a start: on
  // the demo, p95 varied by sd(log) 0.6 between A/B trials against 0.1–0.2 within one start.
  // A fixed port, or a service without a command, falls back to one service at a time.
  const keepBoth = sideBySide(config.baseline.service, config.service);
  const alive: Partial<Record<Side, Launched>> = {};
  let active: Side | undefined;

  const deactivate = async (): Promise<void> => {
    if (!active) return;
    await samplesOf(active).stop();
    if (!keepBoth) {
      await alive[active]?.stop();
      delete alive[active];
    }
    active = undefined;
  };
  const stopAll = async (): Promise<void> => {
    await deactivate();
    await headSamples.stop();
    await baseSamples.stop();
    for (const s of ['base', 'head'] as const) {
      await alive[s]?.stop();
      delete alive[s];
    }
  };

  const ensure = async (s: Side): Promise<Launched | undefined> => {
    if (active === s) return alive[s];
    await deactivate();
    const launched = await up(s);
    if (!launched) return undefined;
    active = s;
    // After a duet (a ramp on the head), both sides are sampled already.
    if (!duetReady) samplesOf(s).start(launched, sides[s].service.health);
    return launched;
  };

  /** The side's service, started (and warmed up) if it is not running; undefined after a failure. */
  const up = async (s: Side): Promise<Launched | undefined> => {
    const state = sides[s];
    const running = alive[s];
    if (running) {
      // Idle since its last block: it must still be there.
      const crash = running.crashed();
      if (crash) {
        failure = interruption(running, crash, compared[0]?.name ?? '', ctx.signal);
        failedSide = s;
        return undefined;
      }
      return running;
    }
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
    alive[s] = launched;
    const endpoint = state.service.metrics;
    if (endpoint && config.metrics.length) for (const sc of state.scrapes.values()) sc.url = serviceUrl(launched.baseUrl, endpoint.url);
    for (const scenario of compared) {
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

  /** One trial of a scenario on one side, with its CPU time and service metrics attached. */
  const runOne = async (s: Side, launched: Launched, scenario: ScenarioConfig): Promise<ScenarioRun> => {
    const scrapes = sides[s].scrapes.get(scenario.name)!;
    const cpu = new TrialCpu(launched.service);
    const run = await withLoadPool(scenario, (start) =>
      runScenario(
        launched.baseUrl,
        { ...scenario, trials: 1, warmupMs: 0 },
        boundaryHooks(interruptHooks(launched, scenario, s), cpu, scrapes),
        start,
      ),
    );
    attachCpu(run.trials, cpu);
    // Defined service metrics ride on the trial, so that the A/B analysis compares them too.
    const pair = scrapes.pairs[scrapes.pairs.length - 1];
    if (scrapes.enabled) for (const t of run.trials) t.metrics = trialMetrics(reading(t, pair), config.metrics);
    return run;
  };

  /** Keeps a side's trial; false (with the failure set) when it was cut short. */
  const record = (s: Side, launched: Launched, scenario: ScenarioConfig, run: ScenarioRun): boolean => {
    sides[s].trials.get(scenario.name)!.push(...run.trials);
    sides[s].histograms.get(scenario.name)!.push(...run.histograms);
    sides[s].windows.get(scenario.name)!.push(...run.windows);
    if (!run.interrupted) return true;
    failure ??= interruption(launched, run.interrupted, scenario.name, ctx.signal);
    failedSide ??= s;
    return false;
  };

  // Duet: both builds loaded at the same time, their services pinned to the same CPUs and the
  // load generator to the others, so that whatever slows the machine during a pair slows both.
  let design = await chooseDesign(config.ab.design, keepBoth);
  let gateFrom = '';
  const setGate = (): void => {
    const g = abGate(config.regression.gate, config.regression.gateWritten, design.design);
    decision.gate = g.gate;
    gateFrom = g.from;
  };
  setGate();
  let pinned: Pinning | undefined;
  let duetReady = false;
  /** Both services up (and, the first time, pinned and sampled); 'fallback' when pinning was refused. */
  const duetUp = async (): Promise<{ base: Launched; head: Launched } | 'fallback' | undefined> => {
    const base = await up('base');
    const head = base ? await up('head') : undefined;
    if (!base || !head) return undefined;
    if (!duetReady) {
      pinned = await pinDuet(design.cpus!, [base, head]);
      if (pinned.failed) {
        ctx.progress.info(`perfgate: ${pinned.note}`);
        design = { design: 'interleaved', note: `interleaved: ${pinned.note}` };
        setGate();
        return 'fallback';
      }
      duetReady = true;
      samplesOf('base').start(base, sides.base.service.health);
      samplesOf('head').start(head, sides.head.service.health);
    }
    return { base, head };
  };
  const rng = createRng(batchSeed());

  try {
    outer: for (;;) {
      if (design.design === 'duet') {
        const both = await duetUp();
        if (!both) break outer;
        if (both === 'fallback') continue;
        for (const scenario of compared) {
          // Which side's trial starts first (microseconds apart) is drawn for every pair.
          const sidesInOrder: Side[] = rng.next() < 0.5 ? ['base', 'head'] : ['head', 'base'];
          let runs: ScenarioRun[];
          try {
            runs = await Promise.all(sidesInOrder.map((s) => runOne(s, both[s], scenario)));
          } catch (err) {
            failure = loadError(both.head, scenario.name, err);
            failedSide = 'head';
            break outer;
          }
          const kept = sidesInOrder.map((s, i) => record(s, both[s], scenario, runs[i]!));
          if (kept.includes(false)) break outer;
        }
        order += 'D';
      } else {
        for (const s of batches % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const)) {
          const launched = await ensure(s);
          if (!launched) break outer;
          for (const scenario of compared) {
            let run: ScenarioRun;
            try {
              run = await runOne(s, launched, scenario);
            } catch (err) {
              failure = loadError(launched, scenario.name, err);
              failedSide = s;
              break outer;
            }
            if (!record(s, launched, scenario, run)) break outer;
          }
          order += s === 'base' ? 'B' : 'H';
        }
      }
      batches++;
      if (looks.includes(batches)) {
        analyse();
        const open = undecided(comparisons).length;
        const gating = gatingOf(comparisons).length;
        ctx.progress.info(`perfgate: A/B look at ${batches} trials per side: ${gating - open} of ${gating} gating comparisons decided`);
        const stop = stopReason(comparisons, batches);
        if (stop) {
          stoppedBecause = stop;
          break;
        }
        if (batches >= settings.maxTrials) {
          stoppedBecause = `max-trials (${settings.maxTrials} per side) reached with ${open} gating comparison${open === 1 ? '' : 's'} still inconclusive`;
          break;
        }
      }
      const elapsed = Date.now() - started;
      if (elapsed + elapsed / batches > settings.budgetMs) {
        stoppedBecause = `the time budget (${Math.round(settings.budgetMs / 1000)} s) would be exceeded by another batch`;
        break;
      }
    }
    const rampHost = !failure && ramps.length ? await ensure('head') : undefined;
    for (const scenario of rampHost ? ramps : []) {
      ctx.progress.info(`perfgate: stress ramp "${scenario.name}" on the head build only (ramps are not compared in A/B mode)`);
      const scrapes = sides.head.scrapes.get(scenario.name)!;
      try {
        const recorded = await runAndRecord(rampHost!.baseUrl, scenario, interruptHooks(rampHost!, scenario, 'head'), config, scrapes);
        rampResults.set(scenario.name, recorded.result);
        rampWindows.set(scenario.name, recorded.run.windows);
        rampReadings.push({ ramp: true, readings: recorded.readings });
        if (recorded.run.interrupted) {
          failure = interruption(rampHost!, recorded.run.interrupted, scenario.name, ctx.signal);
          failedSide = 'head';
          break;
        }
      } catch (err) {
        failure = loadError(rampHost!, scenario.name, err);
        failedSide = 'head';
        break;
      }
    }
  } finally {
    await stopAll();
    await pinned?.restore();
  }
  if (failure) stoppedBecause = `stopped by a failure: ${(failure as RunFailure).message}`;
  if (analysedAt !== batches && batches > 0) analyse();

  const readings: { ramp: boolean; readings: ReturnType<typeof attachMetrics> }[] = [];
  const results = (s: Side) =>
    compared
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
  const abHead = results('head');
  readings.push(...rampReadings);
  // The head's scenarios in config order: the compared ones, and the ramps it ran alone.
  const headScenarios = config.scenarios
    .map((sc) => rampResults.get(sc.name) ?? abHead.find((r) => r.name === sc.name))
    .filter((r): r is ScenarioResult => r !== undefined);
  const windowsOf = (name: string): Window[] => rampWindows.get(name) ?? sides.head.windows.get(name)!;
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
        headScenarios.map((s) => windowsOf(s.name)),
      )
    : serviceFigures(config, sides.base.last!, ctx, headSamples, headScenarios, []);
  const counts = abCounts(comparisons);
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
      design: design.design,
      designNote: pinned && !pinned.failed ? `${design.note}; ${pinned.note}` : design.note,
      leftOut: leftOut(compared, decision.openModel),
      gateFrom,
    },
    failedSide,
  };
}

/** Whether both builds can run at once: each started by perfgate on a port of its own. */
export function sideBySide(base: ServiceConfig, head: ServiceConfig): boolean {
  if (!base.command || !head.command) return false;
  if (base.port === 'auto' && head.port === 'auto') return true;
  return typeof base.port === 'number' && typeof head.port === 'number' && base.port !== head.port;
}

interface Design {
  design: 'duet' | 'interleaved';
  /** Why, in words for the report. */
  note: string;
  /** Duet: the CPUs for the services and for the load generator. */
  cpus?: { services: number[]; load: number[]; all: number[] };
}

/** Duet when both builds can run side by side and the CPUs can be split (unless the config says interleaved); else interleaved, with why. */
async function chooseDesign(wanted: 'duet' | 'interleaved' | undefined, sideBySide: boolean): Promise<Design> {
  if (wanted === 'interleaved')
    return { design: 'interleaved', note: 'interleaved (ab.design: interleaved): one build loaded after the other' };
  if (!sideBySide)
    return {
      design: 'interleaved',
      note: 'interleaved: the two builds cannot run side by side (a fixed port, or a service perfgate does not start), so a duet is not possible',
    };
  const all = await allowedCpus();
  const split = all ? splitCpus(all) : null;
  if (!all || !split)
    return {
      design: 'interleaved',
      note: all
        ? `interleaved: this machine gives perfgate ${all.length} CPU, and a duet needs one for the services and one for the load`
        : 'interleaved: the CPU affinity cannot be read here (taskset, Linux), so a duet cannot be pinned',
    };
  return {
    design: 'duet',
    note: `duet: both builds loaded at the same time, each from its own connections`,
    cpus: { ...split, all },
  };
}

interface Pinning {
  failed: boolean;
  note: string;
  restore(): Promise<void>;
}

/** Pins both services' trees to the service CPUs and perfgate (with its load processes) to the others. */
async function pinDuet(cpus: NonNullable<Design['cpus']>, services: Launched[]): Promise<Pinning> {
  const self = await pinProcess(process.pid, cpus.load);
  const trees = self
    ? null
    : await Promise.all(services.map((l) => (l.service ? pinTree(l.service.pid, cpus.services) : Promise.resolve(null))));
  const why = self ?? trees?.find((w) => w !== null) ?? null;
  const restore = async (): Promise<void> => {
    await pinProcess(process.pid, cpus.all);
  };
  if (why) {
    await restore();
    return {
      failed: true,
      note: `a duet needs CPU pinning, and it was refused (${why}), so the builds were loaded one after the other`,
      restore,
    };
  }
  // A container runtime's client is pinned, not the container: say so rather than "pinned".
  const contained = services.some((l) => l.service?.cpuNotMeasured);
  return {
    failed: false,
    note: contained
      ? `the load generator pinned to CPU ${cpus.load.join(',')} (taskset); the services run in containers, which pinning does not reach, so the two builds were not isolated from the load`
      : `services pinned to CPU ${cpus.services.join(',')}, the load generator to CPU ${cpus.load.join(',')} (taskset)`,
    restore,
  };
}

/** A seed for the order of each duet pair. */
function batchSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
