// Expressions over a service's Prometheus metrics, evaluated per trial:
//   rate(cache_hits_total) / (rate(cache_hits_total) + rate(cache_misses_total))
//   delta(db_queries_total) / requests
//   process_resident_memory_bytes            (a gauge: its value at the end of the trial)
//   http_requests_total{route="GET /api/products", status!="500"}
// Bare counters read as their increase over the trial, gauges as their value after it.
// Label matchers (= and !=) select series; the matching series are summed. Built-in variables
// describe the trial itself: requests, ok, errors, seconds. Pure: text → AST, AST + readings →
// number or a note saying why not.

export type Fn = 'rate' | 'delta' | 'value' | 'auto';
export const VARIABLES = ['requests', 'ok', 'errors', 'seconds'] as const;
export type Variable = (typeof VARIABLES)[number];

export interface Matcher {
  label: string;
  op: '=' | '!=';
  value: string;
}

export type MetricExpr =
  | { k: 'num'; v: number }
  | { k: 'var'; name: Variable }
  | { k: 'series'; fn: Fn; name: string; matchers: Matcher[] }
  | { k: 'bin'; op: '+' | '-' | '*' | '/'; l: MetricExpr; r: MetricExpr }
  | { k: 'neg'; e: MetricExpr };

export type ParsedMetricExpr = { ok: true; expr: MetricExpr } | { ok: false; message: string };

type Token = { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'str'; v: string } | { t: 'op'; v: string } | { t: 'end' };

function tokenize(text: string): Token[] | string {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?/i.exec(text.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_:][\w:]*/.exec(text.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0] });
      i += id[0].length;
      continue;
    }
    if (c === '"') {
      let s = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        s += text[i];
        i++;
      }
      if (i >= text.length) return `unterminated string at column ${i + 1}`;
      i++;
      out.push({ t: 'str', v: s });
      continue;
    }
    if (text.startsWith('!=', i)) {
      out.push({ t: 'op', v: '!=' });
      i += 2;
      continue;
    }
    if ('+-*/(){},='.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
      continue;
    }
    return `unexpected "${c}" at column ${i + 1}`;
  }
  out.push({ t: 'end' });
  return out;
}

/** Parses an expression; the message says what is wrong and where. */
export function parseMetricExpr(text: string): ParsedMetricExpr {
  const tokens = tokenize(text);
  if (typeof tokens === 'string') return { ok: false, message: `cannot read "${text}": ${tokens}` };
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const isOp = (v: string): boolean => {
    const t = peek();
    return t.t === 'op' && t.v === v;
  };
  const expect = (v: string): void => {
    if (!isOp(v)) throw new Error(`expected "${v}" but found ${describe(peek())}`);
    pos++;
  };
  /** A left-associative chain of `next` joined by the operators of one precedence level. */
  const chain = (ops: readonly ('+' | '-' | '*' | '/')[], next: () => MetricExpr) => (): MetricExpr => {
    let l = next();
    for (let t = peek(); t.t === 'op' && (ops as readonly string[]).includes(t.v); t = peek()) {
      pos++;
      l = { k: 'bin', op: t.v as (typeof ops)[number], l, r: next() };
    }
    return l;
  };
  const term = chain(['*', '/'], () => unary());
  const expr = chain(['+', '-'], term);
  const unary = (): MetricExpr => {
    if (isOp('-')) {
      pos++;
      return { k: 'neg', e: unary() };
    }
    return primary();
  };
  const selector = (fn: Fn): MetricExpr => {
    const t = peek();
    if (t.t !== 'id') throw new Error(`expected a metric name but found ${describe(t)}`);
    pos++;
    const matchers: Matcher[] = [];
    if (isOp('{')) {
      pos++;
      while (!isOp('}')) {
        const label = peek();
        if (label.t !== 'id') throw new Error(`expected a label name but found ${describe(label)}`);
        pos++;
        const op = peek();
        if (op.t !== 'op' || (op.v !== '=' && op.v !== '!=')) throw new Error(`expected = or != after label "${label.v}"`);
        pos++;
        const value = peek();
        if (value.t !== 'str') throw new Error(`expected a quoted value for label "${label.v}"`);
        pos++;
        matchers.push({ label: label.v, op: op.v, value: value.v });
        if (isOp(',')) pos++;
        else if (!isOp('}')) throw new Error(`expected "," or "}" but found ${describe(peek())}`);
      }
      pos++;
    }
    return { k: 'series', fn, name: t.v, matchers };
  };
  const primary = (): MetricExpr => {
    const t = peek();
    if (t.t === 'num') {
      pos++;
      return { k: 'num', v: t.v };
    }
    if (isOp('(')) {
      pos++;
      const e = expr();
      expect(')');
      return e;
    }
    if (t.t === 'id') {
      const next = tokens[pos + 1]!;
      if (next.t === 'op' && next.v === '(') {
        if (t.v !== 'rate' && t.v !== 'delta' && t.v !== 'value') throw new Error(`unknown function "${t.v}" (known: rate, delta, value)`);
        pos += 2;
        const e = selector(t.v);
        expect(')');
        return e;
      }
      if ((VARIABLES as readonly string[]).includes(t.v) && !(next.t === 'op' && next.v === '{')) {
        pos++;
        return { k: 'var', name: t.v as Variable };
      }
      return selector('auto');
    }
    throw new Error(`expected a number, metric or "(" but found ${describe(t)}`);
  };
  try {
    const e = expr();
    if (peek().t !== 'end') throw new Error(`unexpected ${describe(peek())} after the expression`);
    return { ok: true, expr: e };
  } catch (err) {
    return { ok: false, message: `cannot read "${text}": ${(err as Error).message}` };
  }
}

function describe(t: Token): string {
  return t.t === 'end' ? 'the end' : `"${String(t.v)}"`;
}

/** Metric names an expression reads. */
export function seriesNames(e: MetricExpr): string[] {
  switch (e.k) {
    case 'series':
      return [e.name];
    case 'bin':
      return [...new Set([...seriesNames(e.l), ...seriesNames(e.r)])];
    case 'neg':
      return seriesNames(e.e);
    default:
      return [];
  }
}

// ---- evaluation ----

export type MetricType = 'counter' | 'gauge' | 'untyped';

/** One scrape, flattened: a histogram `h` becomes the counters h_bucket{le}, h_sum and h_count. */
export type Scrape = Map<string, { type: MetricType; series: { labels: Record<string, string>; value: number }[] }>;

/** What was scraped around one trial, and the trial's own figures. */
export interface TrialReading {
  seconds: number;
  requests: number;
  ok: number;
  errors: number;
  before: Scrape | null;
  after: Scrape | null;
  /** Why a scrape is missing, e.g. "GET /metrics answered 404". */
  problem?: string;
}

export type Evaluated = { value: number; note?: string } | { value: null; note: string };

const matches = (labels: Record<string, string>, ms: Matcher[]): boolean =>
  ms.every((m) => ((labels[m.label] ?? '') === m.value) === (m.op === '='));

const labelKey = (labels: Record<string, string>): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');

function selectorText(e: Extract<MetricExpr, { k: 'series' }>): string {
  const m = e.matchers.map((x) => `${x.label}${x.op}"${x.value}"`).join(',');
  return `${e.name}${m ? `{${m}}` : ''}`;
}

/**
 * Evaluates over one trial, or over several pooled: counter increases and seconds add up across
 * trials, gauges read from the last trial. A missing scrape, metric or series, or a division by
 * zero, gives null and a note; nothing throws.
 */
export function evaluateMetric(e: MetricExpr, readings: readonly TrialReading[]): Evaluated {
  if (!readings.length) return { value: null, note: 'no trial was measured' };
  const failed = readings.find((r) => !r.before || !r.after);
  if (failed) return { value: null, note: failed.problem ?? 'the metrics endpoint was not scraped' };
  const notes = new Set<string>();
  const sum = (f: (r: TrialReading) => number): number => readings.reduce((a, r) => a + f(r), 0);
  const ev = (x: MetricExpr): number => {
    switch (x.k) {
      case 'num':
        return x.v;
      case 'var':
        return sum((r) => r[x.name]);
      case 'neg':
        return -ev(x.e);
      case 'bin': {
        const l = ev(x.l);
        const r = ev(x.r);
        if (x.op === '/' && r === 0) throw new Missing(`division by zero: ${show(x.r)} was 0`);
        return x.op === '+' ? l + r : x.op === '-' ? l - r : x.op === '*' ? l * r : l / r;
      }
      case 'series': {
        const last = readings[readings.length - 1]!;
        const found = last.after!.get(x.name);
        if (!found) throw new Missing(`${x.name} is not among the service's metrics`);
        const fn = x.fn === 'auto' ? (found.type === 'counter' ? 'delta' : 'value') : x.fn;
        const pick = (s: Scrape): { labels: Record<string, string>; value: number }[] =>
          (s.get(x.name)?.series ?? []).filter((p) => matches(p.labels, x.matchers));
        if (!pick(last.after!).length) throw new Missing(`no series of ${selectorText(x)} in the service's metrics`);
        if (fn === 'value') return pick(last.after!).reduce((a, p) => a + p.value, 0);
        const increase = sum((r) => {
          const before = new Map(pick(r.before!).map((p) => [labelKey(p.labels), p.value]));
          return pick(r.after!).reduce((a, p) => {
            const b = before.get(labelKey(p.labels)) ?? 0;
            // A counter that went down was reset (the service restarted): Prometheus counts from zero.
            if (found.type === 'counter' && p.value < b) {
              notes.add(`${x.name} was reset during a trial`);
              return a + p.value;
            }
            return a + p.value - b;
          }, 0);
        });
        if (fn === 'delta') return increase;
        const seconds = sum((r) => r.seconds);
        if (seconds <= 0) throw new Missing('the trial lasted no time');
        return increase / seconds;
      }
    }
  };
  try {
    const value = ev(e);
    if (!Number.isFinite(value)) return { value: null, note: 'the expression did not give a finite number' };
    return notes.size ? { value, note: [...notes].join('; ') } : { value };
  } catch (err) {
    if (err instanceof Missing) return { value: null, note: err.message };
    throw err;
  }
}

class Missing extends Error {}

/** The expression written back, for notes. */
export function show(e: MetricExpr): string {
  switch (e.k) {
    case 'num':
      return String(e.v);
    case 'var':
      return e.name;
    case 'neg':
      return `-${show(e.e)}`;
    case 'bin':
      return `${e.l.k === 'bin' ? `(${show(e.l)})` : show(e.l)} ${e.op} ${e.r.k === 'bin' ? `(${show(e.r)})` : show(e.r)}`;
    case 'series':
      return e.fn === 'auto' ? selectorText(e) : `${e.fn}(${selectorText(e)})`;
  }
}
