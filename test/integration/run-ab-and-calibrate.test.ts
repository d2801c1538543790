// A/B mode end to end on the demo service: base and head are the same server with different
// knobs, both started once (port: auto); by default loaded at the same time in duet trials (their
// services pinned to one CPU, the load generator to the other), or one at a time, interleaved.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGate } from '../../src/pipeline/gate.js';
import type { ScenarioResult } from '../../src/contract/result.js';
import { CLI, DEMO, newMarker, processesWithMarker, REPO, tempDir, writeConfig } from '../helpers.js';

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

/** A failed run's result.json, kept in test-output/ (the temporary directory is removed after the suite). */
function keepResult(file: string, name: string): void {
  mkdirSync(join(REPO, 'test-output'), { recursive: true });
  copyFileSync(file, join(REPO, 'test-output', `${name}-${Date.now()}.json`));
}

describe('A/B mode on the demo service', () => {
  // SLOWDOWN=1.0 (≈ +90 % p50): +23 % (SLOWDOWN=0.3) once stayed inconclusive at 10 half-second
  // trials per side on a quiet machine, because a service restart per block moves the level of
  // short trials by more than that; the effect is sized so that every look separates the sides.
  it('head with SLOWDOWN=1.0 against the base build (ab.design: interleaved): regression, gate fails, interleaved B,H,H,B…', async () => {
    const dir = tempDir();
    const m = newMarker();
    const o = await runGate({
      config: writeConfig(dir, abConfig(', SLOWDOWN: "1.0"').replace('ab: { ', 'ab: { design: interleaved, ')),
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
    expect(ab.design).toBe('interleaved');
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
      // Whichever gating metric is proven first ends sampling: under a CPU-bound neighbour that is
      // often the service's CPU time per request, before p95 or throughput.
      /- 🔴 regression: (P95 of products is \d+(\.\d)? % slower|Throughput of products is \d+(\.\d)? % lower|Service CPU per request of products is \d+(\.\d)? % higher) \(\d+(\.\d+)? % CI/,
    );
    expect(o.report).toMatch(/- 🔴 regression · not gating: P50 of products is \d+(\.\d)? % slower \(\d+(\.\d+)? % CI/);
    expect(o.result.history?.reason).toBe('not saved: A/B runs are compared with their base build, not kept as history');
    // Each build started once for the whole measurement, however many blocks ran; then once more
    // for the profiled trial, since the gate failed (appended to the same log).
    const starts = (log: string): number => readFileSync(join(dir, 'out', log), 'utf8').split('demo-service: listening on').length - 1;
    expect(o.result.profile!.scenarios[0]!.sides.map((s) => s.side)).toEqual(['base', 'head']);
    expect(starts('base-service.log')).toBe(2);
    expect(starts('service.log')).toBe(2);
  }, 90_000);

  // Half-second trials at 2 connections put tens of percent of noise on p95 and p99 between
  // trials: at α = 0.05 a same-build run occasionally "proved" a tail regression (once in about a
  // dozen full runs here: p99 +41 %, adjusted p 0.007). The benchmark's false-fail rate (≤ 1 %)
  // holds at its 5 s, 10-connection profile; this short test runs at α = 0.01 so that its pass
  // does not depend on the day.
  // Duet: +30 % handler CPU (SLOWDOWN=0.3) read CPU per request ×1.13 at 10 connections with a
  // pair-to-pair spread of 0.7–4.5 % (sd of the log-ratio) on this 2-core machine, so six pairs
  // prove it at every look; before the duet the same effect stayed inconclusive at ten trials.
  it('duet (the default): SLOWDOWN=0.3 in the head is a regression named on service CPU per request', async () => {
    const dir = tempDir();
    const m = newMarker();
    const o = await runGate({
      config: writeConfig(
        dir,
        abConfig(', SLOWDOWN: "0.3"').replace(
          'connections: 2, warmup: 200ms, duration: 500ms',
          'connections: 10, warmup: 500ms, duration: 1s',
        ),
      ),
      outDir: join(dir, 'out'),
      env: { ...process.env, ...m },
    });
    expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
    const ab = o.result.ab!;
    const cpu = ab.comparisons.find((c) => c.metric === 'cpu_per_request')!;
    const summary = JSON.stringify(ab.comparisons.map((c) => [c.metric, c.outcome, c.change.toFixed(3), c.spread?.toFixed(3)]));
    expect(ab.design, ab.designNote).toBe('duet');
    expect(ab.designNote).toMatch(/services pinned to CPU \d+, the load generator to CPU \d+ \(taskset\)/);
    expect(ab.order).toMatch(/^D+$/);
    // Sampling stops at the look where a gating comparison is proven: CPU per request (×1.13 in
    // every pair), or p50/p95 where this run's pairs are steady enough for latency to gate too.
    expect(cpu.gating).toBe(true);
    expect(cpu.change, summary).toBeGreaterThan(0.05);
    const proven = ab.comparisons.filter((c) => c.gating !== false && c.outcome === 'regression').map((c) => c.metric);
    expect(proven.length, summary).toBeGreaterThan(0);
    expect(['cpu_per_request', 'p50', 'p95']).toEqual(expect.arrayContaining(proven));
    expect(o.exitCode).toBe(1);
    expect(o.report).toMatch(
      /- 🔴 regression: (Service CPU per request of products is \d+(\.\d)? % higher|P(50|95) of products is \d+(\.\d)? % slower)/,
    );
    expect(o.report).toContain('duet trials');
    // Both sides' trials carry the CPU time of their own service tree.
    expect(ab.base.scenarios[0]!.trials.every((t) => t.serviceCpu && t.serviceCpu.perRequestUs! > 0)).toBe(true);
    expect(o.result.scenarios[0]!.summary.serviceCpu!.perRequestUs).toBeGreaterThan(
      ab.base.scenarios[0]!.summary.serviceCpu!.perRequestUs!,
    );
    // The failed gate profiles both builds: the growth table's top row is the demo's busy-wait
    // (slowdown, line 147), the hashing it spins on (work, line 137), or the clock it reads
    // (hrtimeBigInt, native), named with the demo's function that called it. The time splits
    // about evenly between the two (+128 and +130 µs per request in one run). Where V8 inlines
    // slowdown into the route's callback, the clock's ticks are charged to that callback (seen
    // once beside a CPU-bound process: hrtimeBigInt called from `(anonymous)` at line 266, +106 µs,
    // then work +84 µs): one of the top three rows is the demo's own busy-wait or hashing. The
    // config sits outside any git checkout, so the demo's path stays absolute.
    const profile = o.result.profile!;
    expect(profile.why).toBe('the A/B gate failed: the report says where the time went');
    const growth = profile.scenarios[0]!.growth!;
    const own = growth.slice(0, 3).map((g) => (g.file === DEMO ? g : g.calledFrom));
    expect(
      own.some((f) => f?.file === DEMO && /^(slowdown|work)$/.test(f.name)),
      JSON.stringify(growth.slice(0, 3)),
    ).toBe(true);
    expect(o.report).toMatch(
      /- products: `[\w$]+` in `[^`]+`(, called from `(slowdown|work)` in `\S*fixtures\/demo-service\/server\.js:1(47|37)`)?: [\d.]+ % → [\d.]+ % of service CPU \([+−]/,
    );
    expect(o.report).toMatch(/`(slowdown|work)` in `\S*fixtures\/demo-service\/server\.js:1(47|37)`/);
  }, 90_000);

  it('the same build on both sides: no regression, the gate passes', async () => {
    const dir = tempDir();
    const o = await runGate({ config: writeConfig(dir, abConfig('', 'regression: { alpha: 0.01 }\n')), outDir: join(dir, 'out') });
    const ab = o.result.ab!;
    expect(ab.design).toBe('duet');
    expect(ab.counts.regression, JSON.stringify(ab.comparisons.map((c) => [c.metric, c.outcome, c.change.toFixed(3), c.pAdjusted]))).toBe(
      0,
    );
    expect(o.exitCode).toBe(0);
    expect(o.result.verdict).toBe('pass');
  }, 90_000);

  it("the demo's own perfgate.yml, head with SLOWDOWN=0.3: fails within the default budget, on the CPU work or the latency it adds; open-model rates not compared", async () => {
    const dir = tempDir();
    const own = readFileSync(join(REPO, 'perfgate.yml'), 'utf8')
      .replace('command: node fixtures/demo-service/server.js', `command: node ${JSON.stringify(DEMO)}\n  env: { SLOWDOWN: "0.3" }`)
      .replace(
        /^load:/m,
        `baseline:\n  service:\n    command: node ${JSON.stringify(DEMO)}\n    port: auto\n    ready: { http: /health, timeout: 20s }\n    metrics: { url: /metrics }\nhistory: { store: none }\nload:`,
      );
    // Shorter trials than the config's 5 s keep the suite's time down; the design is the default one.
    const o = await runGate({ config: writeConfig(dir, own), outDir: join(dir, 'out'), overrides: { durationMs: 2000 } });
    const ab = o.result.ab!;
    const summary = JSON.stringify(ab.comparisons.map((c) => [c.scenario, c.metric, c.outcome, c.change.toFixed(3)]));
    expect(ab.design).toBe('duet');
    expect(o.exitCode, summary).toBe(1);
    const regressions = ab.comparisons.filter((c) => c.outcome === 'regression' && c.gating !== false);
    // Sampling stops at the first proven gating regression: which carrier of the extra CPU work
    // proves it first is a race (beside a CPU-bound neighbour once: p50 alone). CPU per request
    // rose with the work either way.
    expect(
      regressions.some((c) => ['cpu_per_request', 'p50', 'p95'].includes(c.metric)),
      summary,
    ).toBe(true);
    const cpu = ab.comparisons.filter((c) => c.metric === 'cpu_per_request').map((c) => c.change);
    expect(Math.max(...cpu), summary).toBeGreaterThan(0.05);
    expect(ab.elapsedMs).toBeLessThan(10 * 60_000);
    expect(ab.comparisons.some((c) => c.metric === 'rps')).toBe(false);
    expect(ab.leftOut).toContainEqual({ scenario: 'browse products', metric: 'rps', why: 'the open model sets the request rate' });
    expect(ab.leftOut).toContainEqual({
      scenario: 'payment workflow',
      metric: 'workflows_per_s',
      why: 'the open model sets the request rate',
    });
    expect(o.report).toMatch(/Not compared: Throughput of "browse products", .*\(the open model sets the request rate\)/);
  }, 300_000);

  // The design is the default one but for α: at the default 0.05 the gate may fail a same build
  // in up to 5 % of runs by design (Holm over the gating comparisons, α split over the looks), and
  // the suite ran this test beside yes > /dev/null into such a run (CPU per request of "1000
  // concurrent connections" +4.8 %, proven). At 0.001 a false fail here is a defect, not a draw.
  it("the demo's own perfgate.yml, the same build on both sides (α 0.001): passes within the default budget, gated on CPU per request", async () => {
    const dir = tempDir();
    const own = readFileSync(join(REPO, 'perfgate.yml'), 'utf8')
      .replace('command: node fixtures/demo-service/server.js', `command: node ${JSON.stringify(DEMO)}`)
      .replace(
        /^load:/m,
        `baseline:\n  service:\n    command: node ${JSON.stringify(DEMO)}\n    port: auto\n    ready: { http: /health, timeout: 20s }\n    metrics: { url: /metrics }\nhistory: { store: none }\nregression: { alpha: 0.001 }\nload:`,
      );
    const o = await runGate({
      config: writeConfig(dir, own),
      outDir: join(dir, 'out'),
      overrides: { durationMs: 2000, unjudgeable: 'warn' },
    }); // 2 s trials leave a target unjudgeable: said, not failed
    const ab = o.result.ab!;
    const summary = JSON.stringify(ab.comparisons.map((c) => [c.scenario, c.metric, c.outcome, c.change.toFixed(3), c.pAdjusted]));
    // A same build that fails keeps its pairs: result.json is copied where the suite's outputs stay.
    if (ab.counts.regression > 0) keepResult(join(dir, 'out', 'result.json'), 'same-build-failed');
    expect(ab.design).toBe('duet');
    expect(ab.counts.regression, summary).toBe(0);
    expect(o.result.verdict, `${o.result.reason}; ${summary}`).toBe('pass');
    expect(o.exitCode).toBe(0);
    expect(ab.elapsedMs).toBeLessThan(10 * 60_000);
    // In a duet the gate is CPU per request, errors, defined metrics, and latency on the δ the
    // run's pairs can resolve: the demo's open-model latencies scatter ±10–44 % per pair on a
    // shared CPU, so each one judged on a wider δ, or left out of the gate, is listed with its spread.
    const gating = new Set(ab.comparisons.filter((c) => c.gating !== false).map((c) => c.metric));
    expect([...gating]).toEqual(expect.arrayContaining(['cache_hit_rate', 'cpu_per_request', 'errors']));
    for (const c of ab.comparisons.filter((x) => x.metric === 'p50' || x.metric === 'p95')) {
      const widened = ab.widened?.find((w) => w.scenario === c.scenario && w.metric === c.metric);
      if (c.gating === false)
        expect(ab.notGating).toContainEqual({
          scenario: c.scenario,
          metric: c.metric,
          why: expect.stringMatching(/^its pairs scatter ±[\d.]+ % here/),
        });
      else if (widened) {
        expect(c.delta).toBe(widened.delta);
        expect(widened.delta).toBeGreaterThan(c.metric === 'p50' ? 0.05 : 0.1);
        expect(widened.why).toMatch(/^its pairs scatter ±[\d.]+ % here, .*; it gates on changes of [\d.]+ % or more$/);
      } else expect(c.delta).toBe(c.metric === 'p50' ? 0.05 : 0.1);
    }
    for (const w of ab.widened ?? []) expect(o.report).toContain(`of "${w.scenario}" gates on a wider δ: ${w.why}`);
    expect(ab.comparisons.find((c) => c.metric === 'p99')).toMatchObject({ gating: false });
    expect(o.report).toMatch(/Gating \(the duet's default; regression.gate chooses others\): [^.]*Service CPU per request, /);
    expect(ab.firstSlot).toMatch(/^BBBHHH(BB|HH)*/);
    expect(o.report).toContain('crossed over: both were restarted with the other one started, given its port and warmed up first');
    // Targets read the head alone, as a plain run measures it: after the pairs, the base stopped
    // and nothing pinned, each targeted scenario's own trials (5 here, the config's), not its pairs.
    expect(ab.headAlone?.scenarios).toEqual(['browse products', '1000 concurrent connections', 'payment workflow']);
    const browse = o.result.scenarios.find((s) => s.name === 'browse products')!;
    expect(browse.trials).toHaveLength(5);
    // The base's figures are its pairs' (the base ran nothing alone).
    expect(ab.base.scenarios.find((s) => s.name === 'browse products')!.trials).toHaveLength(ab.trialsPerSide);
    // The head's pairs are kept beside its alone figures: each comparison can be recomputed from
    // result.json (here p95 of the workflow: the mean of the two arrangements' mean log-ratios).
    expect(ab.headPairs!.scenarios.map((s) => s.name)).toEqual(ab.headAlone!.scenarios);
    const pairsOf = (side: { scenarios: ScenarioResult[] }) =>
      side.scenarios.find((s) => s.name === 'payment workflow')!.trials.map((t) => t.latency.p95!);
    const [b95, h95] = [pairsOf(ab.base), pairsOf(ab.headPairs!)];
    expect(h95).toHaveLength(ab.trialsPerSide);
    const byArrangement = (c: 'B' | 'H') => {
      const lr = h95.map((h, i) => Math.log(h / b95[i]!)).filter((_, i) => ab.firstSlot![i] === c);
      return lr.reduce((a, x) => a + x, 0) / lr.length;
    };
    const p95 = ab.comparisons.find((c) => c.scenario === 'payment workflow' && c.metric === 'p95')!;
    expect(Math.expm1((byArrangement('B') + byArrangement('H')) / 2)).toBeCloseTo(p95.change, 9);
    expect(o.result.targets.find((t) => t.name === 'API response time (p95)')!.measured).toBe(browse.summary.latency.p95);
    expect(o.result.scenarios.find((s) => s.name === '1000 concurrent connections')!.trials).toHaveLength(3);
    expect(o.report).toContain(
      'Targets of "browse products", "1000 concurrent connections", "payment workflow" are judged on this build alone: after the pairs, with the base stopped and nothing pinned',
    );
  }, 600_000);

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
