// Targets → measured value, status and a note. A target that cannot be measured is
// `unmeasured` and fails the gate: nothing passes without a number beside it.
import type { TargetConfig } from '../config/types.js';
import { decodeHistogram, mergeHistograms, percentileMs } from '../load/histogram.js';
import { requestsForPercentile, type Unjudgeable } from './judgeable.js';
import type { ImportSource, RunResult, ScenarioResult, ServiceWindow, TargetResult } from '../contract/result.js';
import { compare, type Unit } from '../config/target-expr.js';
import { formatValue } from './format.js';

/** Errors above this share mean a connection count was not "sustained". */
export const SUSTAINED_ERROR_LIMIT = 0.01;

/**
 * `fail`: breached whatever the value says; `excuse`: met although the value crosses the
 * threshold, for this reason (a growth slope that cannot be told apart from zero).
 */
type Measured =
  | { value: number; note?: string; fail?: string; excuse?: string; interval?: { lower: number; upper: number; level: number } }
  | { value: null; note: string };

export function evaluateTargets(
  targets: TargetConfig[],
  run: Pick<RunResult, 'scenarios' | 'service' | 'failure' | 'metrics' | 'source'>,
  /** What the effective config cannot judge (analysis/judgeable.ts): not judged, whatever was measured. */
  unjudgeable: readonly Unjudgeable[] = [],
): TargetResult[] {
  return targets.map((t) => {
    const m = measure(t, run);
    const why = unjudgeable.find((u) => u.target === t) ?? tooFewRequests(t, run);
    const base = {
      name: t.name,
      expr: t.expr,
      scenario: t.scenario ?? null,
      metric: t.parsed.metric,
      op: t.parsed.op,
      threshold: t.parsed.threshold,
      unit: t.parsed.info.unit,
    };
    if (why && !run.failure)
      return {
        ...base,
        measured: m.value,
        status: 'unjudged',
        note: joinNotes(`not judged: ${why.reason}`, t.notes),
        fix: why.fix,
      };
    if (m.value === null)
      return {
        ...base,
        measured: null,
        status: 'unmeasured',
        note: joinNotes(m.note, t.notes),
      };
    const crosses = !compare(m.value, t.parsed.op, t.parsed.threshold);
    const met = (!crosses || m.excuse !== undefined) && !m.fail;
    const note = met
      ? crosses
        ? m.excuse
        : m.note
      : (m.fail ??
        `${formatValue(m.value, t.parsed.info.unit)} breaches ${t.parsed.op} ${formatValue(t.parsed.threshold, t.parsed.info.unit)}`);
    return {
      ...base,
      measured: m.value,
      status: met ? 'pass' : 'fail',
      note: joinNotes(note, t.notes),
      ...(m.interval ? { interval: { ...m.interval, notProven: met && crosses } } : {}),
    };
  });
}

/**
 * A percentile over fewer requests than it needs (closed-model scenarios, whose count is known
 * only afterwards): not judged. Imported runs and custom metrics are left as they are.
 */
function tooFewRequests(t: TargetConfig, run: Pick<RunResult, 'scenarios' | 'source'>): Omit<Unjudgeable, 'target'> | undefined {
  const q = t.parsed.percentile;
  if (q === undefined || run.source || t.parsed.info.custom) return undefined;
  const scenarios = run.scenarios.filter((s) => (t.scenario !== undefined ? s.name === t.scenario : !s.ramp) && s.trials.length > 0);
  if (!scenarios.length) return undefined;
  const requests = scenarios.reduce((a, s) => a + s.summary.requests, 0);
  const need = requestsForPercentile(q);
  if (requests >= need) return undefined;
  return {
    reason: `${requests} requests; ${t.parsed.metric} needs at least ${need} to be more than its few largest values`,
    fix: `more trials or a longer duration: ${need} requests or more`,
  };
}

function joinNotes(...notes: (string | undefined)[]): string {
  return notes.filter(Boolean).join('. ');
}

function measure(t: TargetConfig, run: Pick<RunResult, 'scenarios' | 'service' | 'failure' | 'metrics' | 'source'>): Measured {
  const metric = t.parsed.metric;
  let scenarios: ScenarioResult[];
  if (t.scenario !== undefined) {
    const s = run.scenarios.find((x) => x.name === t.scenario);
    if (s?.ramp && metric === 'capacity') return capacity(s);
    if (!s || s.trials.length === 0) return { value: null, note: notRunNote(t.scenario, run) };
    scenarios = [s];
  } else {
    // Run-wide targets leave stress ramps out: a ramp overloads the service on purpose.
    scenarios = run.scenarios.filter((s) => s.trials.length > 0 && !s.ramp);
    if (!scenarios.length)
      return {
        value: null,
        note: run.scenarios.some((s) => s.ramp) ? 'only stress ramps ran, and run-wide targets leave them out' : notRunNote(undefined, run),
      };
  }
  if (run.source) return importedValue(t, scenarios, run.source);
  if (t.parsed.info.custom) {
    const values = t.scenario !== undefined ? scenarios[0]!.metrics : run.metrics?.values;
    const v = values?.[metric];
    if (!v) return { value: null, note: run.metrics ? `${metric} was not evaluated` : 'the service metrics endpoint was not scraped' };
    if (v.value === null) return { value: null, note: v.note ?? 'not measurable' };
    return v.note ? { value: v.value, note: v.note } : { value: v.value };
  }
  const partial = scenarios.find((s) => s.interrupted);
  const partialNote = partial ? `measured on a partial run (${partial.name}: ${partial.interrupted})` : undefined;
  const window: ServiceWindow = t.scenario !== undefined ? scenarios[0]!.service : run.service;
  const value = rawValue(t, scenarios, window, run);
  if (value.value !== null && partialNote) return { ...value, note: joinNotes(value.note, partialNote) };
  return value;
}

/** A target on a run imported from another tool: only what its output holds, the rest ❓ with the reason. */
function importedValue(t: TargetConfig, scenarios: ScenarioResult[], source: ImportSource): Measured {
  const s = scenarios[0]!;
  const l = s.summary.latency;
  const missing = (what: string): Measured => ({ value: null, note: `${source.tool}'s output does not hold ${what}` });
  const latency = (v: number | null, what: string): Measured =>
    v === null
      ? missing(what)
      : { value: v, note: `${source.tool}'s own figure${source.tool === 'autocannon' ? ' (whole milliseconds)' : ''}` };
  const metric = t.parsed.metric;
  switch (metric) {
    case 'avg':
      return latency(l.mean, 'the mean latency');
    case 'min':
      return latency(l.min, 'the min latency');
    case 'max':
      return latency(l.max, 'the max latency');
    case 'med':
      return latency(l.p50, 'the median latency');
    case 'rps':
      return { value: round(s.summary.rps) };
    case 'errors':
      return { value: s.summary.errors.total };
    case 'rate(errors)':
      return { value: s.summary.errors.rate };
  }
  const p = t.parsed.percentile;
  if (p === undefined) return missing(t.parsed.info.label);
  const field = ({ 50: 'p50', 90: 'p90', 95: 'p95', 99: 'p99' } as const)[p as 50 | 90 | 95 | 99];
  if (!field) return missing(`p(${p}) (perfgate reads p50, p90, p95 and p99 from it)`);
  return latency(l[field], source.tool === 'k6' ? `p(${p}): add it to the test's summaryTrendStats` : `p(${p})`);
}

function capacity(s: ScenarioResult): Measured {
  const ramp = s.ramp!;
  const cap = ramp.capacity;
  if (!cap) {
    const first = ramp.steps[0];
    if (!first) return { value: null, note: `the ramp measured no step: ${ramp.stoppedBecause}` };
    return { value: 0, fail: `no step met the conditions: ${first.broke ?? ramp.stoppedBecause}` };
  }
  return {
    value: cap.rps,
    note: `${cap.level} ${ramp.by === 'connections' ? 'connections' : 'req/s offered'}, p95 ${formatValue(cap.p95, 'ms')}; ${ramp.stoppedBecause}`,
  };
}

function notRunNote(scenario: string | undefined, run: Pick<RunResult, 'failure'>): string {
  const what = scenario ? `scenario "${scenario}" produced no measurement` : 'no scenario produced a measurement';
  return run.failure ? `${what}: ${run.failure.message}` : what;
}

function rawValue(t: TargetConfig, scenarios: ScenarioResult[], window: ServiceWindow, run: Pick<RunResult, 'service'>): Measured {
  const { metric, percentile } = t.parsed;
  const sum = (f: (s: ScenarioResult) => number): number => scenarios.reduce((a, s) => a + f(s), 0);
  const latency = (): ReturnType<typeof mergeHistograms> => mergeHistograms(scenarios.map((s) => decodeHistogram(s.summary.histogram)));
  const noLatency = (): Measured => ({
    value: null,
    note: 'no successful response, so no latency to measure',
  });
  const external = run.service.mode === 'external';
  switch (metric) {
    case 'avg':
    case 'min':
    case 'med':
    case 'max': {
      const h = latency();
      if (h.totalCount === 0) return noLatency();
      const us =
        metric === 'avg'
          ? h.mean
          : metric === 'min'
            ? h.minNonZeroValue
            : metric === 'max'
              ? h.getValueAtPercentile(100)
              : h.getValueAtPercentile(50);
      return { value: Math.round(us) / 1000 };
    }
    case 'rps':
      return { value: round(sum((s) => s.summary.rps)) };
    case 'workflows_per_s': {
      const w = scenarios.filter((s) => s.summary.workflows);
      if (!w.length) return { value: null, note: 'no workflow scenario ran' };
      return {
        value: round(w.reduce((a, s) => a + s.summary.workflows!.perSecond, 0)),
      };
    }
    case 'errors':
      return { value: sum((s) => s.summary.errors.total) };
    case 'cpu_per_request': {
      const measured = scenarios.filter((s) => s.summary.serviceCpu);
      if (!measured.length)
        return {
          value: null,
          note: external
            ? 'an external service: perfgate cannot read its CPU time'
            : 'the service CPU time could not be read (it needs Linux /proc)',
        };
      const responses = measured.reduce((a, s) => a + s.summary.requests, 0);
      if (!responses) return { value: null, note: 'no response, so no CPU time per request' };
      return { value: Math.round(measured.reduce((a, s) => a + s.summary.serviceCpu!.ns, 0) / responses) / 1e6 };
    }
    case 'rate(errors)': {
      const attempts = sum((s) => s.summary.requests + s.summary.errors.timeouts + s.summary.errors.connection);
      if (attempts === 0) return { value: null, note: 'no request completed' };
      return { value: sum((s) => s.summary.errors.total) / attempts };
    }
    case 'connections': {
      const best = scenarios.reduce((a, s) => (s.summary.connectionsServed > a.summary.connectionsServed ? s : a));
      const sustained = scenarios.filter((s) => s.summary.errors.rate < SUSTAINED_ERROR_LIMIT);
      const top = sustained.length
        ? sustained.reduce((a, s) => (s.summary.connectionsServed > a.summary.connectionsServed ? s : a))
        : undefined;
      if (!top) {
        return {
          value: best.summary.connectionsServed,
          fail: `${best.summary.connectionsServed} connections served but errors were ${formatValue(best.summary.errors.rate, 'fraction')} (≥ ${SUSTAINED_ERROR_LIMIT * 100} %): not sustained`,
        };
      }
      return {
        value: top.summary.connectionsServed,
        note: `${top.summary.connectionsServed} of ${top.settings.connections} connections got answers in every trial of "${top.name}", errors ${formatValue(top.summary.errors.rate, 'fraction')}`,
      };
    }
    case 'uptime':
      if (!window.uptime)
        return {
          value: null,
          note: 'no health probe was answered or sent during load',
        };
      return {
        value: window.uptime.ratio,
        note: `${window.uptime.up} of ${window.uptime.probes} health probes answered 2xx`,
      };
    case 'memory.peak':
    case 'memory.mean':
      if (!window.memory)
        return {
          value: null,
          note: external ? 'external target: perfgate cannot see its processes' : 'no memory sample was taken',
        };
      return {
        value: metric === 'memory.peak' ? window.memory.peak : window.memory.mean,
      };
    case 'memory.growth': {
      const g = window.memory?.growth;
      if (!g)
        return {
          value: null,
          note: external
            ? 'external target: perfgate cannot see its processes'
            : 'too few memory samples during load to fit a line (runs shorter than about 2 s)',
        };
      // An upper limit on growth fails only when the growth is proven above it (the interval's
      // lower end beyond the limit): a short run's slope wobbles with heap sizing, and a wobble
      // must not fail a gate. A leak well past the limit is still caught.
      const proven = t.parsed.op === '<' ? g.ci[0] >= t.parsed.threshold : t.parsed.op === '<=' ? g.ci[0] > t.parsed.threshold : true;
      return {
        value: g.slope,
        note: g.sentence,
        interval: { lower: g.ci[0], upper: g.ci[1], level: 0.95 },
        ...(proven
          ? {}
          : {
              excuse: `${g.sentence} Not proven above ${formatValue(t.parsed.threshold, 'bytes-per-minute')}, so not held against the target`,
            }),
      };
    }
    case 'cpu.mean':
    case 'cpu.peak':
      if (!window.cpu)
        return {
          value: null,
          note: external ? 'external target: perfgate cannot see its processes' : 'no CPU sample was taken',
        };
      return {
        value: metric === 'cpu.mean' ? window.cpu.mean : window.cpu.peak,
        note: `${window.cpu.samples} samples, whole process tree`,
      };
    default: {
      if (percentile === undefined) return { value: null, note: `unknown metric ${metric}` };
      const h = latency();
      if (h.totalCount === 0) return noLatency();
      return { value: percentileMs(h, percentile) };
    }
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * A target's measured value as people read it: the value, and where the status rests on an
 * interval, the interval, and "not proven above" when the value is past the limit but met.
 * `15.07 MB/min (95 % CI 2.1–28.0 MB/min; not proven above 10 MB/min)`.
 */
export function measuredText(t: Pick<TargetResult, 'measured' | 'unit' | 'interval' | 'threshold' | 'op'>): string {
  if (t.measured === null) return 'not measured';
  const unit = t.unit as Unit;
  const value = formatValue(t.measured, unit);
  const i = t.interval;
  if (!i) return value;
  const ci = `${Math.round(i.level * 100)} % CI ${formatValue(i.lower, unit)} to ${formatValue(i.upper, unit)}`;
  const side = t.op === '<' || t.op === '<=' ? 'above' : 'below';
  return `${value} (${ci}${i.notProven ? `; not proven ${side} ${formatValue(t.threshold, unit)}` : ''})`;
}
