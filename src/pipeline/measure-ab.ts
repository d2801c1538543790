// A/B mode: the base and the head build on the same machine, in pairs. The story: choose the
// design (duet where both builds can run side by side and the CPUs split, else interleaved),
// then pairs and looks (ab/duet.ts: both loaded at once, pinned, crossed over; ab/interleaved.ts:
// one at a time in B,H,H,B blocks), each look analysing the pairs so far (ab/ab-run.ts); sampling
// stops as soon as no further pair can change the gate's outcome (a gating regression proven, or
// every gating comparison decided), at `max-trials`, or before the time budget would be
// exceeded. Then the head's stress ramps, and both sides' results. The profiled trial after a
// failed gate is a stage of its own (profile.ts).
import { LEAN_MIN_RUNS, LEAN_WINDOW, type LeanEvidence } from '../analysis/lean.js';
import type { Window } from '../analysis/aggregate.js';
import { abCounts, comparisonKey } from '../analysis/ab.js';
import { leftOut } from '../analysis/compared-metrics.js';
import type { Config, ScenarioConfig } from '../config/types.js';
import { attachMetrics } from '../analysis/service-metrics.js';
import { interruption, loadError, metricsOf, runAndRecord, serviceFigures, type MeasureContext, type Measurement } from './measure.js';
import type { AbResult, RunFailure, ScenarioResult } from '../contract/result.js';
import type { Launched } from '../service/launch.js';
import { AbRun, type AbContext, type Side } from './ab/ab-run.js';
import { chooseDesign, sideBySide, type Pinning } from './ab/design.js';
import { runDuet } from './ab/duet.js';
import { Interleaved } from './ab/interleaved.js';

export interface AbMeasurement extends Measurement {
  ab: AbResult;
  /** Which build the failure (if any) came from: a failing base is not the head's regression. */
  failedSide: Side | null;
}

type Readings = { ramp: boolean; readings: ReturnType<typeof attachMetrics> }[];

/**
 * `headAlone`: which compared scenarios the head runs alone after a duet's pairs: those its targets
 * read (`targeted`), or all (`all`: a run stored in history keeps a plain run's figures).
 */
export async function measureAb(
  config: Config,
  ctx: MeasureContext & { baseLog: string | null },
  o: { headAlone: 'targeted' | 'all'; lean?: LeanEvidence } = { headAlone: 'targeted' },
): Promise<AbMeasurement> {
  const run = new AbRun(config, ctx as AbContext, o.lean);
  const keepBoth = sideBySide(config.baseline!.service, config.service);
  let design = await chooseDesign(config.ab.design, keepBoth);
  run.useDesign(design.design);
  const interleaved = new Interleaved(run, keepBoth);
  const alone = aloneScenarios(run, design.design, o.headAlone);
  run.reserveMs = plannedMs(alone);
  let pinned: Pinning | undefined;
  const headAlone: HeadAlone = { results: new Map(), windows: new Map(), readings: [], ms: 0 };
  try {
    if (design.design === 'duet') {
      const duet = await runDuet(run, design.cpus!);
      pinned = duet.pinned;
      if (duet.fallback) {
        ctx.progress.info(`perfgate: ${duet.fallback}`);
        design = { design: 'interleaved', note: `interleaved: ${duet.fallback}` };
        run.useDesign('interleaved');
      }
    }
    if (design.design === 'interleaved') await interleaved.blocks();
    // The head alone, as a plain run measures it: the base stopped, nothing pinned. Its targets
    // are judged on these trials (a duet's head shared one CPU with the base under load), and its
    // stress ramps run here (ramps are not compared: each side would need its own).
    const stage = [...(design.design === 'duet' ? alone : []), ...run.ramps];
    if (!run.failure && stage.length) {
      if (design.design === 'duet') {
        await run.stopAll();
        await pinned?.restore();
      }
      const started = Date.now();
      const host = await aloneHost(run, interleaved, design.design);
      for (const scenario of host ? stage : []) {
        ctx.progress.info(
          scenario.ramp
            ? `perfgate: stress ramp "${scenario.name}" on the head build only (ramps are not compared in A/B mode)`
            : `perfgate: "${scenario.name}" on the head build alone, ${scenario.trials} trials as a plain run measures them, for its targets`,
        );
        if (!(await headOnly(run, host!, scenario, headAlone))) break;
      }
      headAlone.ms = Date.now() - started;
    }
  } finally {
    await run.stopAll();
    await pinned?.restore();
  }
  run.finish();
  return assemble(run, design, pinned, headAlone);
}

/** What the head ran alone after the pairs: its targeted scenarios' own trials, and its stress ramps. */
interface HeadAlone {
  results: Map<string, ScenarioResult>;
  windows: Map<string, Window[]>;
  readings: Readings;
  /** How long the stage took. */
  ms: number;
}

/**
 * The compared scenarios the head runs alone after a duet's pairs: those a scenario's target reads
 * (whole-run targets, errors, uptime, memory, are judged over the head's whole run), or every one.
 */
function aloneScenarios(run: AbRun, design: 'duet' | 'interleaved', which: 'targeted' | 'all'): ScenarioConfig[] {
  if (design !== 'duet') return [];
  if (which === 'all') return [...run.compared];
  const read = new Set(run.config.targets.map((t) => t.scenario).filter((name): name is string => name !== undefined));
  return run.compared.filter((sc) => read.has(sc.name));
}

/** The time those scenarios' warm-ups and trials take, kept out of the pairs' time budget. */
function plannedMs(scenarios: readonly ScenarioConfig[]): number {
  return scenarios.reduce((ms, sc) => ms + sc.warmupMs + sc.trials * sc.durationMs, 0);
}

/** The head, up (started afresh after a duet: unpinned, the base stopped) and sampled. */
async function aloneHost(run: AbRun, interleaved: Interleaved, design: 'duet' | 'interleaved'): Promise<Launched | undefined> {
  if (design === 'interleaved') return interleaved.ensure('head');
  const head = await run.up('head', false);
  if (head) run.startSampling('head');
  return head;
}

/** One scenario (its warm-up and own trials, or its stress ramp) on the head alone; false when it failed (the failure is set). */
async function headOnly(run: AbRun, host: Launched, scenario: ScenarioConfig, into: HeadAlone): Promise<boolean> {
  // Scrapes of their own: the duet's pairs of this scenario keep theirs.
  const scrapes = scenario.ramp ? run.sides.head.scrapes.get(scenario.name)! : run.freshScrapes('head');
  try {
    const recorded = await runAndRecord(host.baseUrl, scenario, run.hooks(host, scenario, 'head'), run.config, scrapes, host);
    into.results.set(scenario.name, recorded.result);
    into.windows.set(scenario.name, recorded.run.windows);
    into.readings.push({ ramp: Boolean(scenario.ramp), readings: recorded.readings });
    if (!recorded.run.interrupted) return true;
    run.fail('head', interruption(host, recorded.run.interrupted, scenario.name, run.ctx.signal));
  } catch (err) {
    run.fail('head', loadError(host, scenario.name, err));
  }
  return false;
}

/** The compared scenarios the head ran alone (for their targets), in config order. */
function aloneCompared(run: AbRun, alone: HeadAlone): string[] {
  return run.compared.filter((sc) => alone.results.has(sc.name)).map((sc) => sc.name);
}

/** Both sides' results, the head's figures as the run's, and the A/B section. */
function assemble(
  run: AbRun,
  design: { design: 'duet' | 'interleaved'; note: string },
  pinned: Pinning | undefined,
  alone: HeadAlone,
): AbMeasurement {
  const { config, ctx } = run;
  const readings: Readings = [];
  // The head's figures: what it ran alone where it did (its targets read those), else its pairs'.
  const abHead = run.results('head', readings, new Set(alone.results.keys()));
  readings.push(...alone.readings);
  // The head's scenarios in config order: the compared ones, and the ramps it ran alone.
  const headScenarios = config.scenarios
    .map((sc) => alone.results.get(sc.name) ?? abHead.find((r) => r.name === sc.name))
    .filter((r): r is ScenarioResult => r !== undefined);
  const windowsOf = (name: string): Window[] => alone.windows.get(name) ?? run.sides.head.windows.get(name)!;
  const headScrapes = [...run.sides.head.scrapes.values()];
  const scrapeStats = {
    scrapes: headScrapes.reduce((a, x) => a + x.scrapes, 0),
    failed: headScrapes.reduce((a, x) => a + x.failed, 0),
    problems: new Set(headScrapes.flatMap((x) => [...x.problems])),
  };
  const head = run.sides.head.last;
  const service = head
    ? serviceFigures(
        config,
        head,
        ctx,
        run.samples.head,
        headScenarios,
        headScenarios.map((s) => windowsOf(s.name)),
      )
    : serviceFigures(config, run.sides.base.last!, ctx, run.samples.head, headScenarios, []);
  const named = (key: string): { scenario: string; metric: string } => {
    const c = run.comparisons.find((x) => comparisonKey(x) === key);
    return { scenario: c?.scenario ?? '', metric: c?.metric ?? key };
  };
  const notGating = [...(run.decision.notGating ?? [])].map(([key, why]) => ({ ...named(key), why }));
  // The head's pairs of what it then ran alone: every pair but those of the scenarios it did not.
  const aloneNames = aloneCompared(run, alone);
  const pairsOnly = new Set(run.compared.map((sc) => sc.name).filter((n) => !aloneNames.includes(n)));
  const widened = [...(run.decision.widened ?? [])].map(([key, delta]) => ({ ...named(key), delta, why: run.admissionWhy.get(key) ?? '' }));
  return {
    scenarios: headScenarios,
    failure: run.failure as RunFailure | null,
    service,
    metrics: head ? metricsOf(config, head, scrapeStats, readings) : null,
    ab: {
      mode: 'ab',
      alpha: run.decision.alpha,
      looks: run.looks,
      alphaPerLook: run.decision.alpha / run.looks.length,
      ...(run.decision.beta !== undefined && run.decision.beta !== run.decision.alpha ? { beta: run.decision.beta } : {}),
      trialsPerSide: run.batches,
      batches: run.batches,
      stoppedBecause: run.stoppedBecause,
      elapsedMs: Date.now() - run.started,
      order: run.order,
      base: {
        command: config.baseline!.service.command ?? null,
        url: run.sides.base.last?.baseUrl ?? config.baseline!.service.url,
        scenarios: run.results('base', []),
      },
      comparisons: run.comparisons,
      counts: abCounts(run.comparisons),
      design: design.design,
      designNote: pinned && !pinned.failed && design.design === 'duet' ? `${design.note}; ${pinned.note}` : design.note,
      leftOut: leftOut(run.compared, run.decision.openModel),
      gateFrom: run.gateFrom,
      ...(run.firstSlot ? { firstSlot: run.firstSlot } : {}),
      ...(pinned?.quota && !pinned.failed ? { cpuQuota: pinned.quota } : {}),
      ...(aloneNames.length
        ? { headAlone: { scenarios: aloneNames, ms: alone.ms }, headPairs: { scenarios: run.results('head', [], pairsOnly) } }
        : {}),
      ...(notGating.length ? { notGating } : {}),
      ...(widened.length ? { widened } : {}),
      ...(run.lean && design.design === 'duet' ? { runLean: { duets: run.lean.runs, window: LEAN_WINDOW, minRuns: LEAN_MIN_RUNS } } : {}),
    },
    failedSide: run.failedSide,
  };
}
