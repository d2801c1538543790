import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { analyzeRegressions, currentFromResult, type CurrentRun } from '../../../src/analysis/regression.js';
import { machineFactor } from '../../../src/analysis/baseline.js';
import type { RunResult } from '../../../src/contract/result.js';
import { unitsOf } from '../../../src/report/comparison-view.js';
import { regressionSentences, regressionView } from '../../../src/report/history-view.js';
import { REGRESSION_DEFAULTS } from '../../../src/config/types.js';
import { decide } from '../../../src/analysis/verdict.js';
import { createRng } from '../../../src/stats/rng.js';
import { FP, history, record, RUNNER, trials, type Level } from '../../history-fixtures.js';

const current = (seed: number, level: Level): CurrentRun => ({
  fingerprint: FP,
  runner: RUNNER,
  scenarios: [{ name: 'api', trials: trials(createRng(seed), level) }],
});
const analyze = (records: ReturnType<typeof history>, run: CurrentRun, settings = REGRESSION_DEFAULTS) =>
  analyzeRegressions(records, run, settings, 'test');
const find = (a: ReturnType<typeof analyze>, metric: string) => a.comparisons.find((c) => c.metric === metric)!;

describe('regression analysis against synthetic history (known answers)', () => {
  it('identical behaviour: every metric a confident pass, the gate stays quiet', () => {
    const a = analyze(history(1, 20), current(100, {}));
    expect(a.baseline).toHaveLength(20);
    expect(a.counts.regression).toBe(0);
    expect(a.counts.improvement).toBe(0);
    for (const m of ['p50', 'p95', 'p99', 'rps']) expect(find(a, m).outcome).toBe('confident pass');
    expect(find(a, 'errors').outcome).toBe('confident pass');
    expect(decide([], null, a)).toEqual({ verdict: 'pass', reason: 'no targets are configured; no regression against history' });
  });

  it('regression.beta: the upper bound of a confident pass at 1 − β, with α deciding regressions; the report says which level', () => {
    // 5 stored runs and a +3 % run: with β = α = 0.01 the bounds are wider than with β = 0.2.
    const runs = history(7, 5);
    const run = current(107, { p50: 2.06, p95: 5.15, p99: 9.27, rps: 970 });
    const strict = analyze(runs, run, { ...REGRESSION_DEFAULTS, alpha: 0.01, beta: 0.01 });
    const apart = analyze(runs, run, { ...REGRESSION_DEFAULTS, alpha: 0.01, beta: 0.2 });
    expect(strict.beta).toBeUndefined();
    expect(apart).toMatchObject({ alpha: 0.01, beta: 0.2 });
    for (const m of ['p50', 'p95', 'p99', 'rps']) {
      expect(find(apart, m).pAdjusted).toBe(find(strict, m).pAdjusted);
      expect(find(apart, m).upper!).toBeLessThan(find(strict, m).upper!);
    }
    expect(apart.counts.regression).toBe(strict.counts.regression);
    expect(apart.counts['confident pass'], JSON.stringify(strict.comparisons.map((c) => [c.metric, c.outcome, c.upper]))).toBeGreaterThan(
      strict.counts['confident pass'],
    );
    expect(regressionView(apart, unitsOf({})).method).toContain('one-sided 80 % upper bound');
    expect(regressionView(strict, unitsOf({})).method).toContain('one-sided 99 % upper bound');
  });

  it('+30 % latency: regression with the right size, p and a band that excludes 0', () => {
    const a = analyze(history(2, 20), current(101, { p50: 2.6, p95: 6.5, p99: 11.7 }));
    for (const m of ['p50', 'p95', 'p99']) {
      const c = find(a, m);
      expect(c.outcome).toBe('regression');
      expect(c.change).toBeGreaterThan(0.25);
      expect(c.change).toBeLessThan(0.35);
      expect(c.band![0]).toBeGreaterThan(0);
      expect(c.pAdjusted).toBeLessThan(0.001);
      expect(c.mde).toBeGreaterThanOrEqual(c.delta);
    }
    expect(find(a, 'rps').outcome).toBe('confident pass');
    expect(decide([], null, a).verdict).toBe('fail');
  });

  it('throughput down 30 % is a regression; latency down 30 % is an improvement', () => {
    const a = analyze(history(3, 20), current(102, { rps: 700, p50: 1.4 }));
    expect(find(a, 'rps')).toMatchObject({ outcome: 'regression', worse: 'down' });
    expect(find(a, 'rps').change).toBeCloseTo(0.3, 1);
    expect(find(a, 'p50').outcome).toBe('improvement');
    expect(find(a, 'p50').change).toBeLessThan(-0.25);
  });

  it('one wild outlier run in history does not cause a false alarm', () => {
    const runs = history(4, 20);
    const rng = createRng(9);
    runs[8] = record(rng, { p50: 20, p95: 50, p99: 90, rps: 100 }, {}, 8); // a 10× run (a noisy neighbour)
    const a = analyze(runs, current(103, {}));
    expect(a.counts.regression).toBe(0);
    expect(a.counts.improvement).toBe(0);
  });

  it('a step change inside the window cuts the baseline at the change point', () => {
    // Runs 0–11 at 2 ms, runs 12–19 at 2.6 ms (an accepted slowdown merged earlier).
    const runs = history(5, 20, (i) => (i < 12 ? {} : { p50: 2.6 }));
    const a = analyze(runs, current(104, { p50: 2.6 }));
    const p50 = find(a, 'p50');
    expect(p50.runs).toBe(8);
    expect(p50.cutAt).toBe('run-0012');
    expect(p50.note).toMatch(/change point \(\+(29|30|31)\.\d % level shift\)/);
    expect(p50.outcome).toBe('confident pass'); // same as the new level, not a regression against the old one
  });

  it('fewer than 5 comparable runs: insufficient baseline, said out loud, and the policy decides', () => {
    const a = analyze(history(6, 4), current(105, { p50: 4 }));
    expect(a.comparisons.every((c) => c.outcome === 'insufficient baseline')).toBe(true);
    expect(find(a, 'p50').note).toBe('4 comparable runs stored; 5 needed');
    expect(decide([], null, a)).toEqual({
      verdict: 'pass',
      reason: 'no targets are configured; insufficient baseline for 3 of 3 gating comparisons',
    });
    const failing = analyze(history(6, 4), current(105, {}), { ...REGRESSION_DEFAULTS, onMissingBaseline: 'fail' });
    expect(decide([], null, failing)).toMatchObject({
      verdict: 'fail',
      reason: 'insufficient baseline for 3 gating comparisons (on-missing-baseline: fail)',
    });
  });

  it('only runs of the same config, runner class and default branch count', () => {
    const rng = createRng(7);
    const runs = [
      ...history(7, 5),
      record(rng, { p50: 9 }, { fingerprint: 'other-config' }, 100),
      record(rng, { p50: 9 }, { runner: 'darwin-arm64 · M2 · 8 cores · node 22' }, 101),
      record(
        rng,
        { p50: 9 },
        {
          git: {
            sha: 'b',
            branch: 'feature',
            defaultBranch: 'main',
            onDefaultBranch: false,
            pullRequest: true,
            event: 'pull_request',
            pullRequestNumber: 3,
          },
        },
        102,
      ),
    ];
    const a = analyze(runs, current(106, {}));
    expect(a.candidates).toEqual({ total: 8, sameConfig: 7, sameRunner: 6, defaultBranch: 5 });
    expect(a.baseline.map((b) => b.id)).toEqual(['run-0000', 'run-0001', 'run-0002', 'run-0003', 'run-0004']);
    expect(a.counts.regression).toBe(0);
  });

  it('CPU time per request is compared only between runs of one CPU model; another model leaves it uncompared and says so', () => {
    const withCpu = (rs: ReturnType<typeof history>, ms: number) =>
      rs.map((r) => ({
        ...r,
        scenarios: r.scenarios.map((s) => ({
          ...s,
          trials: s.trials.map((t) => ({ ...t, cpuPerRequest: ms * (1 + 0.01 * Math.sin(t.rps)) })),
        })),
      }));
    const run = (ms: number): CurrentRun => {
      const c = current(108, {});
      return { ...c, scenarios: c.scenarios.map((s) => ({ ...s, trials: s.trials.map((t) => ({ ...t, cpuPerRequest: ms })) })) };
    };
    // Same CPU model: +30 % CPU per request is found (reported: outside the default history gate).
    const same = analyze(withCpu(history(9, 10), 0.1), run(0.13));
    const cpu = find(same, 'cpu_per_request');
    expect(cpu.outcome).toBe('regression');
    expect(cpu.gating).toBe(false);
    // A faster CPU model in history: its runs are never the baseline, so it cannot hide or invent anything.
    const faster = withCpu(history(9, 10), 0.07).map((r) => ({ ...r, runner: 'linux-x64 · Faster CPU · 2 cores · node 20' }));
    const other = analyze(faster, run(0.13));
    expect(other.candidates).toMatchObject({ sameConfig: 10, sameRunner: 0 });
    expect(find(other, 'cpu_per_request').outcome).toBe('insufficient baseline');
    const intro = regressionView(other, unitsOf({})).intro;
    expect(intro).toContain('**History holds no run of this config on this runner class**');
    expect(intro).toContain(RUNNER);
    // Some runs of another class beside enough of this one: counted out loud.
    expect(regressionView(analyze([...faster.slice(0, 3), ...withCpu(history(10, 6), 0.1)], run(0.1)), unitsOf({})).intro).toContain(
      '3 runs of this config measured on another runner class (CPU model, cores or Node version) are left out',
    );
  });

  it("an open model's request rate is not compared in history mode either (the schedule sets it), and the report says so", () => {
    const result = JSON.parse(readFileSync(new URL('../../../fixtures/results/demo-pass.json', import.meta.url), 'utf8')) as RunResult;
    const c = currentFromResult(undefined, result);
    const open = result.scenarios.filter((s) => (s.settings.rate ?? 0) > 0).map((s) => s.name);
    expect(open.length).toBeGreaterThan(0);
    expect(c.leftOut).toContainEqual({ scenario: open[0], metric: 'rps', why: 'the open model sets the request rate' });
    // A closed-model run of the same shape compares throughput as before.
    const slower = history(11, 10);
    const a = analyze(slower, {
      ...current(111, { rps: 700 }),
      leftOut: [{ scenario: 'api', metric: 'rps', why: 'the open model sets the request rate' }],
    });
    expect(a.comparisons.some((x) => x.metric === 'rps')).toBe(false);
    expect(a.counts.regression).toBe(0);
    expect(regressionView(a, unitsOf({})).intro).toContain('Not compared: Throughput of "api" (the open model sets the request rate).');
    expect(find(analyze(slower, current(111, { rps: 700 })), 'rps').outcome).toBe('regression');
  });

  it('memory growth is compared over 30 s of load or not at all (a short run reads heap sizing), and the report says so', () => {
    const stored = JSON.parse(readFileSync(new URL('../../../fixtures/results/demo-pass.json', import.meta.url), 'utf8')) as RunResult;
    const growth = { slope: 3 * 2 ** 20, ci: [2 * 2 ** 20, 4 * 2 ** 20] as [number, number], r2: 0.6, samples: 120, effectiveSamples: 40 };
    const result = {
      ...stored,
      service: { ...stored.service, memory: { ...stored.service.memory!, growth: { ...growth, steady: false, sentence: '' } } },
    };
    const long = currentFromResult(undefined, result);
    expect(long.memoryGrowth?.slope).toBe(result.service.memory!.growth!.slope);
    expect(long.leftOut!.some((l) => l.metric === 'memory.growth')).toBe(false);
    // The same run cut to three 1 s trials of one scenario: 3 s of load.
    const [first] = result.scenarios.filter((s) => !s.ramp);
    const short = currentFromResult(undefined, {
      ...result,
      scenarios: [{ ...first!, settings: { ...first!.settings, trials: 3, durationMs: 1000 }, trials: first!.trials.slice(0, 3) }],
    });
    expect(short.leftOut).toContainEqual({
      scenario: 'the whole run',
      metric: 'memory.growth',
      why: '3 s of load; a leak needs at least 30 s to tell from heap sizing',
    });
  });

  it('the window keeps the last N runs', () => {
    const a = analyze(history(8, 30), current(107, {}), { ...REGRESSION_DEFAULTS, window: 10 });
    expect(a.baseline[0]!.id).toBe('run-0020');
    expect(a.baseline).toHaveLength(10);
  });

  it('a significant but small change (below δ) does not fail the gate', () => {
    // Very quiet history: +3 % p50 is detectable but below δ = 5 %.
    const runs = history(9, 20).map((r) => ({
      ...r,
      scenarios: [{ name: 'api', trials: trials(createRng(r.id.length + Number(r.id.slice(4))), {}, 5, 0.002) }],
    }));
    const a = analyze(runs, { ...current(0, {}), scenarios: [{ name: 'api', trials: trials(createRng(1), { p50: 2.06 }, 5, 0.002) }] });
    const p50 = find(a, 'p50');
    expect(p50.change).toBeGreaterThan(0.02);
    expect(p50.band![0]).toBeGreaterThan(0); // clearly different from zero…
    expect(p50.pAdjusted).toBeGreaterThan(0.05); // …but not significantly above δ = 5 %
    expect(p50.outcome).not.toBe('regression');
  });

  it('errors where the baseline had none are a regression once they reach δ; a trace below δ is not', () => {
    const a = analyze(history(10, 10), current(108, { errors: 50, attempts: 5000 })); // 1 %
    expect(find(a, 'errors')).toMatchObject({ outcome: 'regression', baseline: 0 });
    expect(find(a, 'errors').note).toMatch(/had none/);
    const trace = analyze(history(10, 10), current(108, { errors: 1, attempts: 5000 })); // 0.02 %
    expect(find(trace, 'errors').outcome).toBe('confident pass');
  });

  it('errors rising against a baseline that had some: two-proportion test inside the Holm family', () => {
    const a = analyze(
      history(11, 10, () => ({ errors: 5 })),
      current(109, { errors: 100 }),
    ); // 0.1 % → 2 %
    const e = find(a, 'errors');
    expect(e.outcome).toBe('regression');
    expect(e.p).toBeLessThan(1e-10);
    const same = analyze(
      history(11, 10, () => ({ errors: 5 })),
      current(109, { errors: 6 }),
    );
    expect(find(same, 'errors').outcome).toBe('confident pass');
  });

  it('a true shift just under δ (a noisy neighbour) is not a regression; the same shift above δ is', () => {
    const under = analyze(history(15, 12), current(113, { p50: 2.09 })); // +4.5 %
    expect(find(under, 'p50').outcome).not.toBe('regression');
    const over = analyze(history(15, 12), current(113, { p50: 2.5 })); // +25 %
    expect(find(over, 'p50').outcome).toBe('regression');
    expect(find(over, 'p50').mde).toBeGreaterThan(0.05); // the MDE of a minimum-effect test exceeds δ
  });

  it('Holm makes the family stricter than each test alone', () => {
    const a = analyze(history(12, 20), current(110, { p50: 2.2 }));
    const tested = a.comparisons.filter((c) => c.p !== null);
    for (const c of tested) expect(c.pAdjusted!).toBeGreaterThanOrEqual(c.p!);
  });

  it('regression.gate: a worse metric outside the gate is reported but cannot fail; Holm counts only the gating family', () => {
    // +30 % at p50 only.
    const run = current(101, { p50: 2.6 });
    const outside = analyze(history(2, 20), run, { ...REGRESSION_DEFAULTS, gate: ['p95', 'rps', 'errors'] });
    expect(find(outside, 'p50')).toMatchObject({ outcome: 'regression', gating: false });
    expect(find(outside, 'p95').gating).toBe(true);
    expect(outside.counts.regression).toBe(0);
    expect(decide([], null, outside).verdict).toBe('pass');
    const inside = analyze(history(2, 20), run, { ...REGRESSION_DEFAULTS, gate: ['p50', 'p95', 'rps', 'errors'] });
    expect(inside.counts.regression).toBe(1);
    expect(decide([], null, inside).verdict).toBe('fail');
    // One gating comparison with a test: its adjusted p is its own.
    const alone = analyze(history(2, 20), run, { ...REGRESSION_DEFAULTS, gate: ['p95'] });
    expect(find(alone, 'p95').pAdjusted).toBeCloseTo(find(alone, 'p95').p!, 12);
  });

  it('a confident pass is a one-sided upper bound of the worsening below δ; moderation narrows the noisiest band', () => {
    const runs = history(3, 10);
    const a = analyze(runs, current(102, {}), { ...REGRESSION_DEFAULTS, spreads: 'moderated' });
    const p95 = find(a, 'p95');
    expect(p95.outcome).toBe('confident pass');
    expect(p95.upper!).toBeLessThan(p95.delta);
    expect(p95.upper!).toBeGreaterThan(p95.change!);
    expect(p95.upper!).toBeLessThan(p95.band![1]); // one-sided 95 % sits inside the two-sided 95 % band
    const own = analyze(runs, current(102, {}));
    const width = (c: { band: [number, number] | null }): number => c.band![1] - c.band![0];
    // p99 has the widest spread of the family: shrunk toward the others, on more degrees of freedom.
    expect(width(find(a, 'p99'))).toBeLessThan(width(find(own, 'p99')));
    // A +30 % p95 is never a confident pass.
    expect(find(analyze(runs, current(102, { p95: 6.5 })), 'p95').outcome).toBe('regression');
  });

  it('a workflow metric is compared only where it exists', () => {
    const runs = history(13, 6, () => ({ wps: 150 }));
    const a = analyze(runs, current(111, { wps: 100 }));
    expect(find(a, 'workflows_per_s')).toMatchObject({ outcome: 'regression', worse: 'down' });
    const single = analyze(history(14, 6), current(112, {}));
    expect(single.comparisons.some((c) => c.metric === 'workflows_per_s')).toBe(false);
  });
});

describe('history comparison of service internals', () => {
  const MB = 1024 ** 2;
  const withInternals = (records: ReturnType<typeof history>, rng = createRng(9)) =>
    records.map((r) => ({
      ...r,
      scenarios: [
        {
          ...r.scenarios[0]!,
          trials: r.scenarios[0]!.trials.map((t) => ({ ...t, metrics: { hit_rate: 0.95 * Math.exp(0.01 * rng.normal()) } })),
        },
        { name: 'ramp', trials: [], capacity: 12_000 * Math.exp(0.03 * rng.normal()) },
      ],
      service: { cpuMean: 10, memoryPeak: 1e8, memoryGrowth: (2 + rng.normal()) * MB, memoryGrowthSe: 1.5 * MB },
    }));
  const run = (o: { hit?: number; capacity?: number | null; growth?: number }): CurrentRun => {
    const rng = createRng(77);
    return {
      fingerprint: FP,
      runner: RUNNER,
      scenarios: [
        {
          name: 'api',
          trials: trials(rng, {}).map((t) => ({ ...t, metrics: { hit_rate: (o.hit ?? 0.95) * Math.exp(0.01 * rng.normal()) } })),
        },
        { name: 'ramp', trials: [], capacity: o.capacity === undefined ? 12_000 : o.capacity },
      ],
      memoryGrowth: { slope: (o.growth ?? 2) * MB, se: 1.5 * MB },
      definitions: [{ name: 'hit_rate', better: 'higher', delta: 0.05, unit: 'fraction' }],
    };
  };
  const stored = withInternals(history(3, 20));

  it('an unchanged run: capacity, growth and the defined metric are compared and quiet', () => {
    const a = analyze(stored, run({}));
    expect(find(a, 'capacity')).toMatchObject({ scenario: 'ramp', worse: 'down', runs: 20 });
    expect(find(a, 'memory.growth')).toMatchObject({ scenario: 'the whole run', worse: 'up', runs: 20 });
    expect(find(a, 'hit_rate')).toMatchObject({ scenario: 'api', worse: 'down', delta: 0.05 });
    expect(a.counts.regression).toBe(0);
    expect(find(a, 'capacity').outcome).not.toBe('regression');
  });

  it('capacity down 40 %, the cache hit rate down 30 %, and a 60 MB/min leak are each a regression', () => {
    const a = analyze(stored, run({ capacity: 7200, hit: 0.66, growth: 60 }));
    expect(find(a, 'capacity')).toMatchObject({ outcome: 'regression' });
    expect(find(a, 'capacity').change).toBeCloseTo(0.4, 1);
    // A share is compared on its own scale: 95 % → 66 % is 29 percentage points worse.
    expect(find(a, 'hit_rate')).toMatchObject({ outcome: 'regression', scale: 'abs' });
    expect(find(a, 'hit_rate').change!).toBeCloseTo(0.29, 2);
    // Memory growth is compared on its own scale: the change is in bytes per minute.
    expect(find(a, 'memory.growth').outcome).toBe('regression');
    expect(find(a, 'memory.growth').change! / MB).toBeCloseTo(58, 0);
    expect(decide([], null, a).verdict).toBe('fail');
  });

  it('a hit rate that falls to 0 is still compared (a log scale would have no value there)', () => {
    const c = find(analyze(stored, run({ hit: 0 })), 'hit_rate');
    expect(c).toMatchObject({ outcome: 'regression', current: 0, scale: 'abs' });
    // Each stored run's level is its best trial (the highest hit rate, ≈ 0.95 + noise).
    expect(c.change!).toBeCloseTo(c.baseline!, 6);
    expect(c.change!).toBeGreaterThan(0.94);
    expect(c.change!).toBeLessThan(0.98);
    expect(find(analyze(stored, run({ hit: 0.94 })), 'hit_rate').outcome).not.toBe('regression');
  });

  it('growth left out (a run too short to tell a leak from heap sizing) is not compared, and the report says why', () => {
    const why = '3 s of load; a leak needs at least 30 s to tell from heap sizing';
    expect(find(analyze(stored, run({ growth: 60 })), 'memory.growth').outcome).toBe('regression');
    const a = analyze(stored, { ...run({ growth: 60 }), leftOut: [{ scenario: 'the whole run', metric: 'memory.growth', why }] });
    expect(a.comparisons.some((x) => x.metric === 'memory.growth')).toBe(false);
    expect(a.counts.regression).toBe(0);
    expect(regressionView(a, unitsOf({})).intro).toContain(`Not compared: Memory growth of the whole run (${why}).`);
  });

  it('growth within δ (5 MB/min) of the baseline is not a regression, however certain', () => {
    const a = analyze(stored, run({ growth: 5 }));
    expect(find(a, 'memory.growth').outcome).not.toBe('regression');
  });

  it('a ramp where no step met the conditions, against a history that found capacity, is a regression', () => {
    const c = find(analyze(stored, run({ capacity: null })), 'capacity');
    expect(c.outcome).toBe('regression');
    expect(c.note).toContain('no step of the ramp met the conditions');
  });

  it('older records without these figures: insufficient baseline, not a crash', () => {
    const a = analyze(history(3, 20), run({}));
    expect(find(a, 'capacity').outcome).toBe('insufficient baseline');
    expect(find(a, 'memory.growth').outcome).toBe('insufficient baseline');
    expect(find(a, 'hit_rate').outcome).toBe('insufficient baseline');
  });
});

describe('the yardstick in history', () => {
  /** Runs whose every trial carries a yardstick reading (ms per operation) and a CPU per request. */
  const withYardstick = (rs: ReturnType<typeof history>, ys: (i: number) => number, cpu: (i: number) => number) =>
    rs.map((r, i) => ({
      ...r,
      scenarios: r.scenarios.map((s) => ({
        ...s,
        trials: s.trials.map((t, k) => ({
          ...t,
          yardstickPerOp: ys(i) * (1 + 0.005 * Math.sin(k)),
          cpuPerRequest: cpu(i) * (1 + 0.005 * Math.cos(k)),
        })),
      })),
    }));
  const run = (ys: number, cpu: number): CurrentRun => {
    const c = current(120, {});
    return {
      ...c,
      scenarios: c.scenarios.map((s) => ({ ...s, trials: s.trials.map((t) => ({ ...t, yardstickPerOp: ys, cpuPerRequest: cpu })) })),
    };
  };

  it('a slower machine moment moves the service and the yardstick alike: relative CPU per request holds, raw CPU per request moves', () => {
    // Stored runs on moments ±15 % apart in speed; CPU per request and the yardstick move together.
    const speed = (i: number) => 1 + 0.15 * Math.sin(i * 1.7);
    const stored = withYardstick(
      history(30, 12),
      (i) => 0.85 * speed(i),
      (i) => 0.1 * speed(i),
    );
    // This run on a moment 12 % slower than the median stored one, same code.
    const a = analyze(stored, run(0.85 * 1.12, 0.1 * 1.12));
    expect(find(a, 'relative_cpu_per_request').outcome).toBe('confident pass');
    expect(find(a, 'relative_cpu_per_request').change!).toBeLessThan(0.01);
    // The same code 20 % more work on that moment: relative CPU per request proves it.
    const worse = analyze(stored, run(0.85 * 1.12, 0.1 * 1.12 * 1.2));
    const rel = find(worse, 'relative_cpu_per_request');
    expect(rel.outcome).toBe('regression');
    expect(rel.change!).toBeGreaterThan(0.18);
    expect(rel.change!).toBeLessThan(0.22);
  });

  it('stored runs measured on a machine of another speed are left out, runs without a yardstick kept, and the report says both', () => {
    const fast = withYardstick(
      history(31, 6),
      () => 0.35,
      () => 0.04,
    );
    const same = withYardstick(
      history(32, 8).map((r) => ({ ...r, id: `same-${r.id}` })),
      () => 0.85,
      () => 0.1,
    );
    const none = history(33, 2).map((r) => ({ ...r, id: `none-${r.id}` }));
    const a = analyze([...fast, ...same, ...none], run(0.86, 0.1));
    expect(a.candidates.yardstick).toMatchObject({ outside: 6, without: 2 });
    expect(a.candidates.yardstick!.perOpUs).toBeCloseTo(860, 0);
    expect(a.baseline).toHaveLength(10);
    expect(a.baseline.some((b) => fast.some((f) => f.id === b.id))).toBe(false);
    // The relative comparison uses only the runs that have a yardstick.
    expect(find(a, 'relative_cpu_per_request').runs).toBe(8);
    const intro = regressionView(a, unitsOf({})).intro;
    expect(intro).toContain('yardstick took 860 µs of CPU per operation');
    expect(intro).toContain('6 default-branch runs were left out: measured on a machine of another speed.');
    expect(intro).toContain('2 stored runs without a yardstick');
    // A run without a yardstick filters nothing.
    expect(analyze([...fast, ...same], current(121, {})).candidates.yardstick).toBeUndefined();
  });
});

describe('a run measured on a busier (or quieter) machine than its stored runs', () => {
  /** Every scenario of these runs carries the machine's other work: `others` CPUs busy of 2. */
  const onMachine = <T extends { scenarios: { name: string }[] }>(r: T, others: number): T => ({
    ...r,
    scenarios: r.scenarios.map((s) => ({ ...s, machine: { otherCpus: others, cpus: 2 } })),
  });
  const stored = (others: number) => history(40, 12).map((r) => onMachine(r, others));
  // Latency +30 % and throughput −30 %: what a CPU-bound neighbour did to gunicorn + Flask.
  const slower = (others: number) => onMachine(current(130, { p50: 2.6, p95: 6.5, p99: 11.7, rps: 700 }), others);

  it('busier by a quarter of the CPUs or more: no speed regression is called, each says why, and the report says so', () => {
    const a = analyze(stored(0.05), slower(1.0));
    expect(a.candidates.machine).toEqual({ otherCpus: 1, cpus: 2, storedOtherCpus: 0.05, runs: 12, differs: 'busier', factor: 1.95 });
    for (const m of ['p50', 'p95', 'p99', 'rps']) {
      const c = find(a, m);
      expect(c.outcome, m).toBe('inconclusive');
      expect(c.change!).toBeGreaterThan(0.25); // the change is still reported as measured
      expect(c.note).toContain(
        'not called a regression: other work kept 1.00 of 2 CPUs busy in this run, 0.05 in the stored runs, which alone could make this figure up to ×1.95 worse',
      );
    }
    expect(a.counts.regression).toBe(0);
    expect(decide([], null, a).verdict).toBe('pass');
    const said = regressionSentences({ regression: a } as RunResult).join(' ');
    expect(said).toContain(
      "**This run's machine was busier than its stored runs'** (other work kept 1 of 2 CPUs busy, 0.05 in the stored runs)",
    );
    expect(said).toMatch(/worse as measured: p95 latency of "api" \+\d+\.\d %/);
    expect(said).toContain('a speed regression is called only beyond the ×1.95 the machine alone could explain');
    expect(said).toContain('no regression was called in');
    expect(regressionView(a, unitsOf({})).intro).toContain(
      "Other work on the machine kept 1 of its 2 CPUs busy during this run, 0.05 during the stored runs (median of 12). **This run's machine was busier**",
    );
  });

  it('a worsening beyond what the busier machine could explain is still called: a 2 ms wait on a sub-millisecond p95', () => {
    // ×3.5 latency and ÷4 throughput (what a 2 ms wait did to the demo) against ×1.95 the machine explains.
    const waits = onMachine(current(130, { p50: 7, p95: 17.5, p99: 31.5, rps: 250 }), 1.0);
    const a = analyze(stored(0.05), waits);
    for (const m of ['p50', 'p95', 'p99', 'rps']) {
      const c = find(a, m);
      expect(c.outcome, `${m}: ${c.note}`).toBe('regression');
      expect(c.note).toContain('called a regression although other work kept 1.00 of 2 CPUs busy in this run');
      expect(c.note).toContain('beyond the ×1.95 the machine alone could explain');
    }
    expect(decide([], null, a).verdict).toBe('fail');
    // With almost no CPU left to the run, nothing is beyond what the machine explains.
    const full = analyze(stored(0.05), onMachine(current(130, { p50: 7, p95: 17.5, p99: 31.5, rps: 250 }), 1.9));
    expect(full.candidates.machine!.factor).toBeNull();
    expect(find(full, 'p95').outcome).toBe('inconclusive');
    expect(regressionSentences({ regression: full } as RunResult).join(' ')).toContain('no speed regression is called on it');
  });

  it('how much slower the machine alone could make a run: the CPUs left to the stored runs against those left to it', () => {
    expect(machineFactor({ otherCpus: 1, cpus: 2, storedOtherCpus: 0.05 })).toBeCloseTo(1.95, 10);
    expect(machineFactor({ otherCpus: 0.05, cpus: 2, storedOtherCpus: 1 })).toBeCloseTo(1.95, 10); // quieter: as much faster
    expect(machineFactor({ otherCpus: 3, cpus: 4, storedOtherCpus: 0 })).toBe(4);
    expect(machineFactor({ otherCpus: 1.85, cpus: 2, storedOtherCpus: 0 })).toBeNull(); // under a tenth of the CPUs left
  });

  it('errors are judged on a busy machine all the same', () => {
    const run = slower(1.0);
    run.scenarios[0]!.trials = run.scenarios[0]!.trials.map((t) => ({ ...t, errors: Math.round(t.attempts * 0.05) }));
    const a = analyze(stored(0.05), run);
    expect(find(a, 'errors').outcome).toBe('regression');
  });

  it('the same slowdown on a machine as busy as the stored runs’ (or quieter) is a regression', () => {
    for (const [base, now] of [
      [0.05, 0.4], // busier, but by less than a quarter of the CPUs
      [1.0, 1.0],
      [1.0, 0.05], // quieter: a worsening measured on a quieter machine stands
    ] as const) {
      const a = analyze(stored(base), slower(now));
      for (const m of ['p50', 'p95', 'p99', 'rps']) expect(find(a, m).outcome, `${m} ${base} → ${now}`).toBe('regression');
    }
  });

  it('quieter by a quarter of the CPUs or more: an improvement is not called one', () => {
    const faster = onMachine(current(131, { p50: 1.4, p95: 3.5, p99: 6.3, rps: 1300 }), 0.02);
    const a = analyze(stored(1.0), faster);
    expect(a.candidates.machine!.differs).toBe('quieter');
    for (const m of ['p50', 'p95', 'p99', 'rps']) expect(find(a, m).outcome, m).toBe('inconclusive');
    expect(find(a, 'p50').note).toContain('not called an improvement');
    expect(regressionView(a, unitsOf({})).intro).toContain(
      "This run's machine was quieter: an improvement of latency, throughput or CPU per request is called one only beyond the ×1.98 the machine alone could explain.",
    );
    // An improvement beyond the ×1.98 the quieter machine explains is called one.
    const muchFaster = analyze(stored(1.0), onMachine(current(132, { p50: 0.4, p95: 1, p99: 1.8, rps: 4500 }), 0.02));
    for (const m of ['p50', 'p95', 'p99', 'rps']) expect(find(muchFaster, m).outcome, find(muchFaster, m).note).toBe('improvement');
    expect(find(muchFaster, 'p95').note).toContain('called an improvement although');
    // Stored runs with almost no CPU left: no factor, and no improvement is called at all.
    const fromFull = analyze(
      history(40, 12).map((r) => onMachine(r, 1.9)),
      onMachine(current(131, { p50: 0.5, p95: 1.2, p99: 2, rps: 4000 }), 0.02),
    );
    expect(fromFull.candidates.machine!.factor).toBeNull();
    expect(find(fromFull, 'p95').outcome).toBe('inconclusive');
    expect(regressionView(fromFull, unitsOf({})).intro).toContain('the stored runs had almost no CPU left');
  });

  it('without the figure on either side nothing changes', () => {
    expect(analyze(history(40, 12), slower(1.0)).candidates.machine).toBeUndefined();
    expect(find(analyze(stored(0.05), current(130, { p95: 6.5 })), 'p95').outcome).toBe('regression');
  });
});

describe('the summary of a history comparison', () => {
  it('a gating figure worse past δ but not proven is named with its band, not folded into "no regression"', () => {
    const a = analyze(history(50, 12), current(150, { p95: 6.5 }));
    const p95 = find(a, 'p95');
    expect(p95.outcome).toBe('regression');
    // The same figures where the runs scattered too much to prove it (as a sub-millisecond p95 can).
    const unproven = {
      ...a,
      comparisons: a.comparisons.map((c) =>
        c === p95 ? { ...c, outcome: 'inconclusive' as const, band: [-0.05, 0.9] as [number, number] } : c,
      ),
    };
    const said = regressionSentences({ regression: unproven } as RunResult);
    expect(said.join(' ')).toMatch(/no regression was found in \d+ comparisons/);
    expect(said.join(' ')).toMatch(
      /Worse past δ but not proven \(the runs scatter too much to tell\): p95 latency of "api" \+\d+\.\d % worse \(95 % band −5 % … \+90 %\)\./,
    );
    // Nothing of the kind when every gating figure held.
    expect(regressionSentences({ regression: analyze(history(50, 12), current(151, {})) } as RunResult).join(' ')).not.toContain(
      'not proven',
    );
  });
});
