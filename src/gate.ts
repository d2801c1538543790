// The pipeline, the one function the CLI and the Action both call:
// config → service → load → RunResult → targets → verdict → report files.
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { serviceWindow, summarizeTrials } from './analysis/aggregate.js';
import { evaluateTargets } from './analysis/targets.js';
import { decide } from './analysis/verdict.js';
import { analyzeRegressions, currentFromScenarios } from './analysis/regression.js';
import { configFingerprint } from './config/fingerprint.js';
import { applyOverrides, type ConfigOverrides } from './config/overrides.js';
import { loadSettings } from './config/settings.js';
import { gitInfo } from './history/git-info.js';
import { openStore } from './history/open.js';
import { saveDecision } from './history/policy.js';
import { recordFromResult, type HistoryRecord } from './history/record.js';
import { runnerClass } from './history/runner.js';
import { loadConfig, serviceUrl } from './config/load.js';
import type { Config } from './config/types.js';
import { describeEnvironment } from './environment.js';
import { UsageError } from './errors.js';
import { fdProblem, readFdLimit } from './load/fd-limit.js';
import { runScenario } from './load/scenario.js';
import { silentProgress, type Progress } from './progress.js';
import { loadTemplate, type ReportTemplate } from './report/render.js';
import { buildView } from './report/view.js';
import { RESULT_SCHEMA_VERSION, type RegressionAnalysis, type RunFailure, type RunResult, type ScenarioResult } from './result.js';
import { freePort } from './service/port.js';
import { UptimeProbe } from './service/probe.js';
import { startService, type ServiceProcess } from './service/process.js';
import { describeExit, waitReady } from './service/readiness.js';
import { ResourceSampler } from './service/sampler.js';

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
}

export interface GateOutcome {
  result: RunResult;
  report: string;
  /** 0 pass, 1 fail, 130 interrupted. */
  exitCode: 0 | 1 | 130;
  files: { result: string; report: string; serviceLog: string | null };
}

const LOG_TAIL_LINES = 30;

export async function runGate(opts: GateOptions): Promise<GateOutcome> {
  const cwd = opts.cwd ?? process.cwd();
  const progress = opts.progress ?? silentProgress;
  const config = applyOverrides(loadConfig(resolve(cwd, opts.config)), opts.overrides);
  // Everything that can be checked before the service starts is checked now.
  let template: ReportTemplate;
  try {
    template = config.report.template ? loadTemplate(config.report.template) : loadTemplate();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const maxConnections = Math.max(...config.scenarios.map((s) => s.connections));
  const fd = fdProblem(maxConnections, readFdLimit());
  if (fd) throw new UsageError(fd);

  const outDir = resolve(cwd, opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const files = {
    result: join(outDir, 'result.json'),
    report: join(outDir, 'report.md'),
    serviceLog: config.service.command ? join(outDir, 'service.log') : null,
  };
  const startedAt = new Date();
  const runId = randomUUID();

  const port = config.service.port === 'auto' ? await freePort() : config.service.port;
  const baseUrl = config.service.url.replace('{port}', String(port));
  const env: NodeJS.ProcessEnv = {
    ...(opts.env ?? process.env),
    ...config.service.env,
    ...(port !== undefined ? { PORT: String(port) } : {}),
    PERFGATE_RUN_ID: runId,
  };

  let service: ServiceProcess | undefined;
  let sampler: ResourceSampler | undefined;
  let probe: UptimeProbe | undefined;
  let failure: RunFailure | null = null;
  let readyMs: number | null = null;
  const scenarios: ScenarioResult[] = [];
  const windows: { start: number; end: number }[] = [];
  const logTail = (): string[] => service?.log.tail(LOG_TAIL_LINES).map((l) => l.text) ?? [];
  const aborted = (): string | undefined => (opts.signal?.aborted ? `interrupted (${String(opts.signal.reason ?? 'abort')})` : undefined);

  try {
    if (config.service.command) {
      progress.info(`perfgate: starting the service: ${config.service.command}`);
      service = startService({
        command: config.service.command,
        cwd: config.service.cwd,
        env,
        logFile: files.serviceLog ?? undefined,
      });
    } else {
      progress.info(`perfgate: external target ${baseUrl}`);
    }
    const ready = await waitReady(config.service.ready, baseUrl, service, opts.signal);
    if (ready.ready) {
      readyMs = ready.ms;
      progress.info(`perfgate: service ready after ${ready.ms} ms at ${baseUrl}`);
    } else if (ready.reason === 'aborted') {
      failure = {
        kind: 'aborted',
        message: aborted() ?? 'interrupted',
        logTail: logTail(),
      };
    } else {
      const spawnError = service?.exit?.error;
      failure = {
        kind: spawnError ? 'spawn-failed' : 'never-ready',
        message: spawnError ? `the service could not be started: ${spawnError}` : `the service never became ready: ${ready.detail}`,
        exit: service?.exit ? { code: service.exit.code, signal: service.exit.signal } : undefined,
        logTail: logTail(),
      };
    }

    if (!failure) {
      if (service) {
        sampler = new ResourceSampler(service.pid);
        sampler.start();
      }
      probe = new UptimeProbe(serviceUrl(baseUrl, config.service.health));
      probe.start();
      const crashed = (): string | undefined =>
        service?.exit && !service.stopping
          ? `the service exited during load (${service.exit.error ?? describeExit(service.exit)})`
          : undefined;

      for (const scenario of config.scenarios) {
        progress.info(
          `perfgate: scenario "${scenario.name}": ${scenario.connections} connections${scenario.rate ? ` at ${scenario.rate} req/s` : ''}, ${scenario.trials} × ${scenario.durationMs / 1000}s`,
        );
        let run: Awaited<ReturnType<typeof runScenario>>;
        try {
          run = await runScenario(baseUrl, scenario, {
            interrupt: () => aborted() ?? crashed(),
            onPhase: (phase) => progress.live(`  ${scenario.name}: ${phase}`),
            onLive: (phase, live, totalMs) =>
              progress.live(
                `  ${scenario.name}: ${phase} ${Math.min(100, Math.round((100 * live.elapsedMs) / totalMs))}% · ${Math.round((live.responses * 1000) / Math.max(1, live.elapsedMs))} req/s · ${live.errors} errors`,
              ),
          });
        } catch (err) {
          // autocannon refused the scenario (e.g. a request it cannot build): a verdict, not a crash of perfgate.
          failure = {
            kind: 'load-error',
            message: `the load for "${scenario.name}" could not be sent: ${(err as Error).message}`,
            scenario: scenario.name,
            logTail: logTail(),
          };
          break;
        }
        windows.push(...run.windows);
        scenarios.push({
          name: scenario.name,
          kind: scenario.kind,
          settings: {
            ...loadSettings(scenario),
            steps: scenario.steps.map((s) => ({
              name: s.name,
              method: s.method,
              path: s.path,
            })),
          },
          summary: summarizeTrials(run.trials, run.histograms),
          trials: run.trials,
          service: { cpu: null, memory: null, uptime: null }, // filled in once sampling stopped
          ...(run.interrupted ? { interrupted: run.interrupted } : {}),
        });
        const last = scenarios[scenarios.length - 1]!;
        if (run.trials.length) {
          progress.info(
            `perfgate:   ${Math.round(last.summary.rps)} req/s, p50 ${last.summary.latency.p50} ms, p95 ${last.summary.latency.p95} ms, p99 ${last.summary.latency.p99} ms, errors ${(last.summary.errors.rate * 100).toFixed(2)}%`,
          );
        }
        if (run.interrupted) {
          const why = aborted();
          failure = why
            ? {
                kind: 'aborted',
                message: why,
                scenario: scenario.name,
                logTail: logTail(),
              }
            : {
                kind: 'crashed',
                message: run.interrupted,
                scenario: scenario.name,
                exit: service?.exit ? { code: service.exit.code, signal: service.exit.signal } : undefined,
                logTail: logTail(),
              };
          break;
        }
      }
    }
  } finally {
    await probe?.stop();
    await sampler?.stop();
    if (service) {
      progress.info('perfgate: stopping the service');
      const stopped = await service.stop(config.service.stopTimeoutMs);
      if (stopped.survivors.length) progress.info(`perfgate: warning: processes ${stopped.survivors.join(', ')} survived SIGKILL`);
    }
  }

  const samples = {
    resources: sampler?.samples ?? null,
    probes: probe?.samples ?? null,
  };
  scenarios.forEach((s, i) => {
    const own = windowsOf(scenarios, windows, i);
    s.service = serviceWindow(samples, own);
  });
  const overall = serviceWindow(samples, windows);
  const partial: Pick<RunResult, 'scenarios' | 'service' | 'failure'> = {
    scenarios,
    failure,
    service: {
      ...overall,
      mode: service ? 'managed' : 'external',
      command: config.service.command ?? null,
      url: baseUrl,
      readyMs,
      exit: service?.exit ? { code: service.exit.code, signal: service.exit.signal } : null,
      logFile: files.serviceLog ? displayPath(cwd, files.serviceLog) : null,
      logTail: logTail(),
    },
  };
  const targets = evaluateTargets(config.targets, partial);
  const environment = describeEnvironment(opts.env ?? process.env);
  const fingerprint = configFingerprint(config);
  const runner = runnerClass(environment);
  const git = gitInfo(dirname(config.file), opts.env ?? process.env);

  // History: compare with the stored runs of this config and runner class.
  const store = openStore(config.history, dirname(config.file));
  let regression: RegressionAnalysis | null = null;
  if (store && !failure && scenarios.some((s) => s.trials.length)) {
    const current = currentFromScenarios(undefined, fingerprint, runner, scenarios);
    let records: HistoryRecord[] = [];
    const warnings: string[] = [];
    try {
      const loaded = await store.load();
      records = loaded.records;
      warnings.push(...loaded.warnings);
    } catch (err) {
      warnings.push(`history could not be read from ${store.label}: ${(err as Error).message}`);
    }
    for (const w of warnings) progress.info(`perfgate: warning: ${w}`);
    regression = analyzeRegressions(records, current, config.regression, store.label, warnings);
  }
  const { verdict, reason } = decide(targets, failure, regression);
  const finishedAt = new Date();
  const result: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: 'perfgate',
    name: config.name,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    verdict,
    reason,
    targets,
    ...partial,
    config: { file: displayPath(cwd, config.file), scenarios: config.scenarios.map((s) => s.name), fingerprint },
    runner,
    git,
    regression,
    history: null,
    environment,
    files: {
      result: displayPath(cwd, files.result),
      report: displayPath(cwd, files.report),
      serviceLog: files.serviceLog ? displayPath(cwd, files.serviceLog) : null,
    },
  };

  if (store) {
    const decision = saveDecision(config.history.save, opts.save, git, failure);
    result.history = { store: store.label, saved: false, reason: decision.reason, location: null, pruned: 0 };
    if (decision.save) {
      try {
        result.history.location = await store.save(recordFromResult(result));
        result.history.saved = true;
        result.history.pruned = (await store.prune(config.history.keep)).length;
      } catch (err) {
        result.history.reason = `saving failed: ${(err as Error).message}`;
      }
    }
    progress.info(
      `perfgate: history (${store.label}): ${result.history.reason}${result.history.pruned ? `; pruned ${result.history.pruned} old run(s)` : ''}`,
    );
  }
  const report = template(buildView(result));
  writeAtomic(files.result, `${JSON.stringify(result, null, 2)}\n`);
  writeAtomic(files.report, report);
  const exitCode = failure?.kind === 'aborted' ? 130 : verdict === 'pass' ? 0 : 1;
  return { result, report, exitCode, files };
}

/** Trial windows belonging to scenario i (runScenario appended them in order). */
function windowsOf(scenarios: ScenarioResult[], windows: { start: number; end: number }[], i: number): { start: number; end: number }[] {
  const before = scenarios.slice(0, i).reduce((a, s) => a + s.trials.length, 0);
  return windows.slice(before, before + scenarios[i]!.trials.length);
}

function displayPath(cwd: string, p: string): string {
  const rel = relative(cwd, p);
  return rel && !rel.startsWith('..') ? rel : p;
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export type { Config };
