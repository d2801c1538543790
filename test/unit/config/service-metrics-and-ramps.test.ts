// Memory growth (the slope and its interval), stress-ramp stop conditions, and the config that
// sets them up.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { configProblems } from '../../config-text.js';

const MB = 1024 ** 2;

const problems = configProblems;

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
      `${base}regression: { gate: [p95, p9] }\n`,
      '11: regression.gate[1]: unknown metric "p9" (did you mean "p95"?); one of: p50, p95, p99',
    ],
    [`${base}regression: { gate: [per_request] }\n`, 'regression.gate[0]: "per_request" has no direction: add better: higher or lower'],
    [`${base}regression: { delta: { memory.growth: lots } }\n`, '"lots" is not a size'],
    [`${base}regression: { delta: { memory_per_request: 5% } }\n`, '"5%" is not a size'],
  ])('refused with a located message (%#)', (yaml, message) => {
    const found = problems(yaml);
    expect(found.join('\n')).toContain(message);
  });

  it('CPU time per request takes its own δ (default 4 %) and can be named in the gate', () => {
    expect(problems(`${base}regression: { delta: { cpu_per_request: 2% }, gate: [cpu_per_request, errors] }\n`)).toEqual([]);
    const c = parseConfig(`${base}regression: { delta: { cpu_per_request: 2% }, gate: [cpu_per_request, errors] }\n`, 'perfgate.yml');
    expect(c.regression.delta.cpu_per_request).toBe(0.02);
    expect(c.regression.gateWritten).toBe(true);
    expect(parseConfig(base, 'perfgate.yml').regression.delta.cpu_per_request).toBe(0.04);
  });

  it('memory each request leaves behind takes a size as its δ (default 256 B) and can be named in the gate', () => {
    const yaml = `${base}regression: { delta: { memory_per_request: 1KB }, gate: [memory_per_request] }\n`;
    expect(problems(yaml)).toEqual([]);
    expect(parseConfig(yaml, 'perfgate.yml').regression.delta.memory_per_request).toBe(1024);
    expect(parseConfig(base, 'perfgate.yml').regression.delta.memory_per_request).toBe(256);
  });
});
