// Building the parts of a Config: workflow steps, targets, defined metrics, stress ramps and the
// service block.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { METRICS, parseTarget, type MetricInfo } from './target-expr.js';
import { parseMetricExpr, VARIABLES } from './metric-expr.js';
import { formatPath, type PathSegment } from './yaml-locate.js';
import {
  type DependencyConfig,
  SERVICE_DEFAULTS,
  RAMP_DEFAULTS,
  type MetricDefinition,
  type RampConfig,
  type ServiceConfig,
  type StepConfig,
  type TargetConfig,
} from './types.js';
import { parseDuration, parsePercent } from './units.js';
import type { RawDefinition, RawDependency, RawRequest, RawScenario, RawService, RawTarget, StringMap } from './raw.js';
import { isLoopback } from './service-url.js';
import { encodePath, invalidHeaderValue, validHeaderName } from '../util/http-syntax.js';

export type Report = (path: PathSegment[], message: string, onKey?: boolean) => void;

export function ms(text: string | undefined, fallback: number, path: PathSegment[], at: Report, allowZero = false): number {
  if (text === undefined) return fallback;
  const value = parseDuration(text)!;
  if (!allowZero && value <= 0) at(path, `must be longer than 0, got "${text}"`, false);
  return value;
}

export function strings(map: StringMap | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k, String(v)]));
}

export function parsePath(text: string): PathSegment[] {
  const segs: PathSegment[] = [];
  for (const m of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) segs.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return segs;
}

const VARIABLE = /\$\{([A-Za-z_]\w*)\}/g;

/**
 * Header maps merged as HTTP does: names compared without case, the later (more specific) map's
 * value replacing the earlier one's, spelled as the later map spells it.
 */
export function mergeHeaders(...maps: Record<string, string>[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const map of maps) {
    for (const [name, value] of Object.entries(map)) {
      for (const k of Object.keys(out)) if (k.toLowerCase() === name.toLowerCase()) delete out[k];
      out[name] = value;
    }
  }
  return out;
}

/** Header names and values that cannot go on the wire, and paths that cannot be sent, refused where they are written. */
function checkWire(r: RawRequest, path: PathSegment[], at: Report): void {
  for (const [name, value] of Object.entries(strings(r.headers))) {
    if (!validHeaderName(name))
      at([...path, 'headers', name], `"${name}" is not a valid header name (letters, digits and !#$%&'*+.^_\`|~-)`, true);
    const bad = invalidHeaderValue(value);
    if (bad) at([...path, 'headers', name], `the value of header "${name}" contains ${bad}; it cannot be sent`, false);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(r.path))
    at([...path, 'path'], 'the path contains a control character (CR, LF, tab…); it cannot be sent', false);
  else {
    try {
      encodePath(r.path);
    } catch {
      at([...path, 'path'], 'the path is not valid Unicode (a lone surrogate); it cannot be sent', false);
    }
  }
}

export function buildSteps(
  rawSteps: RawRequest[],
  headers: Record<string, string>,
  stepPath: (j: number) => PathSegment[],
  at: Report,
): StepConfig[] {
  const captured = new Set<string>();
  const usedNames = new Set<string>();
  return rawSteps.map((r, j) => {
    const path = stepPath(j);
    checkWire(r, path, at);
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
      headers: mergeHeaders(headers, strings(r.headers)),
      capture: r.capture ?? {},
      ...(r.expect ? { expect: [...new Set(r.expect)] } : {}),
    };
    if (r.body !== undefined) step.body = r.body;
    if (r.json !== undefined) {
      step.json = r.json;
      if (!Object.keys(step.headers).some((h) => h.toLowerCase() === 'content-type')) step.headers['content-type'] = 'application/json';
    }
    return step;
  });
}

export function buildTarget(
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

export function buildDefinitions(define: Record<string, RawDefinition> | undefined, at: Report): MetricDefinition[] {
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

export function buildRamp(s: RawScenario, connections: number, durationMs: number, path: PathSegment[], at: Report): RampConfig {
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

export function defaultTargetName(label: string): string {
  return label.charAt(0).toUpperCase() + label.slice(1);
}

export function buildService(s: RawService | undefined, where: PathSegment[], dir: string, at: Report): ServiceConfig {
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
    ...buildTls(svc, url, where, dir, at),
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

/** service.tls: only for an https URL; the CA file read now, so a missing one is a located error. */
function buildTls(svc: RawService, url: string, where: PathSegment[], dir: string, at: Report): Pick<ServiceConfig, 'tls'> {
  const t = svc.tls;
  const https = url.startsWith('https:');
  if (t && !https && url) at([...where, 'tls'], `tls applies to an https:// url; ${formatPath([...where, 'url'])} is "${url}"`);
  if (!https) return {};
  let ca: string | undefined;
  let caFile: string | undefined;
  if (t?.ca) {
    caFile = resolve(dir, t.ca);
    try {
      ca = readFileSync(caFile, 'utf8');
      if (!ca.includes('-----BEGIN CERTIFICATE-----'))
        at([...where, 'tls', 'ca'], `${t.ca} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`, false);
    } catch (err) {
      at([...where, 'tls', 'ca'], `cannot read ${t.ca}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, false);
    }
  }
  return { tls: { insecure: t?.insecure ?? false, ...(ca !== undefined ? { ca, caFile } : {}) } };
}

/**
 * dependencies: each started like a service (command, port, readiness), with what it provides to
 * the service. A per-build dependency runs twice at once in A/B mode, so it needs port: auto.
 */
export function buildDependencies(raw: RawDependency[] | undefined, dir: string, at: Report): DependencyConfig[] {
  const seen = new Set<string>();
  return (raw ?? []).map((d, i) => {
    const where: PathSegment[] = ['dependencies', i];
    if (seen.has(d.name)) at([...where, 'name'], `another dependency is already named "${d.name}"`, false);
    seen.add(d.name);
    const perBuild = d['per-build'] ?? false;
    if (perBuild && typeof d.port === 'number')
      at(
        [...where, 'port'],
        'a per-build dependency runs once for each build at the same time: use port: auto (it gets its port as PORT)',
        false,
      );
    const provides = strings(d.provides);
    for (const [k, v] of Object.entries(provides))
      if (/\{(?!port\})[^}]*\}/.test(v)) at([...where, 'provides', k], `only {port} is replaced here, got "${v}"`, false);
    const service = buildService(
      { command: d.command, cwd: d.cwd, env: d.env, port: d.port, ready: d.ready, 'stop-timeout': d['stop-timeout'] },
      where,
      dir,
      at,
    );
    return {
      name: d.name,
      service: { ...service, stopRootFirst: true },
      ...(d.setup !== undefined ? { setup: d.setup } : {}),
      ...(d.stop !== undefined ? { stop: d.stop } : {}),
      provides,
      perBuild,
    };
  });
}
