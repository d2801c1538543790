// Targets → measured value, status and a note. A target that cannot be measured is
// `unmeasured` and fails the gate: nothing passes without a number beside it.
import type { TargetConfig } from '../config/types.js';
import { decodeHistogram, mergeHistograms, percentileMs } from '../load/histogram.js';
import type { RunResult, ScenarioResult, ServiceWindow, TargetResult } from '../result.js';
import { compare } from './expression.js';
import { formatValue } from './format.js';

/** Errors above this share mean a connection count was not "sustained". */
export const SUSTAINED_ERROR_LIMIT = 0.01;

type Measured = { value: number; note?: string; fail?: string } | { value: null; note: string };

export function evaluateTargets(targets: TargetConfig[], run: Pick<RunResult, 'scenarios' | 'service' | 'failure'>): TargetResult[] {
  return targets.map((t) => {
    const m = measure(t, run);
    const base = {
      name: t.name,
      expr: t.expr,
      scenario: t.scenario ?? null,
      metric: t.parsed.metric,
      op: t.parsed.op,
      threshold: t.parsed.threshold,
      unit: t.parsed.info.unit,
    };
    if (m.value === null)
      return {
        ...base,
        measured: null,
        status: 'unmeasured',
        note: joinNotes(m.note, t.notes),
      };
    const met = compare(m.value, t.parsed.op, t.parsed.threshold) && !m.fail;
    const note = met
      ? m.note
      : (m.fail ??
        `${formatValue(m.value, t.parsed.info.unit)} breaches ${t.parsed.op} ${formatValue(t.parsed.threshold, t.parsed.info.unit)}`);
    return {
      ...base,
      measured: m.value,
      status: met ? 'pass' : 'fail',
      note: joinNotes(note, t.notes),
    };
  });
}

function joinNotes(...notes: (string | undefined)[]): string {
  return notes.filter(Boolean).join('. ');
}

function measure(t: TargetConfig, run: Pick<RunResult, 'scenarios' | 'service' | 'failure'>): Measured {
  const metric = t.parsed.metric;
  let scenarios: ScenarioResult[];
  if (t.scenario !== undefined) {
    const s = run.scenarios.find((x) => x.name === t.scenario);
    if (!s || s.trials.length === 0) return { value: null, note: notRunNote(t.scenario, run) };
    scenarios = [s];
  } else {
    scenarios = run.scenarios.filter((s) => s.trials.length > 0);
    if (!scenarios.length) return { value: null, note: notRunNote(undefined, run) };
  }
  const partial = scenarios.find((s) => s.interrupted);
  const partialNote = partial ? `measured on a partial run (${partial.name}: ${partial.interrupted})` : undefined;
  const window: ServiceWindow = t.scenario !== undefined ? scenarios[0]!.service : run.service;
  const value = rawValue(metric, t.parsed.percentile, scenarios, window, run);
  if (value.value !== null && partialNote) return { ...value, note: joinNotes(value.note, partialNote) };
  return value;
}

function notRunNote(scenario: string | undefined, run: Pick<RunResult, 'failure'>): string {
  const what = scenario ? `scenario "${scenario}" produced no measurement` : 'no scenario produced a measurement';
  return run.failure ? `${what}: ${run.failure.message}` : what;
}

function rawValue(
  metric: string,
  percentile: number | undefined,
  scenarios: ScenarioResult[],
  window: ServiceWindow,
  run: Pick<RunResult, 'service'>,
): Measured {
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
