// The pipeline, the one function the CLI and the Action both call:
// config → service → load → RunResult → targets → verdict → report files.
import { runExitCode, type RunExitCode } from '../util/exit-codes.js';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { currentFromResult } from '../analysis/regression.js';
import { evaluateTargets } from '../analysis/targets.js';
import { unjudgeableLines, unjudgeableTargets } from '../analysis/judgeable.js';
import { decide } from '../analysis/verdict.js';
import { configFingerprint } from '../config/fingerprint.js';
import { type ConfigOverrides } from '../config/overrides.js';
import { gitInfo, repoUrl } from '../history/git-info.js';
import { openStore } from '../history/open.js';
import type { HistoryStore } from '../history/store.js';
import { runnerClass } from '../history/runner.js';
import { renderDashboard } from '../report/dashboard-page.js';
import { compareWithHistory, recordInHistory } from '../history/steps.js';
import { prologue } from './prologue.js';
import { repoRoot, type BaseCheckout } from './base-build.js';
import { baseBuild } from './choose-base.js';
import type { LeanEvidence } from '../analysis/lean.js';
import { internalFailure, measureOnce, perBuild, withSharedDependencies, type MeasureContext, type Measurement } from './measure.js';
import { writeOutputs } from '../util/output.js';
import { measureAb, type AbMeasurement } from './measure-ab.js';
import { profileRun, profileWhy, type ProfileTarget } from './profile.js';
import type { ProfileResult } from '../contract/profile.js';
import type { Config } from '../config/types.js';
import { describeEnvironment } from '../util/environment.js';
import { type Progress } from '../util/progress.js';
import { type ReportTemplate } from '../report/render.js';
import { buildView } from '../report/view.js';
import { profilePages } from '../contract/record.js';
import { RESULT_SCHEMA_VERSION, type RegressionAnalysis, type RunResult } from '../contract/result.js';

export interface GateOptions {
  /** Config file path (relative to cwd). */
  config: string;
  /** Where result.json, report.md and service.log go (relative to cwd). */
  outDir: string;
  cwd?: string;
  /** Environment the service inherits (before the config's `env`). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Dispatch-style overrides (duration, connections, trials) and the history store to use. */
  overrides?: ConfigOverrides;
  /** Save this run to history (true/false), overriding the config's `history.save`. */
  save?: boolean;
  /** Aborting stops the load, stops the service and still writes what was measured. */
  signal?: AbortSignal;
  progress?: Progress;
  /** Judge against this git ref's build (an A/B run; `perfgate run --against main`). */
  against?: string;
}

export interface GateOutcome {
  result: RunResult;
  report: string;
  /** 0 pass, 1 fail, 130 interrupted. */
  exitCode: RunExitCode;
  files: { result: string; report: string; serviceLog: string | null };
}

export async function runGate(opts: GateOptions): Promise<GateOutcome> {
  const { cwd, progress, config, template, outDir } = prologue(opts);
  // Said before the load starts: what these settings cannot judge, and what would.
  for (const line of unjudgeableLines(config)) progress.info(`perfgate: warning: ${line}`);
  const files = {
    result: join(outDir, 'result.json'),
    report: join(outDir, 'report.md'),
    serviceLog: config.service.command ? join(outDir, 'service.log') : null,
  };
  /** The base build's log in A/B mode (next to the head's). */
  const baseLog = files.serviceLog ? join(outDir, 'base-service.log') : null;

  const startedAt = new Date();
  const guard = new InternalGuard(opts.signal);
  const baseCtx: MeasureContext = {
    env: opts.env ?? process.env,
    runId: randomUUID(),
    serviceLog: files.serviceLog,
    signal: guard.signal,
    progress,
    display: (p) => displayPath(cwd, p),
  };
  const env = opts.env ?? process.env;
  const base = await baseBuild(config, opts, outDir, env, progress);
  try {
    return await withSharedDependencies(config, baseCtx, async (ctx, sharedFailure) => {
      const measured = sharedFailure
        ? { ...failedMeasurement(config, null), failure: sharedFailure }
        : guard.settle(
            await measureWith(base.config, ctx, outDir, base.checkout, Boolean(base.stored), base.lean).catch((err: unknown) =>
              failedMeasurement(config, err),
            ),
          );
      let baseBuildFailure = base.failure;
      let result = measured;
      if (
        'failedSide' in measured &&
        measured.failedSide === 'base' &&
        measured.failure?.kind !== 'aborted' &&
        measured.failure?.kind !== 'internal'
      ) {
        // A base build that cannot be measured is not the head's regression: measure the head alone.
        const failure = measured.failure!;
        progress.info(`perfgate: the base build could not be measured (${failure.message}); measuring the head alone, against history`);
        baseBuildFailure = {
          ref: base.checkout?.base.ref ?? 'baseline.service',
          sha: base.checkout?.base.sha ?? null,
          message: `the base build could not be measured: ${failure.message}`,
          logTail: failure.logTail,
          log: baseLog,
        };
        result = await measureOnce({ ...config, mode: 'history' }, ctx);
      }
      return await finishRun(
        {
          config: baseBuildFailure ? { ...config, mode: 'history' } : base.config,
          cwd,
          env,
          save: opts.save,
          progress,
          template,
          files,
          startedAt,
          storedBuild: Boolean(base.stored) && !baseBuildFailure,
          ...(base.note ? { notes: [base.note] } : {}),
          ...(baseBuildFailure ? { extra: { baseBuildFailure } } : {}),
          profile: (verdict, m) =>
            profileStage(baseBuildFailure ? { ...config, mode: 'history' } : base.config, m, verdict, {
              ctx,
              outDir,
              baseDir: base.checkout?.dir,
              logs: { head: files.serviceLog, base: baseLog },
            }),
        },
        result,
      );
    });
  } finally {
    guard.dispose();
    await base.checkout?.remove();
  }
}

/** The profiled trial of each build this run measured, when the config, the flag or a failed A/B gate asks for it. */
async function profileStage(
  config: Config,
  measured: Measurement,
  verdict: RunResult['verdict'],
  o: { ctx: MeasureContext; outDir: string; baseDir: string | undefined; logs: { head: string | null; base: string | null } },
): Promise<ProfileResult | undefined> {
  const why = profileWhy(config, verdict, measured.failure !== null || !measured.scenarios.length);
  if (!why) return undefined;
  const targets: ProfileTarget[] = [];
  if (config.mode === 'ab' && config.baseline && 'ab' in measured)
    targets.push({
      side: 'base',
      service: config.baseline.service,
      dependencies: perBuild(config.baseline.dependencies ?? config.dependencies),
      label: 'the base service',
      log: config.baseline.service.command ? o.logs.base : null,
      root: o.baseDir ?? config.baseline.service.cwd,
      measured: (measured as AbMeasurement).ab.base.scenarios,
    });
  targets.push({
    side: 'head',
    service: config.service,
    dependencies: perBuild(config.dependencies),
    label: 'the service',
    log: o.logs.head,
    root: (await repoRoot(dirname(config.file))) ?? config.service.cwd,
    measured: measured.scenarios,
  });
  try {
    return await profileRun(config, targets, o.ctx, o.outDir, why);
  } catch (err) {
    o.ctx.progress.info(`perfgate: warning: the profiled trial failed: ${(err as Error).message}`);
    return {
      mode: config.profile.mode,
      why: `${why}; but the profiled trial failed: ${(err as Error).message}`,
      scenarios: [],
      index: null,
    };
  }
}

/** A measurement that threw (perfgate's fault; its stages stopped what they started): nothing measured, the reason kept. */
function failedMeasurement(config: Config, err: unknown): Measurement {
  return {
    scenarios: [],
    failure: err === null ? null : internalFailure(err, []),
    service: {
      cpu: null,
      memory: null,
      uptime: null,
      mode: config.service.command ? 'managed' : 'external',
      command: config.service.command ?? null,
      url: config.service.url,
      readyMs: null,
      exit: null,
      logFile: null,
      logTail: [],
    },
  };
}

/**
 * While a run measures, an exception nothing caught (a bug in perfgate, wherever it was thrown)
 * stops the run as Ctrl-C would: the load and the service stop, and the run is recorded with an
 * `internal` failure (exit 3), its result.json and report still written.
 */
class InternalGuard {
  private readonly controller = new AbortController();
  private error: unknown = null;
  readonly signal: AbortSignal;
  private readonly onError = (err: unknown): void => {
    this.error ??= err;
    if (!this.controller.signal.aborted) this.controller.abort('internal error');
  };

  constructor(outer: AbortSignal | undefined) {
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
    process.on('uncaughtException', this.onError);
    process.on('unhandledRejection', this.onError);
  }

  /** The measurement, its failure replaced by the internal error when one was caught. */
  settle<T extends Measurement | AbMeasurement>(measured: T): T {
    if (this.error === null) return measured;
    return { ...measured, failure: internalFailure(this.error, measured.failure?.logTail ?? []) };
  }

  dispose(): void {
    process.off('uncaughtException', this.onError);
    process.off('unhandledRejection', this.onError);
  }
}

async function measureWith(
  config: Config,
  ctx: MeasureContext,
  outDir: string,
  checkout: BaseCheckout | undefined,
  storedBuild: boolean,
  lean: LeanEvidence | undefined,
): Promise<Measurement | AbMeasurement> {
  if (config.mode !== 'ab') return measureOnce(config, ctx);
  const baseLog = config.baseline?.service.command ? join(outDir, 'base-service.log') : null;
  // Against a stored run's build, the head also runs every scenario alone: this run is stored, with a plain run's figures.
  const measured = await measureAb(config, { ...ctx, baseLog }, { headAlone: storedBuild ? 'all' : 'targeted', ...(lean ? { lean } : {}) });
  if (checkout) measured.ab.base.commit = { ref: checkout.base.ref, sha: checkout.base.sha, why: checkout.base.why };
  return measured;
}

export interface FinishContext {
  config: Config;
  cwd: string;
  env: NodeJS.ProcessEnv;
  save: boolean | undefined;
  progress: Progress;
  template: ReportTemplate;
  files: { result: string; report: string; serviceLog: string | null };
  startedAt: Date;
  /** What else the RunResult carries (how shards were merged, where an import came from). */
  extra?: Partial<Pick<RunResult, 'shards' | 'source' | 'baseBuildFailure'>>;
  /** Overrides the environment and runner class (a merged or imported run keeps the one it was measured on). */
  environment?: RunResult['environment'];
  /** Overrides the config fingerprint (merged and imported runs are compared only with their own kind). */
  fingerprint?: string;
  /** An A/B run against the build of the newest stored run: stored in history like a plain run. */
  storedBuild?: boolean;
  /** Said with the history comparison (why it is not against a stored run's build). */
  notes?: string[];
  /** The profiled trial, once the verdict is known (it decides whether `auto` profiles). */
  profile?: (verdict: RunResult['verdict'], measured: Measurement) => Promise<ProfileResult | undefined>;
}

/** Measured figures → targets, history comparison, verdict, history record, report and files. */
export async function finishRun(f: FinishContext, measured: Measurement): Promise<GateOutcome> {
  const { config, cwd, progress } = f;
  const ab = config.mode === 'ab' && 'ab' in measured;
  const abResult = 'ab' in measured ? (measured as AbMeasurement).ab : null;
  const failure = measured.failure;
  const scenarios = measured.scenarios;
  const partial: Pick<RunResult, 'scenarios' | 'service' | 'failure' | 'metrics'> = {
    scenarios,
    failure,
    service: measured.service,
    metrics: measured.metrics ?? null,
  };
  const targets = evaluateTargets(
    config.targets,
    { ...partial, source: f.extra?.source ?? null },
    f.extra?.source ? [] : unjudgeableTargets(config),
  );
  const environment = f.environment ?? describeEnvironment(f.env);
  const fingerprint = f.fingerprint ?? configFingerprint(config);
  const runner = runnerClass(environment);
  const git = gitInfo(dirname(config.file), f.env);

  // History: compare with the stored runs of this config and runner class.
  const store = openStore(config.history, dirname(config.file));
  let regression: RegressionAnalysis | null = null;
  // A/B mode compares with the base build measured now; history mode with stored runs.
  if (store && !ab && !failure && scenarios.some((s) => s.trials.length)) {
    regression = await compareWithHistory(
      store,
      currentFromResult(undefined, { ...partial, runner, config: { fingerprint } }),
      config.regression,
      progress,
      f.notes,
    );
  }
  const { verdict, reason } = decide(targets, failure, regression, abResult, config.unjudgeable);
  const profile = f.profile ? await f.profile(verdict, measured) : undefined;
  const finishedAt = new Date();
  const result: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: 'perfgate',
    name: config.name,
    startedAt: f.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - f.startedAt.getTime(),
    verdict,
    reason,
    targets,
    ...partial,
    config: {
      file: displayPath(cwd, config.file),
      scenarios: config.scenarios.map((s) => s.name),
      fingerprint,
      unjudgeable: config.unjudgeable,
    },
    runner,
    git,
    regression,
    ab: abResult,
    history: null,
    environment,
    files: {
      result: displayPath(cwd, f.files.result),
      report: displayPath(cwd, f.files.report),
      serviceLog: f.files.serviceLog ? displayPath(cwd, f.files.serviceLog) : null,
    },
    ...f.extra,
    ...(profile ? { profile } : {}),
  };

  if (store && ab && !f.storedBuild) {
    result.history = {
      store: store.label,
      saved: false,
      reason: 'not saved: A/B runs are compared with their base build, not kept as history',
      location: null,
      pruned: 0,
    };
  } else if (store) {
    result.history = await recordInHistory(store, result, { history: config.history, save: f.save }, progress);
    if (result.history.saved && store.publish) {
      const dashboard = await publishDashboard(
        store,
        result,
        `${config.name}: perfgate dashboard`,
        repoUrl(dirname(config.file), f.env),
        progress,
        cwd,
      );
      if (dashboard) result.history.dashboard = dashboard;
    }
  }
  const report = f.template(buildView(result));
  writeOutputs(f.files, result, report);
  const exitCode = runExitCode({ verdict, failure });
  return { result, report, exitCode, files: f.files };
}

/** The dashboard next to the stored runs (a data branch GitHub Pages can serve); a failure is a warning. */
async function publishDashboard(
  store: HistoryStore,
  result: RunResult,
  title: string,
  repo: string | null,
  progress: Progress,
  cwd: string,
): Promise<string | undefined> {
  try {
    const { records } = await store.load();
    // This run's flame graphs go next to the dashboard, which links them (the record says where).
    const saved = records.find((r) => result.history?.location?.endsWith(`/${r.id}.json`));
    const pages = saved?.profiles?.length ? profilePages(result, saved.id) : [];
    return await store.publish!(
      [
        { path: 'dashboard/index.html', content: renderDashboard(records, title, repo) },
        ...pages.map((p) => ({ path: `dashboard/${p.page}`, content: readFileSync(resolve(cwd, p.file), 'utf8') })),
      ],
      `perfgate: dashboard after ${result.git?.sha?.slice(0, 7) ?? 'a run'}`,
    );
  } catch (err) {
    progress.info(`perfgate: warning: the dashboard could not be published: ${(err as Error).message}`);
    return undefined;
  }
}

export function displayPath(cwd: string, p: string): string {
  const rel = relative(cwd, p);
  return rel && !rel.startsWith('..') ? rel : p;
}
