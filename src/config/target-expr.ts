// k6-style target expressions: `p(95) < 200ms`, `rate(errors) < 1%`, `memory.peak < 2GB`.
// Pure: text in, a typed expression (or a message saying what is wrong) out.
import { parseDuration, parsePercent, parseSize } from './units.js';

export type Unit = 'ms' | 'fraction' | 'bytes' | 'bytes-per-minute' | 'bytes-per-request' | 'cpu' | 'count' | 'number' | 'per-second';
export type Op = '<' | '<=' | '>' | '>=';

export interface MetricInfo {
  unit: Unit;
  /** `scenario`: needs a scenario (per-scenario block or `scenario:`); `any`: also over the whole run. */
  scope: 'scenario' | 'any';
  label: string;
  /** Only measurable for workflow scenarios. */
  workflowOnly?: boolean;
  /** Only measurable for ramp scenarios. */
  rampOnly?: boolean;
  /** A metric defined under service.metrics.define (read from the service's Prometheus endpoint). */
  custom?: boolean;
}

export const METRICS: Record<string, MetricInfo> = {
  avg: { unit: 'ms', scope: 'any', label: 'mean latency' },
  min: { unit: 'ms', scope: 'any', label: 'min latency' },
  med: { unit: 'ms', scope: 'any', label: 'median latency' },
  max: { unit: 'ms', scope: 'any', label: 'max latency' },
  rps: { unit: 'per-second', scope: 'scenario', label: 'throughput' },
  workflows_per_s: {
    unit: 'per-second',
    scope: 'scenario',
    label: 'completed workflows',
    workflowOnly: true,
  },
  connections: {
    unit: 'count',
    scope: 'any',
    label: 'concurrent connections sustained',
  },
  errors: { unit: 'count', scope: 'any', label: 'errors' },
  'rate(errors)': { unit: 'fraction', scope: 'any', label: 'error rate' },
  uptime: { unit: 'fraction', scope: 'any', label: 'uptime during load' },
  'memory.peak': {
    unit: 'bytes',
    scope: 'any',
    label: 'service memory (peak RSS)',
  },
  'memory.mean': {
    unit: 'bytes',
    scope: 'any',
    label: 'service memory (mean RSS)',
  },
  'cpu.mean': {
    unit: 'cpu',
    scope: 'any',
    label: 'service CPU (mean, % of one core)',
  },
  'cpu.peak': {
    unit: 'cpu',
    scope: 'any',
    label: 'service CPU (peak, % of one core)',
  },
  'memory.growth': {
    unit: 'bytes-per-minute',
    scope: 'any',
    label: 'service memory growth (RSS slope)',
  },
  cpu_per_request: {
    unit: 'ms',
    scope: 'scenario',
    label: 'service CPU time per request',
  },
  capacity: {
    unit: 'per-second',
    scope: 'scenario',
    label: 'capacity (req/s at the highest step that met the conditions)',
    rampOnly: true,
  },
};

export interface TargetExpr {
  /** Canonical metric key: a key of METRICS, or `p(N)`. */
  metric: string;
  /** For `p(N)`: N in (0, 100]. */
  percentile?: number;
  op: Op;
  /** Threshold in the metric's unit: ms, fraction (0.01 = 1 %), bytes, % of one core, count, per second. */
  threshold: number;
  info: MetricInfo;
}

export type ParseResult = { ok: true; expr: TargetExpr } | { ok: false; message: string };

const PERCENTILE = /^p\(\s*(\d+(?:\.\d+)?)\s*\)$/;
const ALIASES: Record<string, string> = {
  p50: 'p(50)',
  p90: 'p(90)',
  p95: 'p(95)',
  p99: 'p(99)',
  'rate(error)': 'rate(errors)',
  error_rate: 'rate(errors)',
  'memory.max': 'memory.peak',
  'cpu.max': 'cpu.peak',
  'cpu.avg': 'cpu.mean',
  'memory.avg': 'memory.mean',
  workflows: 'workflows_per_s',
  'memory.slope': 'memory.growth',
};

export function metricInfo(metric: string, custom: Readonly<Record<string, MetricInfo>> = {}): MetricInfo | undefined {
  if (PERCENTILE.test(metric)) return { unit: 'ms', scope: 'any', label: `${metric} latency` };
  return METRICS[metric] ?? (Object.hasOwn(custom, metric) ? custom[metric] : undefined);
}

/** Parses a target; `custom` holds the metrics defined under service.metrics.define. */
export function parseTarget(text: string, custom: Readonly<Record<string, MetricInfo>> = {}): ParseResult {
  const m = /^\s*([A-Za-z_][\w.]*(?:\(\s*[\w.]+\s*\))?)\s*(<=|>=|<|>)\s*(.+?)\s*$/.exec(text);
  if (!m) {
    return {
      ok: false,
      message: `cannot read target "${text}": write it as METRIC OP VALUE, e.g. "p(95) < 200ms"`,
    };
  }
  let metric = m[1]!.replace(/\s+/g, '');
  metric = ALIASES[metric] ?? metric;
  const op = m[2] as Op;
  const info = metricInfo(metric, custom);
  if (!info) {
    const defined = Object.keys(custom);
    return {
      ok: false,
      message: `unknown metric "${m[1]}" in "${text}"; known: p(N), ${Object.keys(METRICS).join(', ')}${defined.length ? `; defined under service.metrics.define: ${defined.join(', ')}` : '; a metric of the service needs a name under service.metrics.define'}`,
    };
  }
  let percentile: number | undefined;
  const pm = PERCENTILE.exec(metric);
  if (pm) {
    percentile = Number(pm[1]);
    if (!(percentile > 0 && percentile <= 100)) {
      return {
        ok: false,
        message: `percentile in "${text}" must be between 0 and 100`,
      };
    }
    metric = `p(${percentile})`;
  }
  const threshold = parseValue(info.unit, m[3]!);
  if (typeof threshold === 'string') return { ok: false, message: `${threshold} in "${text}"` };
  return { ok: true, expr: { metric, percentile, op, threshold, info } };
}

const NUMBER = /^\d+(?:\.\d+)?$/;

/** A threshold in the metric's unit, or a message. */
function parseValue(unit: Unit, raw: string): number | string {
  const text = raw.trim();
  switch (unit) {
    case 'ms': {
      if (NUMBER.test(text)) return Number(text); // k6: a bare number is milliseconds
      return parseDuration(text) ?? `"${text}" is not a duration (e.g. 200ms, 1.5s, 800us)`;
    }
    case 'fraction': {
      const pct = parsePercent(text);
      if (pct !== undefined) return pct;
      if (NUMBER.test(text) && Number(text) <= 1) return Number(text);
      return `"${text}" is not a rate: write a percent (1%, 99.9%) or a fraction (0.01)`;
    }
    case 'bytes':
    case 'bytes-per-request': {
      return parseSize(text) ?? `"${text}" is not a size (e.g. 512MB, 2GB)`;
    }
    case 'bytes-per-minute': {
      const m = /^(.*?)\s*\/\s*(min|m|minute|s|sec|second)$/.exec(text);
      const size = parseSize(m ? m[1]! : text);
      if (size === undefined) return `"${text}" is not a growth rate (e.g. 10MB/min)`;
      return m && m[2]!.startsWith('s') ? size * 60 : size;
    }
    case 'number': {
      const pct = parsePercent(text);
      if (pct !== undefined) return pct;
      if (/^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(text)) return Number(text);
      return `"${text}" is not a number`;
    }
    case 'cpu': {
      const pct = parsePercent(text);
      if (pct !== undefined) return pct * 100;
      if (NUMBER.test(text)) return Number(text);
      return `"${text}" is not a CPU share: write percent of one core (70%, 150% for 1.5 cores)`;
    }
    case 'count':
    case 'per-second': {
      const stripped = unit === 'per-second' ? text.replace(/\s*\/\s*s$/, '') : text;
      if (NUMBER.test(stripped)) return Number(stripped);
      return `"${text}" is not a number${unit === 'per-second' ? ' per second (e.g. 100 or 100/s)' : ''}`;
    }
  }
}

export function compare(value: number, op: Op, threshold: number): boolean {
  switch (op) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
  }
}
