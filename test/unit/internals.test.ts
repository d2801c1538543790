// Memory growth (the slope and its interval), stress-ramp stop conditions, and the config that
// sets them up.
import { describe, expect, it } from 'vitest';
import { memoryGrowth } from '../../src/analysis/growth.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { brokenCondition } from '../../src/load/ramp.js';
import { createRng } from '../../src/stats/rng.js';
import { withinSlope } from '../../src/stats/linear.js';

const MB = 1024 ** 2;

describe('withinSlope', () => {
  it('matches least squares with one intercept per group (numpy lstsq, test/reference/scipy_reference.py)', () => {
    // within slope = 1.4457142857142888, 95% CI = (1.3531989064750718, 1.5382296649535059)
    const y0 = [2.3, 3.3, 5.25, 6.2, 8.1, 9.35];
    const y1 = [115.15, 116.4, 118.3, 119.25, 121.2, 122.2];
    const points = [...y0.map((y, i) => ({ x: i, y, group: 0 })), ...y1.map((y, i) => ({ x: 10 + i, y, group: 1 }))];
    const fit = withinSlope(points)!;
    expect(fit.slope).toBeCloseTo(1.4457142857142888, 12);
    // These residuals alternate in sign (negative autocorrelation): no correction, the plain OLS interval.
    expect(fit.rho).toBe(0);
    expect(fit.ci[0]).toBeCloseTo(1.3531989064750718, 10);
    expect(fit.ci[1]).toBeCloseTo(1.5382296649535059, 10);
    expect(fit.groups).toBe(2);
  });

  it('a level shift between groups is not a slope', () => {
    const points = [0, 1, 2, 3, 4].flatMap((x) => [
      { x, y: 10 + (x % 2) * 0.1, group: 0 },
      { x: x + 5, y: 500 + (x % 2) * 0.1, group: 1 },
    ]);
    expect(withinSlope(points)!.slope).toBeCloseTo(0, 1);
  });

  it('autocorrelated residuals widen the interval', () => {
    // A slow wave on top of a line: neighbouring residuals agree.
    const points = Array.from({ length: 60 }, (_, i) => ({ x: i, y: 0.5 * i + 5 * Math.sin(i / 6), group: 0 }));
    const fit = withinSlope(points)!;
    expect(fit.rho).toBeGreaterThan(0.8);
    expect(fit.nEff).toBeLessThan(10);
    const half = (fit.ci[1] - fit.ci[0]) / 2;
    const shuffled = withinSlope(points.map((p, i) => ({ ...p, y: 0.5 * p.x + 5 * Math.sin(((i * 37) % 60) / 6) })))!;
    expect(half).toBeGreaterThan(2 * ((shuffled.ci[1] - shuffled.ci[0]) / 2));
  });

  it('too few points give null', () => {
    expect(
      withinSlope([
        { x: 0, y: 1, group: 0 },
        { x: 1, y: 2, group: 0 },
        { x: 2, y: 2, group: 0 },
      ]),
    ).toBeNull();
    expect(withinSlope([0, 1, 2, 3].map((i) => ({ x: 5, y: i, group: 0 })))).toBeNull();
  });
});

describe('memoryGrowth', () => {
  const rng = createRng(7);
  // RSS samples every 500 ms over two 20 s windows, noise of ±2 MB.
  const samples = (mbPerMin: number) => {
    const out: { t: number; rss: number }[] = [];
    for (let t = 0; t <= 50_000; t += 500) out.push({ t, rss: 80 * MB + (mbPerMin * MB * t) / 60_000 + (rng.next() - 0.5) * 4 * MB });
    return out;
  };
  const groups = [[{ start: 0, end: 20_000 }], [{ start: 30_000, end: 50_000 }]];

  it('a leak of 60 MB/min is found, steady, with the truth inside its interval', () => {
    const g = memoryGrowth(samples(60), groups)!;
    expect(g.steady).toBe(true);
    expect(g.ci[0]).toBeLessThan(60 * MB);
    expect(g.ci[1]).toBeGreaterThan(60 * MB);
    expect(g.sentence).toMatch(/^Memory grew steadily at 5\d\.\d+ MB\/min \(95 % CI /);
  });

  it('a flat service reads flat', () => {
    const g = memoryGrowth(samples(0), groups)!;
    expect(g.steady).toBe(false);
    expect(g.ci[0]).toBeLessThan(0);
    expect(g.ci[1]).toBeGreaterThan(0);
    expect(g.sentence).toMatch(/^No steady memory growth/);
  });

  it('samples outside the trial windows (warm-ups) are not used; too few samples give null', () => {
    const s = samples(0).map((x) => (x.t > 20_000 && x.t < 30_000 ? { ...x, rss: x.rss + 500 * MB } : x));
    expect(memoryGrowth(s, groups)!.steady).toBe(false);
    expect(memoryGrowth(s, [[{ start: 0, end: 600 }]])).toBeNull();
  });
});

describe('brokenCondition', () => {
  const ramp = {
    by: 'connections' as const,
    start: 10,
    factor: 2,
    max: 80,
    levels: [10, 20, 40, 80],
    stepMs: 1000,
    stop: { p95Ms: 50, errorRate: 0.01 },
  };
  const t = (p95: number, errorRate: number, rps = 1000) => ({
    latency: { p95, p99: p95 * 1.2 } as never,
    errors: { rate: errorRate } as never,
    rps,
  });
  it('names the condition a step broke, errors first', () => {
    expect(brokenCondition(ramp, 10, t(20, 0))).toBeNull();
    expect(brokenCondition(ramp, 10, t(51.5, 0))).toBe('p95 51.5 ms > 50 ms');
    expect(brokenCondition(ramp, 10, t(51.5, 0.05))).toBe('errors 5.00 % > 1 %');
    expect(brokenCondition({ ...ramp, stop: { errorRate: 0.01, p99Ms: 10 } }, 10, t(9, 0))).toBe('p99 10.8 ms > 10 ms');
  });
  it('a rate ramp also needs the service to keep up with the offered rate', () => {
    const rate = { ...ramp, by: 'rate' as const };
    expect(brokenCondition(rate, 2000, t(5, 0, 1850))).toBeNull();
    expect(brokenCondition(rate, 2000, t(5, 0, 1700))).toBe('answered 1700 of 2000 req/s offered (< 90 %)');
  });
});

function problems(yaml: string): string[] {
  try {
    parseConfig(yaml, '/x/perfgate.yml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

const base = `service:
  command: node server.js
  metrics:
    url: /metrics
    define:
      hit_rate: { expr: "rate(hits_total) / (rate(hits_total) + rate(misses_total))", unit: percent, better: higher, delta: 2% }
      per_request: delta(db_queries_total) / requests
scenarios:
  - name: a
    request: { path: / }
`;

describe('config: service metrics and ramps', () => {
  it('reads definitions, their units and directions, and targets over them', () => {
    const c = parseConfig(`${base}targets:\n  - hit_rate >= 80%\n  - per_request < 2\n`, '/x/perfgate.yml');
    expect(c.service.metrics).toEqual({ url: '/metrics', timeoutMs: 2000 });
    expect(c.metrics.map((m) => [m.name, m.unit, m.better, m.delta])).toEqual([
      ['hit_rate', 'fraction', 'higher', 0.02],
      ['per_request', 'number', undefined, 0.05],
    ]);
    expect(c.targets.map((t) => [t.name, t.parsed.threshold])).toEqual([
      ['Service metric hit_rate', 0.8],
      ['Service metric per_request', 2],
    ]);
  });

  it('reads a ramp into its levels; capacity and memory growth targets', () => {
    const c = parseConfig(
      `service: { command: node s.js }
scenarios:
  - name: r
    request: { path: / }
    ramp: { start: 25, factor: 2, max: 500, step: 3s, stop: { p95: 100ms } }
    targets: [ "capacity > 1000", "memory.growth < 10MB/min" ]
  - name: rate
    request: { path: / }
    connections: 50
    ramp: { by: rate, start: 500, factor: 1.5, max: 2000 }
`,
      '/x/perfgate.yml',
    );
    expect(c.scenarios[0]!.ramp).toEqual({
      by: 'connections',
      start: 25,
      factor: 2,
      max: 500,
      levels: [25, 50, 100, 200, 400],
      stepMs: 3000,
      stop: { p95Ms: 100, errorRate: 0.01 },
    });
    expect(c.scenarios[0]!.connections).toBe(25);
    expect(c.scenarios[1]!.ramp!.levels).toEqual([500, 750, 1125, 1687.5]);
    expect(c.scenarios[1]!.ramp!.stepMs).toBe(5000);
    expect(c.targets.map((t) => t.parsed.threshold)).toEqual([1000, 10 * MB]);
  });

  it.each([
    [`${base}targets: [ "nope >= 1" ]\n`, '11: targets[0]: unknown metric "nope" in "nope >= 1"; known: p(N), avg'],
    [`${base}targets: [ "hit_rate >= lots" ]\n`, '"lots" is not a rate'],
    [
      base.replace('per_request: delta(db_queries_total) / requests', 'per_request: sum(x)'),
      '7: service.metrics.define.per_request: cannot read "sum(x)": unknown function "sum"',
    ],
    [base.replace('per_request:', 'rps:'), 'service.metrics.define.rps: "rps" is a built-in name'],
    [base.replace('  metrics:\n    url: /metrics\n', '  metrics:\n'), 'missing required key "url"'],
    [base.replace('unit: percent', 'unit: furlongs'), '"furlongs" is not allowed; use one of number, percent, bytes, ms, per-second'],
    [
      `service: { command: node s.js }\nscenarios:\n  - { name: a, request: { path: / } }\ntargets: [ "capacity > 5" ]\n`,
      '"capacity" is measured per scenario',
    ],
    [
      `service: { command: node s.js }\nscenarios:\n  - { name: a, request: { path: / }, targets: [ "capacity > 5" ] }\n`,
      '"capacity" is found by a stress ramp; "a" has no ramp',
    ],
    [
      `service: { command: node s.js }\nscenarios:\n  - { name: a, request: { path: / }, targets: [ "hit > 5" ] }\n`,
      'a metric of the service needs a name under service.metrics.define',
    ],
    [
      `service: { command: node s.js }\nscenarios:\n  - { name: a, request: { path: / }, trials: 3, ramp: { start: 1, max: 8 } }\n`,
      'a ramp scenario runs steps, not trials',
    ],
    [
      `service: { command: node s.js }\nscenarios:\n  - { name: a, request: { path: / }, rate: 100, ramp: { start: 1, max: 8 } }\n`,
      'this ramp grows connections (closed model), so rate does not apply',
    ],
    [
      `service: { command: node s.js }\nscenarios:\n  - { name: a, request: { path: / }, ramp: { start: 10, max: 5 } }\n`,
      'max (5) is below start (10)',
    ],
    [
      `service: { command: node s.js }\nscenarios:\n  - { name: a, request: { path: / }, ramp: { start: 1, factor: 1.01, max: 1000 } }\n`,
      'makes more than 30 steps',
    ],
    [
      `service: { command: node s.js }\nscenarios:\n  - { name: a, request: { path: / }, connections: 50, ramp: { by: rate, start: 10, max: 100 } }\n`,
      'a rate ramp starting at 10/s is below connections (50)',
    ],
    [
      `service: { command: node s.js }\nbaseline: { service: { command: node old.js } }\nscenarios:\n  - { name: a, request: { path: / }, ramp: { start: 1, max: 8 } }\n`,
      'stress ramps are not run in A/B mode',
    ],
    [`${base}regression: { delta: { memory.growth: lots } }\n`, '"lots" is not a size'],
  ])('refused with a located message (%#)', (yaml, message) => {
    const found = problems(yaml);
    expect(found.join('\n')).toContain(message);
  });
});
