// Service metrics: the expression language, the Prometheus text parser (fed by the real
// prom-client), pooling over trials, and every way a value can be missing.
import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { evaluateMetric, type TrialReading } from '../../../src/analysis/metric-eval.js';
import { parseMetricExpr, seriesNames, show, type MetricExpr } from '../../../src/config/metric-expr.js';
import { parsePrometheusText, type Scrape } from '../../../src/service/scrape.js';

function parse(text: string): MetricExpr {
  const p = parseMetricExpr(text);
  if (!p.ok) throw new Error(p.message);
  return p.expr;
}

function scrape(text: string): Scrape {
  const s = parsePrometheusText(text);
  if (typeof s === 'string') throw new Error(s);
  return s;
}

const exposition = (hits: number, misses: number, queries: number, rss: number): string => `# HELP cache_hits_total Cache hits
# TYPE cache_hits_total counter
cache_hits_total{cache="catalog"} ${hits}
cache_hits_total{cache="other"} 1000
# TYPE cache_misses_total counter
cache_misses_total{cache="catalog"} ${misses}
# TYPE db_queries_total counter
db_queries_total{table="products"} ${queries}
db_queries_total{table="carts"} ${queries * 2}
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes ${rss}
`;

function trial(before: string, after: string, o: Partial<TrialReading> = {}): TrialReading {
  return { seconds: 2, requests: 1000, ok: 990, errors: 10, before: scrape(before), after: scrape(after), ...o };
}

describe('parseMetricExpr', () => {
  it('reads functions, selectors, variables and arithmetic with the usual precedence', () => {
    const e = parse(
      'rate(cache_hits_total{cache="catalog"}) / (rate(cache_hits_total{cache="catalog"}) + rate(cache_misses_total)) * 100 - 1',
    );
    expect(show(e)).toBe(
      '((rate(cache_hits_total{cache="catalog"}) / (rate(cache_hits_total{cache="catalog"}) + rate(cache_misses_total))) * 100) - 1',
    );
    expect(seriesNames(e)).toEqual(['cache_hits_total', 'cache_misses_total']);
    expect(parse('delta(db_queries_total) / requests')).toMatchObject({ k: 'bin', op: '/', r: { k: 'var', name: 'requests' } });
    expect(parse('-value(x{a!="b", c="d"})')).toEqual({
      k: 'neg',
      e: {
        k: 'series',
        fn: 'value',
        name: 'x',
        matchers: [
          { label: 'a', op: '!=', value: 'b' },
          { label: 'c', op: '=', value: 'd' },
        ],
      },
    });
    // A metric that happens to share a variable's name is still reachable with a selector.
    expect(parse('requests{}')).toEqual({ k: 'series', fn: 'auto', name: 'requests', matchers: [] });
  });

  it.each([
    ['rate(x', 'expected ")"'],
    ['sum(x)', 'unknown function "sum"'],
    ['x{a=b}', 'quoted value'],
    ['x +', 'expected a number'],
    ['x y', 'unexpected "y"'],
    ['x # y', 'unexpected "#"'],
    ['x{a="b}', 'unterminated string'],
  ])('%s is refused: %s', (text, message) => {
    const p = parseMetricExpr(text);
    expect(p.ok).toBe(false);
    expect(!p.ok && p.message).toContain(message);
  });
});

describe('evaluateMetric', () => {
  const r = trial(exposition(100, 10, 50, 1e8), exposition(1900, 110, 60, 1.5e8));

  it('counters read as increases, rate() per second, gauges as their value after the trial', () => {
    expect(
      evaluateMetric(
        parse('rate(cache_hits_total{cache="catalog"}) / (rate(cache_hits_total{cache="catalog"}) + rate(cache_misses_total))'),
        [r],
      ),
    ).toEqual({
      value: 1800 / 1900,
    });
    expect(evaluateMetric(parse('cache_hits_total{cache="catalog"}'), [r]).value).toBe(1800);
    expect(evaluateMetric(parse('rate(cache_misses_total)'), [r]).value).toBe(50);
    // Series matching a selector are summed: products +10, carts +20.
    expect(evaluateMetric(parse('delta(db_queries_total) / requests'), [r]).value).toBeCloseTo(30 / 1000, 12);
    expect(evaluateMetric(parse('db_queries_total{table!="carts"}'), [r]).value).toBe(10);
    expect(evaluateMetric(parse('process_resident_memory_bytes'), [r]).value).toBe(1.5e8);
    expect(evaluateMetric(parse('delta(process_resident_memory_bytes)'), [r]).value).toBe(5e7);
    expect(evaluateMetric(parse('errors / (ok + errors)'), [r]).value).toBe(0.01);
  });

  it('pools trials: increases and seconds add up before dividing, gauges come from the last trial', () => {
    const r2 = trial(exposition(1900, 110, 60, 1.5e8), exposition(2000, 1110, 60, 1.2e8), { seconds: 3 });
    const hitRate = parse('rate(cache_hits_total{cache="catalog"}) / (rate(cache_hits_total{cache="catalog"}) + rate(cache_misses_total))');
    // Trial 1: 1800 of 1900; trial 2: 100 of 1100. Pooled 1900 / 3000, not the mean of the two ratios.
    expect(evaluateMetric(hitRate, [r, r2]).value).toBeCloseTo(1900 / 3000, 12);
    expect(evaluateMetric(parse('rate(cache_misses_total)'), [r, r2]).value).toBe(1100 / 5);
    expect(evaluateMetric(parse('process_resident_memory_bytes'), [r, r2]).value).toBe(1.2e8);
    expect(evaluateMetric(parse('seconds'), [r, r2]).value).toBe(5);
  });

  it('a counter that went down was reset: its value after counts from zero, with a note', () => {
    const reset = trial(exposition(5000, 10, 50, 1), exposition(40, 10, 50, 1));
    expect(evaluateMetric(parse('cache_hits_total{cache="catalog"}'), [reset])).toEqual({
      value: 40,
      note: 'cache_hits_total was reset during a trial',
    });
  });

  it('a series that appears during the trial counts from zero', () => {
    const before = 'x_total{a="1"} 5\n';
    const after = 'x_total{a="1"} 7\nx_total{a="2"} 3\n';
    expect(evaluateMetric(parse('delta(x_total)'), [trial(before, after)]).value).toBe(2 + 3);
    // Without a TYPE line a metric is untyped: bare, it reads as its value after the trial.
    expect(evaluateMetric(parse('x_total'), [trial(before, after)]).value).toBe(7 + 3);
  });

  it.each([
    ['nope_total', "nope_total is not among the service's metrics"],
    ['cache_hits_total{cache="gone"}', 'no series of cache_hits_total{cache="gone"} in the service\'s metrics'],
    ['cache_hits_total / (cache_misses_total - cache_misses_total)', 'division by zero: cache_misses_total - cache_misses_total was 0'],
  ])('%s gives null with a note, never a throw', (text, note) => {
    expect(evaluateMetric(parse(text), [r])).toEqual({ value: null, note });
  });

  it('a failed scrape gives null with its reason; no trial gives null', () => {
    const failed: TrialReading = { ...r, after: null, problem: 'GET http://127.0.0.1:1/metrics answered 404' };
    expect(evaluateMetric(parse('cache_hits_total'), [r, failed])).toEqual({
      value: null,
      note: 'GET http://127.0.0.1:1/metrics answered 404',
    });
    expect(evaluateMetric(parse('cache_hits_total'), [])).toEqual({ value: null, note: 'no trial was measured' });
  });
});

describe('parsePrometheusText', () => {
  it('reads what prom-client exposes: counters, gauges, and histograms flattened to _bucket/_sum/_count', async () => {
    const registry = new client.Registry();
    const hits = new client.Counter({ name: 'cache_hits_total', help: 'h', labelNames: ['cache'], registers: [registry] });
    const gauge = new client.Gauge({ name: 'queue_depth', help: 'q', registers: [registry] });
    const hist = new client.Histogram({ name: 'req_seconds', help: 'r', buckets: [0.1, 1], registers: [registry] });
    const summary = new client.Summary({ name: 'lat_seconds', help: 's', percentiles: [0.5], registers: [registry] });
    hits.inc({ cache: 'catalog' }, 7);
    gauge.set(3);
    hist.observe(0.05);
    hist.observe(0.5);
    summary.observe(2);
    const s = scrape(await registry.metrics());
    expect(s.get('cache_hits_total')).toEqual({ type: 'counter', series: [{ labels: { cache: 'catalog' }, value: 7 }] });
    expect(s.get('queue_depth')).toEqual({ type: 'gauge', series: [{ labels: {}, value: 3 }] });
    const buckets = s.get('req_seconds_bucket')!.series;
    expect(buckets).toHaveLength(3);
    expect(buckets).toEqual(
      expect.arrayContaining([
        { labels: { le: '0.1' }, value: 1 },
        { labels: { le: '1' }, value: 2 },
        { labels: { le: '+Inf' }, value: 2 },
      ]),
    );
    expect(s.get('req_seconds_count')).toEqual({ type: 'counter', series: [{ labels: {}, value: 2 }] });
    expect(s.get('req_seconds_sum')!.series[0]!.value).toBeCloseTo(0.55, 12);
    expect(s.get('lat_seconds')).toEqual({ type: 'gauge', series: [{ labels: { quantile: '0.5' }, value: 2 }] });
    expect(s.get('lat_seconds_count')!.series[0]!.value).toBe(1);
  });

  it('garbage is a message, not a crash', () => {
    expect(parsePrometheusText('<html><body>Not the metrics</body></html>')).toBe(
      'no Prometheus samples in the response (is this the metrics endpoint?)',
    );
    expect(parsePrometheusText('[{"id":"prod_1"}]')).toBe('no Prometheus samples in the response (is this the metrics endpoint?)');
    expect(parsePrometheusText('x{a="1" 2')).toMatch(/^not Prometheus text exposition \(/);
    expect(parsePrometheusText('')).toMatch(/no Prometheus samples/);
  });
});
