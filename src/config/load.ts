// perfgate.yml → a validated, typed Config. Every problem names the file, the YAML path and the
// line; all problems found are reported together (exit 2), not only the first.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { METRICS, parseTarget, type MetricInfo } from '../analysis/expression.js';
import { parseMetricExpr, VARIABLES } from '../analysis/metric-expr.js';
import { assetPath } from '../assets.js';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { formatPath, locate, type PathSegment } from './yaml-locate.js';
import {
  LOAD_DEFAULTS,
  SERVICE_DEFAULTS,
  RAMP_DEFAULTS,
  type Config,
  type HttpMethod,
  type MetricDefinition,
  type RampConfig,
  type ScenarioConfig,
  type ServiceConfig,
  type StepConfig,
  type TargetConfig,
} from './types.js';
import { parseDuration, parsePercent, parseSize } from './units.js';
import { REGRESSION_DEFAULTS } from '../analysis/regression.js';
import { AB_DEFAULTS } from './types.js';
import type { BuiltinMetric } from '../result.js';

export const DEFAULT_CONFIG_FILE = 'perfgate.yml';

/** Reads and validates a config file. Throws ConfigError (exit 2) for anything wrong with it. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : String(err);
    throw new ConfigError(file, [{ path: '', message: `cannot read config: ${why}` }]);
  }
  return parseConfig(text, resolve(file));
}

// ---- the raw shape after schema validation ----
type StringMap = Record<string, string | number | boolean>;
interface RawRequest {
  name?: string;
  method?: HttpMethod;
  path: string;
  headers?: StringMap;
  body?: string;
  json?: unknown;
  capture?: Record<string, string>;
}
type RawTarget = string | { name?: string; expr: string; scenario?: string; notes?: string };
interface RawScenario {
  name: string;
  request?: RawRequest;
  workflow?: RawRequest[];
  connections?: number;
  rate?: number;
  arrival?: 'uniform' | 'poisson';
  processes?: number;
  warmup?: string;
  trials?: number;
  duration?: string;
  timeout?: string;
  headers?: StringMap;
  targets?: RawTarget[];
  ramp?: {
    by?: 'connections' | 'rate';
    start: number;
    factor?: number;
    max: number;
    step?: string;
    stop?: { p95?: string; p99?: string; errors?: string };
  };
}
type RawDefinition =
  string | { expr: string; unit?: 'number' | 'percent' | 'bytes' | 'ms' | 'per-second'; better?: 'higher' | 'lower'; delta?: string };
interface RawService {
  command?: string;
  cwd?: string;
  env?: StringMap;
  port?: number | 'auto';
  url?: string;
  ready?: { http?: string; tcp?: boolean; log?: string; timeout?: string };
  health?: string;
  'stop-timeout'?: string;
  'allow-remote'?: boolean;
  metrics?: { url: string; timeout?: string; define?: Record<string, RawDefinition> };
}
interface RawConfig {
  name?: string;
  service?: RawService;
  baseline?: { service: RawService };
  ab?: { 'min-trials'?: number; 'max-trials'?: number; step?: number; budget?: string };
  mode?: 'auto' | 'history' | 'ab';
  load?: {
    processes?: number;
    arrival?: 'uniform' | 'poisson';
    connections?: number;
    warmup?: string;
    trials?: number;
    duration?: string;
    timeout?: string;
    headers?: StringMap;
  };
  scenarios: RawScenario[];
  targets?: RawTarget[];
  report?: { template?: string };
  history?: { store?: 'dir' | 'git' | 'none'; path?: string; remote?: string; branch?: string; save?: 'auto' | boolean; keep?: number };
  regression?: {
    window?: number;
    'min-runs'?: number;
    alpha?: number;
    delta?: Partial<Record<BuiltinMetric, string>>;
    'on-missing-baseline'?: 'pass' | 'warn' | 'fail';
  };
}

let validator: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (validator) return validator;
  const schema = JSON.parse(readFileSync(assetPath('schemas', 'perfgate.schema.json'), 'utf8')) as object;
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
  ajv.addFormat('duration', (s: string) => parseDuration(s) !== undefined);
  ajv.addFormat('percent', (s: string) => parsePercent(s) !== undefined);
  ajv.addFormat('size', (s: string) => parseSize(s) !== undefined);
  validator = ajv.compile(schema);
  return validator;
}

/** Validates config text. `file` is used for messages and to resolve relative paths. */
export function parseConfig(text: string, file: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: true,
    uniqueKeys: true,
  });
  const problems: ConfigProblem[] = [];
  for (const err of doc.errors) {
    const pos = err.linePos?.[0];
    problems.push({
      path: '',
      line: pos?.line,
      column: pos?.col,
      message: `YAML syntax: ${firstLine(err.message)}`,
    });
  }
  if (problems.length) throw new ConfigError(file, problems);

  const data: unknown = doc.toJS();
  if (data === null || data === undefined) {
    throw new ConfigError(file, [
      {
        path: '',
        line: 1,
        message: 'the file is empty; it needs at least `service` and `scenarios`',
      },
    ]);
  }
  const validate = schemaValidator();
  if (!validate(data)) {
    throw new ConfigError(file, schemaProblems(validate.errors ?? [], data, doc, lines));
  }
  const at = (path: PathSegment[], message: string, onKey = true): void => {
    problems.push({
      path: formatPath(path),
      ...locate(doc, lines, path, onKey),
      message,
    });
  };
  const config = build(data as RawConfig, file, at);
  if (problems.length) throw new ConfigError(file, problems);
  return config;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

// ---- schema errors → located, readable problems ----

function schemaProblems(errors: ErrorObject[], data: unknown, doc: Document, lines: LineCounter): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const seen = new Set<string>();
  const relevant = errors.filter((e) => {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') return false;
    // For `string | object` unions, a wrong object also fails the string branch with a `type`
    // error at the same spot: drop it when a more specific error exists inside.
    if (e.keyword === 'type' || e.keyword === 'const') {
      const inUnion = /\/(anyOf|oneOf)\/\d+\//.test(e.schemaPath);
      const deeper = errors.some(
        (o) =>
          o !== e &&
          o.keyword !== 'anyOf' &&
          o.keyword !== 'oneOf' &&
          o.keyword !== 'type' &&
          o.keyword !== 'const' &&
          o.instancePath.startsWith(e.instancePath),
      );
      if (inUnion && deeper) return false;
    }
    return true;
  });
  for (const e of relevant) {
    const path = toSegments(e.instancePath, data);
    let message: string;
    let target = path;
    let onKey = true;
    switch (e.keyword) {
      case 'required':
        message = `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
        break;
      case 'additionalProperties': {
        const key = (e.params as { additionalProperty: string }).additionalProperty;
        target = [...path, key];
        const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        const guess = closest(key, allowed);
        message = `unknown key "${key}"${guess ? `; did you mean "${guess}"?` : allowed.length ? `; allowed: ${allowed.join(', ')}` : ''}`;
        break;
      }
      case 'format':
        onKey = false;
        message =
          (e.params as { format: string }).format === 'duration'
            ? `${show(valueAt(data, path))} is not a duration: write a number with a unit, e.g. 500ms, 10s, 2m`
            : (e.params as { format: string }).format === 'percent'
              ? `${show(valueAt(data, path))} is not a percent: write e.g. 5% or 0.5%`
              : (e.params as { format: string }).format === 'size'
                ? `${show(valueAt(data, path))} is not a size: write e.g. 5MB`
                : (e.message ?? 'invalid');
        break;
      case 'enum':
        onKey = false;
        message = `${show(valueAt(data, path))} is not allowed; use one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}`;
        break;
      case 'type':
        onKey = false;
        if (e.schemaPath.startsWith('#/definitions/duration/')) {
          message = `${show(valueAt(data, path))} is not a duration: write a number with a unit, e.g. 500ms, 10s, 2m`;
          break;
        }
        message = `must be ${String((e.params as { type: string | string[] }).type).replace(/,/g, ' or ')}, got ${show(valueAt(data, path))}`;
        break;
      case 'const':
        onKey = false;
        message = `${show(valueAt(data, path))} is not allowed here`;
        break;
      case 'pattern':
        onKey = false;
        message =
          path[path.length - 1] === 'path'
            ? `must start with "/", got ${show(valueAt(data, path))}`
            : `${show(valueAt(data, path))} ${e.message ?? 'is invalid'}`;
        break;
      default:
        onKey = false;
        message = `${e.message ?? 'is invalid'}${path.length ? `, got ${show(valueAt(data, path))}` : ''}`;
    }
    const p: ConfigProblem = {
      path: formatPath(target),
      ...locate(doc, lines, target, onKey),
      message,
    };
    const key = `${p.path}|${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(p);
    }
  }
  // A `port` union failure leaves only a const/type error that we filtered as "in union"
  // when nothing deeper exists; make sure at least one problem is reported.
  if (!out.length && errors[0]) {
    const path = toSegments(errors[0].instancePath, data);
    out.push({
      path: formatPath(path),
      ...locate(doc, lines, path, false),
      message: `${show(valueAt(data, path))} is not valid here`,
    });
  }
  return out;
}

function toSegments(pointer: string, data: unknown): PathSegment[] {
  if (!pointer) return [];
  const segs: PathSegment[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: PathSegment = Array.isArray(node) ? Number(key) : key;
    segs.push(seg);
    node = (node as Record<string | number, unknown> | undefined)?.[seg];
  }
  return segs;
}

function valueAt(data: unknown, path: PathSegment[]): unknown {
  let node = data;
  for (const seg of path) node = (node as Record<string | number, unknown> | undefined)?.[seg];
  return node;
}

function show(value: unknown): string {
  const s = JSON.stringify(value);
  if (s === undefined) return String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function closest(word: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const option of options) {
    const d = editDistance(word.toLowerCase(), option.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = option;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

// ---- meaning: what the schema cannot say ----

type Report = (path: PathSegment[], message: string, onKey?: boolean) => void;

function ms(text: string | undefined, fallback: number, path: PathSegment[], at: Report, allowZero = false): number {
  if (text === undefined) return fallback;
  const value = parseDuration(text)!;
  if (!allowZero && value <= 0) at(path, `must be longer than 0, got "${text}"`, false);
  return value;
}

function strings(map: StringMap | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, String(v)]));
}

function build(raw: RawConfig, file: string, at: Report): Config {
  const dir = dirname(file);
  const service = buildService(raw.service, ['service'], dir, at);
  const baseline = raw.baseline ? { service: buildService(raw.baseline.service, ['baseline', 'service'], dir, at) } : undefined;
  const metrics = buildDefinitions(raw.service?.metrics?.define, at);
  if (baseline && metrics.length && !baseline.service.metrics)
    at(
      ['baseline', 'service'],
      'service.metrics defines metrics but baseline.service has no metrics endpoint: add baseline.service.metrics.url',
    );
  const custom: Record<string, MetricInfo> = Object.fromEntries(
    metrics.map((m) => [m.name, { unit: m.unit, scope: 'any', label: `service metric ${m.name}`, custom: true } satisfies MetricInfo]),
  );
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
    const headers = { ...strings(defaults.headers), ...strings(s.headers) };
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
      timeoutMs: ms(s.timeout ?? defaults.timeout, LOAD_DEFAULTS.timeoutMs, s.timeout ? [...path, 'timeout'] : ['load', 'timeout'], at),
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

  // Scope checks need every scenario known.
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

  let template: string | undefined;
  if (raw.report?.template) template = resolve(dir, raw.report.template);

  const h = raw.history ?? {};
  const r = raw.regression ?? {};
  if (r['min-runs'] !== undefined && r.window !== undefined && r['min-runs'] > r.window) {
    at(['regression', 'min-runs'], `min-runs (${r['min-runs']}) cannot exceed window (${r.window})`, false);
  }
  const delta = { ...REGRESSION_DEFAULTS.delta };
  for (const [k, v] of Object.entries(r.delta ?? {})) delta[k as BuiltinMetric] = k === 'memory.growth' ? parseSize(v)! : parsePercent(v)!;
  const ab = raw.ab ?? {};
  const minTrials = ab['min-trials'] ?? AB_DEFAULTS.minTrials;
  const maxTrials = ab['max-trials'] ?? Math.max(AB_DEFAULTS.maxTrials, minTrials);
  if (maxTrials < minTrials) at(['ab', 'max-trials'], `max-trials (${maxTrials}) cannot be below min-trials (${minTrials})`, false);
  const mode = raw.mode ?? 'auto';
  if (mode === 'ab' && !baseline) at(['mode'], 'mode: ab needs baseline.service (how to start the base build)', false);
  if (baseline && mode !== 'history') {
    const i = raw.scenarios.findIndex((s) => s.ramp);
    if (i >= 0)
      at(
        ['scenarios', i, 'ramp'],
        'stress ramps are not run in A/B mode (each side would need its own ramp); set mode: history to run this config with its ramp',
      );
  }
  if (raw.baseline?.service.metrics?.define)
    at(
      ['baseline', 'service', 'metrics', 'define'],
      'define metrics under service.metrics.define; the same definitions apply to the base build',
    );
  return {
    file,
    name: raw.name ?? 'perfgate',
    service,
    baseline,
    mode: mode === 'auto' ? (baseline ? 'ab' : 'history') : mode,
    ab: {
      minTrials,
      maxTrials,
      step: ab.step ?? AB_DEFAULTS.step,
      budgetMs: ms(ab.budget, AB_DEFAULTS.budgetMs, ['ab', 'budget'], at),
    },
    scenarios,
    targets,
    metrics,
    report: { template },
    history: {
      store: h.store ?? 'dir',
      path: resolve(dir, h.path ?? '.perfgate/history'),
      remote: h.remote ?? 'origin',
      branch: h.branch ?? 'perfgate-data',
      save: h.save ?? 'auto',
      keep: h.keep ?? 500,
    },
    regression: {
      window: r.window ?? REGRESSION_DEFAULTS.window,
      minRuns: r['min-runs'] ?? REGRESSION_DEFAULTS.minRuns,
      alpha: r.alpha ?? REGRESSION_DEFAULTS.alpha,
      delta,
      onMissingBaseline: r['on-missing-baseline'] ?? REGRESSION_DEFAULTS.onMissingBaseline,
    },
  };
}

/** The location stored on a target, turned back into segments. */
function parsePath(text: string): PathSegment[] {
  const segs: PathSegment[] = [];
  for (const m of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) segs.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return segs;
}

const VARIABLE = /\$\{([A-Za-z_]\w*)\}/g;

function buildSteps(
  rawSteps: RawRequest[],
  headers: Record<string, string>,
  stepPath: (j: number) => PathSegment[],
  at: Report,
): StepConfig[] {
  const captured = new Set<string>();
  const usedNames = new Set<string>();
  return rawSteps.map((r, j) => {
    const path = stepPath(j);
    const method = r.method ?? (r.body !== undefined || r.json !== undefined ? 'POST' : 'GET');
    if (r.body !== undefined && r.json !== undefined) at(path, 'give either "body" or "json", not both');
    const mentioned = [r.path, r.body ?? '', JSON.stringify(r.json ?? null), ...Object.values(strings(r.headers))].join('\n');
    for (const m of mentioned.matchAll(VARIABLE)) {
      if (!captured.has(m[1]!)) {
        at(
          path,
          `uses \${${m[1]}} but no earlier step captures "${m[1]}"${captured.size ? ` (captured so far: ${[...captured].join(', ')})` : ''}`,
        );
      }
    }
    for (const name of Object.keys(r.capture ?? {})) captured.add(name);
    let name = r.name ?? `${method} ${r.path}`;
    for (let n = 2; usedNames.has(name); n++) name = `${r.name ?? `${method} ${r.path}`} #${n}`;
    usedNames.add(name);
    const step: StepConfig = {
      name,
      method,
      path: r.path,
      headers: { ...headers, ...strings(r.headers) },
      capture: r.capture ?? {},
    };
    if (r.body !== undefined) step.body = r.body;
    if (r.json !== undefined) {
      step.json = r.json;
      if (!Object.keys(step.headers).some((h) => h.toLowerCase() === 'content-type')) step.headers['content-type'] = 'application/json';
    }
    return step;
  });
}

function buildTarget(
  t: RawTarget,
  path: PathSegment[],
  at: Report,
  scenario: string | undefined,
  custom: Record<string, MetricInfo>,
): TargetConfig | undefined {
  const obj = typeof t === 'string' ? { expr: t } : t;
  const exprPath = typeof t === 'string' ? path : [...path, 'expr'];
  const parsed = parseTarget(obj.expr, custom);
  if (!parsed.ok) {
    at(exprPath, parsed.message, false);
    return undefined;
  }
  if (scenario !== undefined && obj.scenario !== undefined && obj.scenario !== scenario) {
    at([...path, 'scenario'], `this target sits under scenario "${scenario}" but names scenario "${obj.scenario}"`, false);
  }
  return {
    name: obj.name ?? defaultTargetName(parsed.expr.info.label),
    expr: obj.expr.trim(),
    parsed: parsed.expr,
    scenario: scenario ?? obj.scenario,
    notes: obj.notes,
    path: formatPath(exprPath),
  };
}

const DEFINITION_UNITS = { number: 'number', percent: 'fraction', bytes: 'bytes', ms: 'ms', 'per-second': 'per-second' } as const;

function buildDefinitions(define: Record<string, RawDefinition> | undefined, at: Report): MetricDefinition[] {
  const out: MetricDefinition[] = [];
  for (const [name, raw] of Object.entries(define ?? {})) {
    const path: PathSegment[] = ['service', 'metrics', 'define', name];
    const obj = typeof raw === 'string' ? { expr: raw } : raw;
    if (Object.hasOwn(METRICS, name) || (VARIABLES as readonly string[]).includes(name) || /^p\d+$/.test(name)) {
      at(path, `"${name}" is a built-in name; choose another name for this metric`);
      continue;
    }
    const parsed = parseMetricExpr(obj.expr);
    if (!parsed.ok) {
      at(typeof raw === 'string' ? path : [...path, 'expr'], parsed.message, false);
      continue;
    }
    out.push({
      name,
      expr: obj.expr.trim(),
      parsed: parsed.expr,
      unit: DEFINITION_UNITS[obj.unit ?? 'number'],
      ...(obj.better ? { better: obj.better } : {}),
      delta: obj.delta !== undefined ? parsePercent(obj.delta)! : 0.05,
    });
  }
  return out;
}

function buildRamp(s: RawScenario, connections: number, durationMs: number, path: PathSegment[], at: Report): RampConfig {
  const r = s.ramp!;
  const by = r.by ?? 'connections';
  const factor = r.factor ?? RAMP_DEFAULTS.factor;
  const rp = [...path, 'ramp'];
  if (s.trials !== undefined)
    at([...path, 'trials'], "a ramp scenario runs steps, not trials: remove trials (ramp.step sets each step's duration)");
  if (by === 'connections' && s.rate !== undefined)
    at([...path, 'rate'], 'this ramp grows connections (closed model), so rate does not apply; use ramp.by: rate to grow the offered rate');
  if (by === 'connections' && s.connections !== undefined)
    at([...path, 'connections'], 'this ramp sets connections itself (ramp.start … ramp.max); remove connections');
  if (r.max < r.start) at([...rp, 'max'], `max (${r.max}) is below start (${r.start})`, false);
  const levels: number[] = [];
  for (let level = r.start; level <= r.max * (1 + 1e-9) && levels.length <= RAMP_DEFAULTS.maxSteps; level *= factor) {
    const rounded = by === 'connections' ? Math.round(level) : Math.round(level * 10) / 10;
    if (rounded !== levels[levels.length - 1]) levels.push(rounded);
  }
  if (levels.length > RAMP_DEFAULTS.maxSteps)
    at(
      rp,
      `start ${r.start} × ${factor} per step up to ${r.max} makes more than ${RAMP_DEFAULTS.maxSteps} steps; raise factor or lower max`,
    );
  if (by === 'rate' && r.start < connections)
    at(
      [...rp, 'start'],
      `a rate ramp starting at ${r.start}/s is below connections (${connections}): each connection sends at least 1 request/s`,
      false,
    );
  const stop = r.stop ?? {};
  return {
    by,
    start: r.start,
    factor,
    max: r.max,
    levels,
    stepMs: ms(r.step, durationMs, [...rp, 'step'], at),
    stop: {
      ...(stop.p95 ? { p95Ms: parseDuration(stop.p95)! } : {}),
      ...(stop.p99 ? { p99Ms: parseDuration(stop.p99)! } : {}),
      errorRate: stop.errors !== undefined ? parsePercent(stop.errors)! : RAMP_DEFAULTS.errorRate,
    },
  };
}

function defaultTargetName(label: string): string {
  return label.charAt(0).toUpperCase() + label.slice(1);
}

function buildService(s: RawService | undefined, where: PathSegment[], dir: string, at: Report): ServiceConfig {
  const name = formatPath(where);
  if (!s || (!s.command && !s.url)) {
    at(s ? where : where.slice(0, -1), `add ${name}.command (how to start the service) or ${name}.url (a service that is already running)`);
  }
  const svc = s ?? {};
  const external = !svc.command;
  let port = svc.port;
  if (!external && port === undefined && !svc.url) port = 'auto';
  if (external && port !== undefined) at([...where, 'port'], 'port only applies when perfgate starts the service (a command)');
  let url = svc.url ?? (port !== undefined ? 'http://127.0.0.1:{port}' : '');
  if (url.includes('{port}') && port === undefined) at([...where, 'url'], 'url uses {port} but service.port is not set', false);
  url = url.replace(/\/+$/, '');
  if (url) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url.replace('{port}', '1'));
    } catch {
      at([...where, 'url'], `"${svc.url}" is not a URL (e.g. http://127.0.0.1:3000)`, false);
    }
    if (parsed && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      at([...where, 'url'], `only http and https URLs can be loaded, got "${parsed.protocol}"`, false);
    } else if (parsed && !isLoopback(parsed.hostname) && !svc['allow-remote']) {
      at(
        [...where, 'url'],
        `"${parsed.hostname}" is not a loopback address; load goes to 127.0.0.1/::1/localhost unless service.allow-remote: true`,
        false,
      );
    }
  }

  const r = svc.ready ?? {};
  const timeoutMs = ms(r.timeout, SERVICE_DEFAULTS.readyTimeoutMs, [...where, 'ready', 'timeout'], at);
  const kinds = [r.http !== undefined, r.tcp !== undefined, r.log !== undefined].filter(Boolean).length;
  if (kinds > 1) at([...where, 'ready'], 'choose one of http, tcp or log');
  let ready: ServiceConfig['ready'];
  if (r.log !== undefined) {
    if (external) at([...where, 'ready', 'log'], 'log readiness needs service.command (an external target has no log)');
    let pattern = /$^/;
    try {
      pattern = new RegExp(r.log);
    } catch (err) {
      at([...where, 'ready', 'log'], `not a valid regular expression: ${(err as Error).message}`, false);
    }
    ready = { kind: 'log', pattern, timeoutMs };
  } else if (r.http !== undefined) {
    ready = { kind: 'http', url: r.http, timeoutMs };
  } else {
    ready = { kind: 'tcp', timeoutMs };
  }

  return {
    command: svc.command,
    cwd: resolve(dir, svc.cwd ?? '.'),
    env: strings(svc.env),
    port,
    url,
    ready,
    health: svc.health ?? (r.http !== undefined ? r.http : '/health'),
    stopTimeoutMs: ms(svc['stop-timeout'], SERVICE_DEFAULTS.stopTimeoutMs, [...where, 'stop-timeout'], at),
    allowRemote: svc['allow-remote'] ?? false,
    ...(svc.metrics
      ? { metrics: { url: svc.metrics.url, timeoutMs: ms(svc.metrics.timeout, 2000, [...where, 'metrics', 'timeout'], at) } }
      : {}),
  };
}

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Resolves a path-or-URL against the service URL. */
export function serviceUrl(base: string, pathOrUrl: string): string {
  return /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${base}${pathOrUrl.startsWith('/') ? '' : '/'}${pathOrUrl}`;
}
