import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluateTargets } from '../../../src/analysis/targets.js';
import { decide } from '../../../src/analysis/verdict.js';
import { parseConfig } from '../../../src/config/load.js';
import type { RunResult } from '../../../src/contract/result.js';

// A real run of the root perfgate.yml against the demo service, recorded.
const recorded = (name: string): RunResult =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/results/${name}`, import.meta.url), 'utf8')) as RunResult;

function targetsFor(lines: string[]) {
  const yaml = `service: { command: x }
scenarios:
  - { name: browse products, request: { path: /a } }
  - { name: 1000 concurrent connections, request: { path: /a } }
  - { name: payment workflow, workflow: [ { path: /a }, { path: /b } ] }
targets:
${lines.map((l) => `  - ${l}`).join('\n')}
`;
  return parseConfig(yaml, '/t/perfgate.yml').targets;
}

describe('targets against a recorded run', () => {
  const run = recorded('demo-pass.json');

  it('re-evaluating the recorded targets gives the recorded statuses and values', () => {
    const again = targetsFor([
      '{ expr: "p(95) < 200ms", scenario: browse products }',
      '{ expr: "connections >= 1000", scenario: 1000 concurrent connections }',
      '{ expr: "workflows_per_s >= 100", scenario: payment workflow }',
      '"uptime >= 99.9%"',
      '"rate(errors) < 1%"',
      '"memory.peak < 2GB"',
      '"cpu.mean < 70%"',
    ]);
    const results = evaluateTargets(again, run);
    expect(results.map((r) => [r.status, r.measured])).toEqual(run.targets.map((t) => ['pass', t.measured]));
  });

  it('a threshold the run misses fails with the measured value in the note', () => {
    const [t] = evaluateTargets(targetsFor(['{ expr: "p(95) < 1ms", scenario: browse products }']), run);
    expect(t!.status).toBe('fail');
    expect(t!.measured).toBeGreaterThan(1);
    expect(t!.note).toMatch(/ms breaches < 1 ms/);
  });

  it('overall latency comes from the merged histogram of every scenario', () => {
    const [overall] = evaluateTargets(targetsFor(['"p(99) < 10s"']), run);
    const perScenario = run.scenarios.map((s) => s.summary.latency.p99!);
    expect(overall!.measured).toBeGreaterThanOrEqual(Math.min(...perScenario));
    expect(overall!.measured).toBeLessThanOrEqual(Math.max(...perScenario));
  });

  it('connections count only when sustained with errors under 1 %', () => {
    const failing = structuredClone(run);
    for (const s of failing.scenarios) s.summary.errors.rate = 0.05;
    const [t] = evaluateTargets(targetsFor(['{ expr: "connections >= 1000", scenario: 1000 concurrent connections }']), failing);
    expect(t!.status).toBe('fail');
    expect(t!.note).toMatch(/not sustained/);
  });

  it('what was not measured is ❓ and fails: missing scenario, external CPU, crash before load', () => {
    const external = structuredClone(run);
    external.service = { ...external.service, mode: 'external', cpu: null, memory: null };
    const [cpu] = evaluateTargets(targetsFor(['"cpu.mean < 70%"']), external);
    expect(cpu).toMatchObject({ status: 'unmeasured', measured: null });
    expect(cpu!.note).toMatch(/external target/);

    const none = structuredClone(run);
    none.scenarios = [];
    none.failure = { kind: 'never-ready', message: 'the service never became ready: not ready after 1000 ms', logTail: [] };
    const results = evaluateTargets(targetsFor(['"rate(errors) < 1%"', '{ expr: "p(95) < 200ms", scenario: browse products }']), none);
    expect(results.every((r) => r.status === 'unmeasured')).toBe(true);
    expect(results[1]!.note).toMatch(/never became ready/);
    expect(decide(results, none.failure)).toEqual({
      verdict: 'fail',
      reason: 'the service never became ready: not ready after 1000 ms; 2 targets could not be measured',
    });
  });

  it('the verdict passes only when every target passed, and says so when nothing was checked', () => {
    expect(decide([], null)).toEqual({
      verdict: 'pass',
      reason: 'no targets are configured and no history is kept, so nothing was checked',
    });
    expect(decide(evaluateTargets(targetsFor(['"rate(errors) < 1%"']), run), null).verdict).toBe('pass');
  });
});
