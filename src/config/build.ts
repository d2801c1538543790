// The validated raw config → a typed Config: defaults applied, durations and sizes parsed,
// and what the schema cannot say checked (each problem reported with its YAML path).
import { dirname, resolve } from 'node:path';
import { type MetricInfo } from './target-expr.js';
import { type PathSegment } from './yaml-locate.js';
import { LOAD_DEFAULTS, type Config, type ScenarioConfig, type ServiceConfig, type TargetConfig, REGRESSION_DEFAULTS } from './types.js';
import { parsePercent, parseSize } from './units.js';
import { AB_DEFAULTS, BUILTIN_METRICS } from './types.js';
import type { BuiltinMetric } from '../contract/result.js';
import type { RawConfig, RawScenario } from './raw.js';
import { closest } from './schema-errors.js';
import {
  buildDefinitions,
  buildDependencies,
  buildRamp,
  buildService,
  buildSteps,
  buildTarget,
  mergeHeaders,
  ms,
  parsePath,
  strings,
  type Report,
} from './build-parts.js';

// ---- meaning: what the schema cannot say ----

export function build(raw: RawConfig, file: string, at: Report): Config {
  const dir = dirname(file);
  const service = buildService(raw.service, ['service'], dir, at);
  const dependencies = buildDependencies(raw.dependencies, dir, at);
  const baseline = buildBaseline(raw, service, dir, at);
  const metrics = buildDefinitions(raw.service?.metrics?.define, at);
  if (baseline && metrics.length && !baseline.service.metrics)
    at(
      ['baseline', 'service'],
      'service.metrics defines metrics but baseline.service has no metrics endpoint: add baseline.service.metrics.url',
    );
  const custom: Record<string, MetricInfo> = Object.fromEntries(
    metrics.map((m) => [m.name, { unit: m.unit, scope: 'any', label: `service metric ${m.name}`, custom: true } satisfies MetricInfo]),
  );
  const { scenarios, targets } = buildScenarios(raw, service, custom, at);
  checkTargetScopes(targets, scenarios, service, at);

  let template: string | undefined;
  if (raw.report?.template) template = resolve(dir, raw.report.template);

  const mode = raw.mode ?? 'auto';
  if (mode === 'ab' && !baseline)
    at(['mode'], 'mode: ab needs baseline.ref (the base build as a git ref) or baseline.service (how to start it)', false);
  if (raw.baseline?.service?.metrics?.define)
    at(
      ['baseline', 'service', 'metrics', 'define'],
      'define metrics under service.metrics.define; the same definitions apply to the base build',
    );
  return {
    file,
    name: raw.name ?? 'perfgate',
    service,
    dependencies,
    baseline,
    mode: mode === 'auto' ? (baseline ? 'ab' : 'history') : mode,
    ab: buildAb(raw, at),
    scenarios,
    targets,
    metrics,
    unjudgeable: raw.unjudgeable ?? 'fail',
    profile: { mode: raw.profile ?? 'auto', requested: false },
    report: { template },
    history: buildHistory(raw, dir),
    regression: buildRegression(raw, metrics, at),
  };
}

/** Every scenario (load settings, steps, ramp, timeouts) and every target, scenario blocks included, in the order written. */
function buildScenarios(
  raw: RawConfig,
  service: ServiceConfig,
  custom: Record<string, MetricInfo>,
  at: Report,
): { scenarios: ScenarioConfig[]; targets: TargetConfig[] } {
  const defaults = raw.load ?? {};
  const scenarios: ScenarioConfig[] = [];
  const targets: TargetConfig[] = [];
  const names = new Map<string, number>();

  raw.scenarios.forEach((s, i) => {
    const path: PathSegment[] = ['scenarios', i];
    if (names.has(s.name)) at([...path, 'name'], `scenario name "${s.name}" is used twice (also scenarios[${names.get(s.name)}])`, false);
    names.set(s.name, i);
    if ((s.request ? 1 : 0) + (s.workflow ? 1 : 0) !== 1) {
      at(path, `scenario "${s.name}" needs exactly one of "request" (one request) or "workflow" (a list of steps)`);
      return;
    }
    const headers = mergeHeaders(strings(defaults.headers), strings(s.headers));
    const rawSteps = s.request ? [s.request] : s.workflow!;
    const stepPath = (j: number): PathSegment[] => (s.request ? [...path, 'request'] : [...path, 'workflow', j]);
    const steps = buildSteps(rawSteps, headers, stepPath, at);
    const connections = s.connections ?? defaults.connections ?? LOAD_DEFAULTS.connections;
    const durationMs = ms(
      s.duration ?? defaults.duration,
      LOAD_DEFAULTS.durationMs,
      s.duration ? [...path, 'duration'] : ['load', 'duration'],
      at,
    );
    const ramp = s.ramp ? buildRamp(s, connections, durationMs, path, at) : undefined;
    const processes = s.processes ?? defaults.processes ?? 1;
    const fewest = ramp?.by === 'connections' ? ramp.levels[0]! : connections;
    if (processes > fewest)
      at(
        s.processes !== undefined ? [...path, 'processes'] : ['load', 'processes'],
        `${processes} load processes need at least as many connections; "${s.name}" has ${fewest}`,
        false,
      );
    if (s.rate !== undefined && s.rate < connections && !ramp) {
      at(
        [...path, 'rate'],
        `rate ${s.rate}/s is below connections (${connections}): each connection sends at least 1 request/s; lower connections or raise rate`,
        false,
      );
    }
    scenarios.push({
      name: s.name,
      kind: s.request ? 'request' : 'workflow',
      steps,
      connections,
      rate: s.rate,
      ...(s.rate !== undefined && (s.arrival ?? defaults.arrival) === 'poisson' ? { arrival: 'poisson' as const } : {}),
      warmupMs: ms(s.warmup ?? defaults.warmup, LOAD_DEFAULTS.warmupMs, s.warmup ? [...path, 'warmup'] : ['load', 'warmup'], at, true),
      trials: s.trials ?? defaults.trials ?? LOAD_DEFAULTS.trials,
      durationMs,
      ...timeouts(s, defaults, ramp?.stepMs ?? durationMs, path, at),
      ...(service.tls ? { tls: service.tls } : {}),
      processes,
      ...(ramp ? { ramp, trials: 1, connections: ramp.by === 'connections' ? ramp.levels[0]! : connections } : {}),
    });
    (s.targets ?? []).forEach((t, j) => {
      const target = buildTarget(t, [...path, 'targets', j], at, s.name, custom);
      if (target) targets.push(target);
    });
  });

  (raw.targets ?? []).forEach((t, j) => {
    const target = buildTarget(t, ['targets', j], at, undefined, custom);
    if (target) targets.push(target);
  });

  return { scenarios, targets };
}

/** What a target may name depends on every scenario: checked once all are known. */
function checkTargetScopes(targets: TargetConfig[], scenarios: ScenarioConfig[], service: ServiceConfig, at: Report): void {
  for (const t of targets) {
    const scenario = t.scenario === undefined ? undefined : scenarios.find((s) => s.name === t.scenario);
    const exprPath = parsePath(t.path);
    if (t.scenario !== undefined && !scenario) {
      at(
        exprPath,
        `target refers to scenario "${t.scenario}", which does not exist (scenarios: ${scenarios.map((s) => s.name).join(', ')})`,
        false,
      );
      continue;
    }
    if (t.parsed.info.scope === 'scenario' && !scenario) {
      at(
        exprPath,
        `"${t.parsed.metric}" is measured per scenario: put this target under a scenario's targets, or add scenario: NAME`,
        false,
      );
    }
    if (t.parsed.info.workflowOnly && scenario && scenario.kind !== 'workflow') {
      at(exprPath, `"${t.parsed.metric}" needs a workflow scenario; "${scenario.name}" sends a single request`, false);
    }
    if (t.parsed.info.workflowOnly && !scenario && !scenarios.some((s) => s.kind === 'workflow')) {
      at(exprPath, `"${t.parsed.metric}" needs a workflow scenario, and this config has none`, false);
    }
    if (t.parsed.info.rampOnly && scenario && !scenario.ramp) {
      at(exprPath, `"${t.parsed.metric}" is found by a stress ramp; "${scenario.name}" has no ramp: (add ramp: {start, max})`, false);
    }
    if (t.parsed.info.custom && !service.metrics) {
      at(exprPath, `"${t.parsed.metric}" is read from the service's metrics, but service.metrics.url is not set`, false);
    }
  }
}

/** history: where runs are stored and when they are saved. */
function buildHistory(raw: RawConfig, dir: string): Config['history'] {
  const h = raw.history ?? {};
  return {
    store: h.store ?? 'dir',
    path: resolve(dir, h.path ?? '.perfgate/history'),
    remote: h.remote ?? 'origin',
    branch: h.branch ?? 'perfgate-data',
    save: h.save ?? 'auto',
    keep: h.keep ?? 500,
  };
}

/** regression: how runs are compared (history and A/B), the δ per metric and the gate. */
function buildRegression(raw: RawConfig, metrics: Config['metrics'], at: Report): Config['regression'] {
  const r = raw.regression ?? {};
  if (r['min-runs'] !== undefined && r.window !== undefined && r['min-runs'] > r.window) {
    at(['regression', 'min-runs'], `min-runs (${r['min-runs']}) cannot exceed window (${r.window})`, false);
  }
  const delta = { ...REGRESSION_DEFAULTS.delta };
  for (const [k, v] of Object.entries(r.delta ?? {}))
    delta[k as BuiltinMetric] = k === 'memory.growth' || k === 'memory_per_request' ? parseSize(v)! : parsePercent(v)!;
  return {
    window: r.window ?? REGRESSION_DEFAULTS.window,
    minRuns: r['min-runs'] ?? REGRESSION_DEFAULTS.minRuns,
    alpha: r.alpha ?? REGRESSION_DEFAULTS.alpha,
    beta: r.beta ?? r.alpha ?? REGRESSION_DEFAULTS.beta,
    delta,
    onMissingBaseline: r['on-missing-baseline'] ?? REGRESSION_DEFAULTS.onMissingBaseline,
    gate: buildGate(r.gate, metrics, at),
    gateWritten: r.gate !== undefined,
    spreads: r.spreads ?? REGRESSION_DEFAULTS.spreads,
    summary: r['run-level'] ?? REGRESSION_DEFAULTS.summary,
    yardstick: r.yardstick ?? REGRESSION_DEFAULTS.yardstick,
    against: r.against ?? REGRESSION_DEFAULTS.against,
    againstWritten: r.against !== undefined,
    storedBuild: {
      alpha: r.alpha ?? REGRESSION_DEFAULTS.storedBuild.alpha,
      beta: r.beta ?? r.alpha ?? REGRESSION_DEFAULTS.storedBuild.beta,
    },
  };
}

/** ab: A/B sampling and design. */
function buildAb(raw: RawConfig, at: Report): Config['ab'] {
  const ab = raw.ab ?? {};
  const minTrials = ab['min-trials'] ?? AB_DEFAULTS.minTrials;
  const maxTrials = ab['max-trials'] ?? Math.max(AB_DEFAULTS.maxTrials, minTrials);
  if (maxTrials < minTrials) at(['ab', 'max-trials'], `max-trials (${maxTrials}) cannot be below min-trials (${minTrials})`, false);
  return {
    minTrials,
    maxTrials,
    step: ab.step ?? AB_DEFAULTS.step,
    budgetMs: ms(ab.budget, AB_DEFAULTS.budgetMs, ['ab', 'budget'], at),
    ...(ab.design ? { design: ab.design } : {}),
  };
}

/** The location stored on a target, turned back into segments. */

/**
 * The base build. With `ref`, the head's service block run inside the base checkout, with the
 * fields of baseline.service (if any) laid over it; without, baseline.service as written.
 */
function buildBaseline(raw: RawConfig, service: ServiceConfig, dir: string, at: Report): Config['baseline'] {
  const b = raw.baseline;
  if (!b) return undefined;
  if (b.setup !== undefined && b.ref === undefined)
    at(
      ['baseline', 'setup'],
      'setup prepares a checkout of baseline.ref; without ref there is no checkout (start the base with baseline.service)',
    );
  if (b.ref === undefined && b.service === undefined) {
    at(['baseline'], 'baseline needs ref (the base build as a git ref, or auto) or service (how to start it)');
    return undefined;
  }
  if (b.ref === undefined) return { service: buildService(b.service, ['baseline', 'service'], dir, at) };
  const merged = b.service ? buildService({ ...raw.service, ...b.service }, ['baseline', 'service'], dir, at) : service;
  return { service: merged, ref: b.ref, ...(b.setup !== undefined ? { setup: b.setup } : {}) };
}

/** regression.gate: built-in metrics and defined service metrics that say which way is better. */
function buildGate(gate: string[] | undefined, metrics: Config['metrics'], at: Report): readonly string[] {
  if (gate === undefined) {
    // Defined metrics with a direction gate by default, as they did before the gate existed.
    return [...REGRESSION_DEFAULTS.gate, ...metrics.filter((m) => m.better).map((m) => m.name)];
  }
  const known = [...BUILTIN_METRICS, ...metrics.filter((m) => m.better).map((m) => m.name)];
  gate.forEach((name, i) => {
    if (known.includes(name)) return;
    const defined = metrics.find((m) => m.name === name);
    if (defined) {
      at(['regression', 'gate', i], `"${name}" has no direction: add better: higher or lower to its definition to compare it`, false);
      return;
    }
    const guess = closest(name, known);
    at(
      ['regression', 'gate', i],
      `unknown metric "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}; one of: ${known.join(', ')}`,
      false,
    );
  });
  return [...new Set(gate)];
}

/**
 * A scenario's request and connect timeouts. The request timeout is never longer than a trial
 * (a ramp step): a longer one could never be seen, so unanswered requests would vanish. Its
 * default is 10 s or the trial's duration, whichever is shorter; a longer one is refused.
 */
function timeouts(
  s: RawScenario,
  defaults: NonNullable<RawConfig['load']>,
  trialMs: number,
  path: PathSegment[],
  at: Report,
): Pick<ScenarioConfig, 'timeoutMs' | 'connectTimeoutMs'> {
  const written = s.timeout ?? defaults.timeout;
  const where: PathSegment[] = s.timeout ? [...path, 'timeout'] : ['load', 'timeout'];
  const timeoutMs = ms(written, Math.min(LOAD_DEFAULTS.timeoutMs, trialMs), where, at);
  if (written !== undefined && timeoutMs > trialMs)
    at(
      where,
      `timeout ${written} is longer than ${s.ramp ? 'a ramp step' : 'a trial'} of "${s.name}" (${trialMs / 1000}s): a request unanswered that long could never be counted; make it at most ${trialMs / 1000}s`,
      false,
    );
  const connect = s['connect-timeout'] ?? defaults['connect-timeout'];
  const connectWhere: PathSegment[] = s['connect-timeout'] ? [...path, 'connect-timeout'] : ['load', 'connect-timeout'];
  return { timeoutMs, connectTimeoutMs: ms(connect, timeoutMs, connectWhere, at) };
}
