// The state of one A/B measurement: both builds' services and trials, the planned looks, what
// failed and on which side. The designs (duet.ts, interleaved.ts) drive it pair by pair or block
// by block; measure-ab.ts tells the whole story.
import {
  analyzeAb,
  comparisonKey,
  duetAdmission,
  lookSchedule,
  stopReason,
  undecided,
  type AbDecisionSettings,
} from '../../analysis/ab.js';
import type { Window } from '../../analysis/aggregate.js';
import type { LeanEvidence } from '../../analysis/lean.js';
import { abGate, gatingOf } from '../../analysis/compared-metrics.js';
import { attachMetrics, reading, trialMetrics } from '../../analysis/service-metrics.js';
import type { AbSettings, Config, DependencyConfig, ScenarioConfig, ServiceConfig } from '../../config/types.js';
import { serviceUrl } from '../../config/service-url.js';
import { trialFigures, type TrialFigures } from '../../contract/record.js';
import type { AbComparison, RunFailure, ScenarioResult, TrialResult } from '../../contract/result.js';
import type { Histogram } from '../../load/histogram.js';
import { runScenario, type ScenarioRun } from '../../load/scenario.js';
import { launchSystem } from '../../service/dependencies.js';
import { abortReason, type Launched } from '../../service/launch.js';
import { TrialScrapes } from '../../service/scrape.js';
import {
  boundaryHooks,
  dependencyLog,
  interruption,
  perBuild,
  progressHooks,
  scenarioResult,
  ServiceSamples,
  TrialResources,
  withLoadPool,
  type MeasureContext,
} from '../measure.js';

export type Side = 'base' | 'head';
export const otherSide = (s: Side): Side => (s === 'base' ? 'head' : 'base');

export interface SideState {
  service: ServiceConfig;
  /** Its own copies of the per-build dependencies (started, stopped and pinned with it). */
  dependencies: DependencyConfig[];
  label: string;
  log: string | null;
  trials: Map<string, TrialResult[]>;
  histograms: Map<string, Histogram[]>;
  windows: Map<string, Window[]>;
  /** Scrapes of the service's metrics, per scenario. */
  scrapes: Map<string, TrialScrapes>;
  /** The side's latest start (running or stopped). */
  last: Launched | undefined;
}

export type AbContext = MeasureContext & { baseLog: string | null };

export class AbRun {
  readonly settings: AbSettings;
  readonly looks: number[];
  readonly decision: AbDecisionSettings;
  /** Scenarios compared pair by pair; stress ramps run on the head alone afterwards. */
  readonly compared: ScenarioConfig[];
  readonly ramps: ScenarioConfig[];
  readonly sides: Record<Side, SideState>;
  /**
   * Both sides are sampled alike (CPU/memory from /proc, the uptime probe): the sampling runs in
   * the load generator's process and costs the sub-millisecond tail, so sampling only the head
   * made a same-build head read p95 +126 % (measured on the demo). The base's samples are dropped.
   */
  readonly samples: Record<Side, ServiceSamples> = { base: new ServiceSamples(), head: new ServiceSamples() };
  private readonly sampling = new Set<Side>();
  /** The services running now. */
  readonly alive: Partial<Record<Side, Launched>> = {};
  failure: RunFailure | null = null;
  failedSide: Side | null = null;
  comparisons: AbComparison[] = [];
  /** Trials per side (pairs, in a duet). */
  batches = 0;
  private analysedAt = 0;
  /** Per batch: D (a duet pair), B or H (an interleaved block). */
  order = '';
  /** Per duet pair: which build held the first slot, B or H. */
  firstSlot = '';
  stoppedBecause = '';
  /** Where the gate came from, in words. */
  gateFrom = '';
  design: 'duet' | 'interleaved' = 'interleaved';
  /** Time kept out of the pairs' budget for what the head runs alone after them (its targeted scenarios' own trials). */
  reserveMs = 0;
  private admissionDecided = false;
  readonly started = Date.now();

  constructor(
    readonly config: Config,
    readonly ctx: AbContext,
    /** Stored duets' run-to-run lean (a base perfgate checked out, and a store to read): counted in a duet's tests. */
    readonly lean?: LeanEvidence,
  ) {
    if (!config.baseline) throw new Error('A/B mode without baseline.service');
    this.settings = config.ab;
    this.looks = lookSchedule(this.settings.minTrials, this.settings.maxTrials, this.settings.step);
    this.decision = {
      alpha: config.regression.alpha,
      beta: config.regression.beta,
      looks: this.looks.length,
      delta: config.regression.delta,
      definitions: config.metrics,
      openModel: new Set(config.scenarios.filter((sc) => sc.rate !== undefined && sc.rate > 0).map((sc) => sc.name)),
    };
    this.compared = config.scenarios.filter((s) => !s.ramp);
    this.ramps = config.scenarios.filter((s) => s.ramp);
    const side = (service: ServiceConfig, dependencies: DependencyConfig[], label: string, log: string | null): SideState => ({
      service,
      dependencies: perBuild(dependencies),
      label,
      log,
      trials: new Map(this.compared.map((s) => [s.name, []])),
      histograms: new Map(this.compared.map((s) => [s.name, []])),
      windows: new Map(this.compared.map((s) => [s.name, []])),
      scrapes: new Map(config.scenarios.map((s) => [s.name, new TrialScrapes(undefined, service.metrics?.timeoutMs ?? 0)])),
      last: undefined,
    });
    this.sides = {
      base: side(config.baseline.service, config.baseline.dependencies ?? config.dependencies, 'the base service', ctx.baseLog),
      head: side(config.service, config.dependencies, 'the service', ctx.serviceLog),
    };
  }

  /** The gate for a design (set again if a duet falls back to interleaved). */
  useDesign(design: 'duet' | 'interleaved'): void {
    this.design = design;
    if (design !== 'duet') delete this.decision.arrangement;
    // A lean is what a duet's pairs cannot see; one build after the other is another design, with its own.
    if (design === 'duet' && this.lean) this.decision.lean = this.lean.leans;
    else delete this.decision.lean;
    const g = abGate(this.config.regression.gate, this.config.regression.gateWritten, design);
    this.decision.gate = g.gate;
    this.gateFrom = g.from;
  }

  fail(s: Side, failure: RunFailure): void {
    this.failure ??= failure;
    this.failedSide ??= s;
  }

  /** The side's service, started (and warmed up, unless `warm` is false) if it is not running; undefined after a failure. */
  async up(s: Side, warm = true): Promise<Launched | undefined> {
    const state = this.sides[s];
    const running = this.alive[s];
    if (running) {
      // Idle since its last block: it must still be there.
      const crash = running.crashed();
      if (crash) {
        this.fail(s, interruption(running, crash, this.compared[0]?.name ?? '', this.ctx.signal));
        return undefined;
      }
      return running;
    }
    const launched = await launchSystem(state.service, state.dependencies, {
      env: this.ctx.env,
      runId: this.ctx.runId,
      logFile: state.log ?? undefined,
      appendLog: state.last !== undefined,
      signal: this.ctx.signal,
      progress: this.ctx.progress,
      label: state.label,
      labelSuffix: s === 'base' ? ' of the base build' : ' of this build',
      dependencyLog: dependencyLog(this.ctx, s === 'base' ? 'base-' : ''),
      shared: this.ctx.shared,
    });
    state.last = launched;
    if (launched.failure) {
      this.fail(s, launched.failure);
      await launched.stop();
      return undefined;
    }
    this.alive[s] = launched;
    const endpoint = state.service.metrics;
    if (endpoint && this.config.metrics.length)
      for (const sc of state.scrapes.values()) sc.url = serviceUrl(launched.baseUrl, endpoint.url);
    if (warm && !(await this.warmUp(s, launched))) return undefined;
    return launched;
  }

  /** Every compared scenario's warm-up on a fresh start; false (with the failure set) when it was cut short. */
  async warmUp(s: Side, launched: Launched): Promise<boolean> {
    for (const scenario of this.compared) {
      if (scenario.warmupMs <= 0) continue;
      const warm = await withLoadPool(scenario, (start) =>
        runScenario(launched.baseUrl, { ...scenario, trials: 0 }, this.hooks(launched, scenario, s), start),
      );
      if (warm.interrupted) {
        this.fail(s, interruption(launched, warm.interrupted, scenario.name, this.ctx.signal));
        return false;
      }
    }
    return true;
  }

  /** Scrapes of the side's service metrics for a run of its own (the head alone), at its running service's endpoint. */
  freshScrapes(s: Side): TrialScrapes {
    const endpoint = this.sides[s].service.metrics;
    const launched = this.alive[s];
    const scrapes = new TrialScrapes(undefined, endpoint?.timeoutMs ?? 0);
    if (endpoint && launched && this.config.metrics.length) scrapes.url = serviceUrl(launched.baseUrl, endpoint.url);
    return scrapes;
  }

  startSampling(s: Side): void {
    const launched = this.alive[s];
    if (!launched || this.sampling.has(s)) return;
    this.samples[s].start(launched, this.sides[s].service.health);
    this.sampling.add(s);
  }

  async stopSampling(s: Side): Promise<void> {
    if (!this.sampling.delete(s)) return;
    await this.samples[s].stop();
  }

  /** Stops one side's service (and its sampling). */
  async stop(s: Side): Promise<void> {
    await this.stopSampling(s);
    await this.alive[s]?.stop();
    delete this.alive[s];
  }

  async stopAll(): Promise<void> {
    for (const s of ['base', 'head'] as const) await this.stop(s);
  }

  hooks(launched: Launched, scenario: ScenarioConfig, s: Side) {
    return {
      interrupt: () => abortReason(this.ctx.signal) ?? launched.crashed(),
      ...progressHooks(this.ctx.progress, scenario, `${s} · `),
    };
  }

  /** One trial of a scenario on one side, with its CPU time and service metrics attached. */
  async runOne(s: Side, launched: Launched, scenario: ScenarioConfig): Promise<ScenarioRun> {
    const scrapes = this.sides[s].scrapes.get(scenario.name)!;
    const cpu = new TrialResources(launched);
    const run = await withLoadPool(scenario, (start) =>
      runScenario(
        launched.baseUrl,
        { ...scenario, trials: 1, warmupMs: 0 },
        boundaryHooks(this.hooks(launched, scenario, s), cpu, scrapes),
        start,
      ),
    );
    cpu.attach(run.trials);
    // Defined service metrics ride on the trial, so that the A/B analysis compares them too.
    const pair = scrapes.pairs[scrapes.pairs.length - 1];
    if (scrapes.enabled) for (const t of run.trials) t.metrics = trialMetrics(reading(t, pair), this.config.metrics);
    return run;
  }

  /** Keeps a side's trial; false (with the failure set) when it was cut short. */
  record(s: Side, launched: Launched, scenario: ScenarioConfig, run: ScenarioRun): boolean {
    this.sides[s].trials.get(scenario.name)!.push(...run.trials);
    this.sides[s].histograms.get(scenario.name)!.push(...run.histograms);
    this.sides[s].windows.get(scenario.name)!.push(...run.windows);
    if (!run.interrupted) return true;
    this.fail(s, interruption(launched, run.interrupted, scenario.name, this.ctx.signal));
    return false;
  }

  analyse(): void {
    const figures = (s: Side): Map<string, TrialFigures[]> =>
      new Map([...this.sides[s].trials].filter(([, ts]) => ts.length).map(([name, ts]) => [name, ts.map(trialFigures)]));
    // A duet's pairs are crossed over: each pair's arrangement lets the slot's effect cancel.
    if (this.design === 'duet') this.decision.arrangement = [...this.firstSlot].map((c) => (c === 'B' ? 0 : 1));
    this.comparisons = analyzeAb(figures('base'), figures('head'), this.decision);
    this.analysedAt = this.batches;
    if (this.admit()) this.comparisons = analyzeAb(figures('base'), figures('head'), this.decision);
  }

  /** Analyses what is not analysed yet (after sampling stopped between looks). */
  finish(): void {
    if (this.failure) this.stoppedBecause = `stopped by a failure: ${this.failure.message}`;
    if (this.analysedAt !== this.batches && this.batches > 0) this.analyse();
  }

  /**
   * After each batch: a look where one is planned. True when sampling stops (stoppedBecause says
   * why): no further trial can change the gate's outcome, max-trials, or the time budget.
   */
  afterBatch(): boolean {
    this.batches++;
    if (this.looks.includes(this.batches)) {
      this.analyse();
      const open = undecided(this.comparisons).length;
      const gating = gatingOf(this.comparisons).length;
      this.ctx.progress.info(
        `perfgate: A/B look at ${this.batches} trials per side: ${gating - open} of ${gating} gating comparisons decided`,
      );
      const stop = stopReason(this.comparisons, this.batches);
      if (stop) {
        this.stoppedBecause = stop;
        return true;
      }
      if (this.batches >= this.settings.maxTrials) {
        this.stoppedBecause = `max-trials (${this.settings.maxTrials} per side) reached with ${open} gating comparison${open === 1 ? '' : 's'} still inconclusive`;
        return true;
      }
    }
    const elapsed = Date.now() - this.started;
    if (elapsed + elapsed / this.batches + this.reserveMs > this.settings.budgetMs) {
      const kept = this.reserveMs ? `, ${Math.round(this.reserveMs / 1000)} s of it kept for the head's targeted trials alone` : '';
      this.stoppedBecause = `the time budget (${Math.round(this.settings.budgetMs / 1000)} s${kept}) would be exceeded by another batch`;
      return true;
    }
    return false;
  }

  /**
   * At the first analysis of a duet whose gate is the default (the first look, or the end of a
   * run stopped before it): each latency and memory growth per request gates on its δ where this
   * run's pairs scatter little enough to resolve it within max-trials, on the smallest change they
   * can resolve where they scatter more, and not at all beyond a cap (ab.ts duetAdmission). Decided once, on the
   * spread alone (independent of the mean change for normal log-ratios), so the choice does not
   * bias the test. True when some comparison's δ or gating changed.
   */
  private admit(): boolean {
    if (this.admissionDecided || this.design !== 'duet' || this.config.regression.gateWritten) return false;
    this.admissionDecided = true;
    const out = duetAdmission(this.comparisons, { ...this.decision, maxTrials: this.settings.maxTrials });
    this.decision.notGating = out.notGating;
    this.decision.widened = out.widened;
    this.admissionWhy = out.why;
    return this.comparisons.some((c) => out.why.has(comparisonKey(c)));
  }

  /** Why each latency or memory growth gates on a wider δ or not at all in this run, by "metric of scenario". */
  admissionWhy = new Map<string, string>();

  /** A side's scenarios measured in pairs, as results (with their service metrics read). */
  /** Each compared scenario's result from the side's pairs (but those in `except`), its service-metric readings into `readings` for the head. */
  results(
    s: Side,
    readings: { ramp: boolean; readings: ReturnType<typeof attachMetrics> }[],
    except: ReadonlySet<string> = new Set(),
  ): ScenarioResult[] {
    return this.compared
      .filter((sc) => this.sides[s].trials.get(sc.name)!.length && !except.has(sc.name))
      .map((sc) => {
        const result = scenarioResult(sc, this.sides[s].trials.get(sc.name)!, this.sides[s].histograms.get(sc.name)!);
        const scrapes = this.sides[s].scrapes.get(sc.name)!;
        if (scrapes.enabled) {
          const r = attachMetrics(result, scrapes.pairs, this.config.metrics);
          if (s === 'head') readings.push({ ramp: false, readings: r });
        }
        return result;
      });
  }
}
