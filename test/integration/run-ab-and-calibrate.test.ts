// A/B mode end to end on the demo service: base and head are the same server with different
// knobs, both started once (port: auto), loaded one at a time, trials interleaved.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGate } from '../../src/pipeline/gate.js';
import { CLI, DEMO, newMarker, processesWithMarker, tempDir, writeConfig } from '../helpers.js';

function abConfig(headEnv: string, extra = ''): string {
  return `name: ab-gate
service:
  command: node ${JSON.stringify(DEMO)}
  env: { WORK_ITERATIONS: "400000"${headEnv} }
  ready: { http: /health }
baseline:
  service:
    command: node ${JSON.stringify(DEMO)}
    env: { WORK_ITERATIONS: "400000" }
    ready: { http: /health }
load: { connections: 2, warmup: 200ms, duration: 500ms }
ab: { min-trials: 6, max-trials: 10, step: 2 }
scenarios:
  - { name: products, request: { path: /api/products } }
targets: [ "rate(errors) < 1%" ]
${extra}`;
}

describe('A/B mode on the demo service', () => {
  // SLOWDOWN=1.0 (≈ +90 % p50): +23 % (SLOWDOWN=0.3) once stayed inconclusive at 10 half-second
  // trials per side on a quiet machine, because a service restart per block moves the level of
  // short trials by more than that; the effect is sized so that every look separates the sides.
  it('head with SLOWDOWN=1.0 against the base build: regression, gate fails, interleaved B,H,H,B…', async () => {
    const dir = tempDir();
    const m = newMarker();
    const o = await runGate({
      config: writeConfig(dir, abConfig(', SLOWDOWN: "1.0"')),
      outDir: join(dir, 'out'),
      env: { ...process.env, ...m },
    });
    expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
    const ab = o.result.ab!;
    const p50 = ab.comparisons.find((c) => c.metric === 'p50')!;
    expect(p50.outcome, JSON.stringify(ab.comparisons.map((c) => [c.metric, c.outcome, c.change.toFixed(3), c.pAdjusted]))).toBe(
      'regression',
    );
    expect(p50.change).toBeGreaterThan(0.4);
    expect(o.exitCode).toBe(1);
    expect(o.result.reason).toMatch(/regressions? against the base build \(A\/B\)/);
    expect(ab.order.startsWith('BHHBBH')).toBe(true);
    expect(ab.order).toHaveLength(2 * ab.trialsPerSide);
    expect(ab.base.scenarios[0]!.trials).toHaveLength(ab.trialsPerSide);
    expect(o.result.scenarios[0]!.trials).toHaveLength(ab.trialsPerSide);
    // The gate's outcome is known at the first look that proves a gating regression (p95 or
    // throughput here): sampling stops there.
    expect(ab.stoppedBecause).toMatch(/gating regressions? (was|were) proven after \d+ trials per side|max-trials/);
    expect(ab.comparisons.find((c) => c.metric === 'p95')!.gating).toBe(true);
    expect(p50.gating).toBe(false);
    expect(o.report).toContain('## A/B comparison with the base build');
    expect(o.report).toMatch(
      /- 🔴 regression: (P95 of products is \d+(\.\d)? % slower|Throughput of products is \d+(\.\d)? % lower) \(\d+(\.\d+)? % CI/,
    );
    expect(o.report).toMatch(/- 🔴 regression · not gating: P50 of products is \d+(\.\d)? % slower \(\d+(\.\d+)? % CI/);
    expect(o.result.history?.reason).toBe('not saved: A/B runs are compared with their base build, not kept as history');
    // Each build started once for the whole measurement, however many blocks ran.
    const starts = (log: string): number => readFileSync(join(dir, 'out', log), 'utf8').split('demo-service: listening on').length - 1;
    expect(starts('base-service.log')).toBe(1);
    expect(starts('service.log')).toBe(1);
  }, 90_000);

  // Half-second trials at 2 connections put tens of percent of noise on p95 and p99 between
  // trials: at α = 0.05 a same-build run occasionally "proved" a tail regression (once in about a
  // dozen full runs here: p99 +41 %, adjusted p 0.007). The benchmark's false-fail rate (≤ 1 %)
  // holds at its 5 s, 10-connection profile; this short test runs at α = 0.01 so that its pass
  // does not depend on the day.
  it('the same build on both sides: no regression, the gate passes', async () => {
    const dir = tempDir();
    const o = await runGate({ config: writeConfig(dir, abConfig('', 'regression: { alpha: 0.01 }\n')), outDir: join(dir, 'out') });
    const ab = o.result.ab!;
    expect(ab.counts.regression, JSON.stringify(ab.comparisons.map((c) => [c.metric, c.outcome, c.change.toFixed(3), c.pAdjusted]))).toBe(
      0,
    );
    expect(o.exitCode).toBe(0);
    expect(o.result.verdict).toBe('pass');
  }, 90_000);

  it('perfgate calibrate: spread per metric, trials needed for δ, MDE, written to calibrate.md', () => {
    const dir = tempDir();
    const config = writeConfig(dir, abConfig('').replace(/baseline:[\s\S]*?ready: \{ http: \/health \}\n/, ''));
    const r = spawnSync(process.execPath, [CLI, 'calibrate', '--config', config, '--trials', '4', '--out', join(dir, 'cal')], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('# perfgate calibration');
    expect(r.stdout).toMatch(/\| products \| p50 \| [\d.]+ % \| 5 % \| \d+ \| [\d.]+ % \| (✅ enough|❌ raise max-trials to \d+ or δ) \|/);
    expect(r.stdout).toContain('A/A comparison');
    const json = JSON.parse(readFileSync(join(dir, 'cal', 'calibrate.json'), 'utf8')) as { rows: unknown[]; ab: { trialsPerSide: number } };
    expect(json.ab.trialsPerSide).toBe(4);
    expect(json.rows.length).toBeGreaterThanOrEqual(4);
  }, 90_000);
});
