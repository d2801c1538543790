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

/** The expression written back, for notes. */
/** `name{label="v"}` as written. */
export function selectorText(e: Extract<MetricExpr, { k: 'series' }>): string {
  const m = e.matchers.map((x) => `${x.label}${x.op}"${x.value}"`).join(',');
  return `${e.name}${m ? `{${m}}` : ''}`;
}

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
