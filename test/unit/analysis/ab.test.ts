import { describe, expect, it } from 'vitest';
import { abCounts, analyzeAb, duetAdmission, DUET_ADMITTED, lookSchedule, sentence, stopReason } from '../../../src/analysis/ab.js';
import { REGRESSION_DEFAULTS } from '../../../src/config/types.js';
import { abGate, DUET_GATE } from '../../../src/analysis/compared-metrics.js';
import { calibrate } from '../../../src/analysis/calibration.js';
import { decide } from '../../../src/analysis/verdict.js';
import { trialFigures, type TrialFigures } from '../../../src/contract/record.js';
import type { TrialResult } from '../../../src/contract/result.js';
import { createRng } from '../../../src/stats/rng.js';
import { trials, type Level } from '../../history-fixtures.js';

const settings = { alpha: 0.05, looks: 1, delta: REGRESSION_DEFAULTS.delta };
const side = (seed: number, level: Level, n: number, noise = 0.02): Map<string, TrialFigures[]> =>
  new Map([['api', trials(createRng(seed), level, n, noise)]]);
const find = (cs: ReturnType<typeof analyzeAb>, metric: string) => cs.find((c) => c.metric === metric)!;

describe("A/B mode's gate by design", () => {
  it("duet: CPU per request (the service's and the system's), errors, p50 and p95; interleaved: the default plus CPU; a written gate is kept; capacity and memory growth are never in an A/B gate", () => {
    const def = REGRESSION_DEFAULTS.gate;
    expect(abGate(def, false, 'duet')).toEqual({ gate: DUET_GATE, from: "the duet's default; regression.gate chooses others" });
    expect(DUET_GATE).toEqual(['cpu_per_request', 'system_cpu_per_request', 'errors', 'p50', 'p95']);
    // One figure per run of the head, never compared with the base: out of the list, judged by targets.
    expect(abGate(def, undefined, 'interleaved').gate).toEqual([
      ...def.filter((m) => m !== 'capacity' && m !== 'memory.growth'),
      'cpu_per_request',
      'system_cpu_per_request',
    ]);
    expect(abGate(['p95', 'capacity', 'memory.growth'], true, 'duet')).toEqual({ gate: ['p95'], from: 'regression.gate' });
    // A defined metric with a direction keeps gating in a duet.
    expect(abGate([...def, 'cache_hit_rate'], false, 'duet').gate).toEqual([...DUET_GATE, 'cache_hit_rate']);
  });
});

describe("the system's CPU per request: the service's and its own dependencies'", () => {
  // One trial of 1,000 responses: the service spends `svcUs` µs a request, its database `dbUs`
  // µs a request plus `backgroundMs` of its own housekeeping (checkpoints, autovacuum) in the trial.
  const trial = (svcUs: number, dbUs: number, backgroundMs: number): TrialFigures =>
    trialFigures({
      latency: { p50: 1, p95: 2, p99: 3 },
      rps: 1000,
      requests: 1000,
      errors: { total: 0, timeouts: 0, connection: 0 },
      serviceCpu: { ns: svcUs * 1e6, perRequestUs: svcUs, source: 'cgroup' },
      dependencyCpu: { ns: dbUs * 1e6 + backgroundMs * 1e6, perRequestUs: dbUs + backgroundMs, byName: { postgres: 0 } },
    } as unknown as TrialResult);

  it('is the sum per response, in ms as history keeps it', () => {
    expect(trial(500, 100, 0).systemCpuPerRequest).toBeCloseTo(0.6, 9);
    expect(trial(500, 100, 0).dependencyCpuPerRequest).toBeCloseTo(0.1, 9);
  });

  it("gates where the database's own figure cannot: its housekeeping swamps the little a cached route costs it", () => {
    const rng = createRng(7);
    // A cached route: the database does 2 µs a request; housekeeping of 0–10 ms lands in some trials.
    const side = () => Array.from({ length: 8 }, () => trial(500 * (1 + 0.01 * (rng.next() - 0.5)), 2, 10 * rng.next()));
    const cs = analyzeAb(new Map([['api', side()]]), new Map([['api', side()]]), {
      ...settings,
      gate: ['system_cpu_per_request', 'dependency_cpu_per_request'],
    });
    expect(find(cs, 'dependency_cpu_per_request').outcome).toBe('inconclusive');
    expect(find(cs, 'system_cpu_per_request').outcome).toBe('confident pass');
  });

  it("proves a scan no index serves: the database's work doubles, the service's does not move", () => {
    const rng = createRng(8);
    const side = (dbUs: number) => Array.from({ length: 6 }, () => trial(500 * (1 + 0.02 * (rng.next() - 0.5)), dbUs, rng.next()));
    const cs = analyzeAb(new Map([['api', side(150)]]), new Map([['api', side(300)]]), {
      ...settings,
      gate: ['cpu_per_request', 'system_cpu_per_request'],
    });
    expect(find(cs, 'system_cpu_per_request').outcome).toBe('regression');
    expect(find(cs, 'system_cpu_per_request').change).toBeCloseTo(150 / 650, 1);
    expect(find(cs, 'cpu_per_request').outcome).not.toBe('regression');
    expect(sentence(find(cs, 'system_cpu_per_request'))).toMatch(
      /^System CPU per request \(service and its dependencies\) of api is 2\d(\.\d)? % higher/,
    );
  });
});

describe('a duet crossed over: the slot effect cancels', () => {
  // The same build on both sides; whoever holds the first slot reads p50 25 % faster (a slot
  // effect of the kind measured on gunicorn with Connection: close). Pairs 1–3 and 7–8 have the
  // base in the first slot, 4–6 the head.
  const arrangement = [0, 0, 0, 1, 1, 1, 0, 0] as const;
  const rng = createRng(42);
  const base = trials(createRng(1), {}, 8, 0.01);
  const head = base.map((t, i) => {
    const slot = arrangement[i] === 0 ? 1.25 : 0.8; // the head in the second slot reads slower
    const noise = 1 + (rng.next() - 0.5) * 0.02;
    return { ...t, p50: t.p50! * slot * noise, p95: t.p95! * noise, p99: t.p99! * noise };
  });
  const settingsX = { ...settings, looks: 8 };

  it('a same-build pair read in both arrangements: no change; read as one arrangement: a "regression"', () => {
    const crossed = find(
      analyzeAb(new Map([['api', base]]), new Map([['api', head]]), { ...settingsX, arrangement: [...arrangement] }),
      'p50',
    );
    expect(crossed.outcome).not.toBe('regression');
    expect(Math.abs(crossed.change)).toBeLessThan(0.03);
    expect(crossed.slotEffect).toBeGreaterThan(0.2);
    const plain = find(analyzeAb(new Map([['api', base.slice(0, 3)]]), new Map([['api', head.slice(0, 3)]]), settingsX), 'p50');
    expect(plain.change).toBeGreaterThan(0.2);
  });

  it('a real +30 % in the head is still proven, the slot effect apart', () => {
    const slower = head.map((t) => ({ ...t, p50: t.p50! * 1.3 }));
    const c = find(analyzeAb(new Map([['api', base]]), new Map([['api', slower]]), { ...settingsX, arrangement: [...arrangement] }), 'p50');
    expect(c.outcome).toBe('regression');
    expect(c.change).toBeGreaterThan(0.25);
    expect(c.change).toBeLessThan(0.35);
  });
});

describe('latency and memory growth gate in a duet on the δ its pairs can resolve', () => {
  const c = (metric: string, spread: number, delta: number, scale?: 'abs') =>
    ({ scenario: 'api', metric, spread, delta, gating: true, ...(scale ? { scale } : {}) }) as unknown as Parameters<
      typeof duetAdmission
    >[0][number];
  const s = { alpha: 0.05, looks: 8, gate: DUET_GATE, maxTrials: 20 };

  it('a steady p50 gates on its δ; a p95 that scatters ±26 % gates on the change 20 pairs resolve, and says why; CPU is not its business', () => {
    const out = duetAdmission([c('p50', 0.02, 0.05), c('p95', 0.26, 0.1), c('cpu_per_request', 0.5, 0.04)], s);
    // 20 pairs at 0.625 % a look: t 2.78; a half-width of δ/2 at ±26 % needs log-δ 0.323, +39 % (rounded up).
    expect([...out.widened]).toEqual([['p95 of api', 0.39]]);
    expect(out.notGating.size).toBe(0);
    expect(out.why.get('p95 of api')).toMatch(
      /^its pairs scatter ±26 % here, too widely to resolve δ 10 % within 20 pairs \(that needs ±\d(\.\d)? % or less\); it gates on changes of 39 % or more$/,
    );
  });

  it('a lean read from stored duets counts: more pairs do not shrink it, so it widens δ however steady the pairs', () => {
    const leaning = { ...c('p50', 0.01, 0.05), lean: { sd: 0.042, runs: 12 } };
    // 2 · 2.78 · √(0.01²/20 + 0.042²) = 0.234 on the log scale: +27 % (rounded up).
    const out = duetAdmission([leaning], s);
    expect([...out.widened]).toEqual([['p50 of api', 0.27]]);
    expect(out.why.get('p50 of api')).toBe(
      'its estimate leans ±4.2 % from run to run (12 stored duets), which more pairs do not shrink, and its pairs scatter ±1 % here: too widely to resolve δ 5 % within 20 pairs; it gates on changes of 27 % or more',
    );
    // A lean well inside δ changes nothing.
    expect(duetAdmission([{ ...leaning, lean: { sd: 0.005, runs: 12 } }], s).why.size).toBe(0);
  });

  it('beyond a doubling a latency does not gate, and says why; too few pairs to tell its spread, neither', () => {
    const out = duetAdmission([c('p95', 0.9, 0.1), c('p50', Number.POSITIVE_INFINITY, 0.05)], s);
    expect(DUET_ADMITTED.p95!.cap).toBe(1);
    expect(out.widened.size).toBe(0);
    expect(out.notGating.get('p95 of api')).toMatch(/^its pairs scatter ±90 % here, too widely .*, or any change below ×2$/);
    expect(out.notGating.get('p50 of api')).toBe('too few pairs to tell how widely they scatter');
  });

  it('the limit is a half-width of δ/2 at max-trials: more pairs admit a wider spread', () => {
    // 20 pairs: p50 (δ 5 %) gates on its δ up to ±4.0 %; 40 pairs, up to ±6.0 %.
    expect(duetAdmission([c('p50', 0.045, 0.05)], s).widened.get('p50 of api')).toBeCloseTo(0.06, 5);
    expect(duetAdmission([c('p50', 0.045, 0.05)], { ...s, maxTrials: 40 }).why.size).toBe(0);
    expect(duetAdmission([c('p50', 0.03, 0.05)], s).why.size).toBe(0);
  });

  it('memory each request leaves behind (where the gate names it): in bytes, widened in steps of 16 B up to 4 KB', () => {
    const m = { ...s, gate: [...DUET_GATE, 'memory_per_request'] };
    // Out of the duet's default gate: left alone.
    expect(duetAdmission([c('memory_per_request', 300, 256, 'abs')], s).why.size).toBe(0);
    // 20 pairs resolve δ 256 B up to ±206 B; at ±300 B they resolve 2·2.78·300/√20 = 373 B, rounded up to 384 B.
    const out = duetAdmission([c('memory_per_request', 150, 256, 'abs'), c('memory_per_request', 20, 256, 'abs')], {
      ...m,
    });
    expect(out.widened.size).toBe(0);
    const wide = duetAdmission([c('memory_per_request', 300, 256, 'abs')], m);
    expect([...wide.widened]).toEqual([['memory_per_request of api', 384]]);
    expect(wide.why.get('memory_per_request of api')).toBe(
      'its pairs scatter ±300 B here, too widely to resolve δ 256 B within 20 pairs (that needs ±206 B or less); it gates on changes of 384 B or more',
    );
    expect(duetAdmission([c('memory_per_request', 4000, 256, 'abs')], m).notGating.get('memory_per_request of api')).toMatch(
      /, or any change below 4 KB$/,
    );
  });

  it('a latency outside a written gate is left alone', () => {
    expect(duetAdmission([c('p95', 0.26, 0.1)], { ...s, gate: ['cpu_per_request'] }).why.size).toBe(0);
  });

  it('analyzeAb judges a widened comparison on its wider δ: +30 % is then a confident pass, not a regression', () => {
    const base = side(1, {}, 10);
    const head = side(2, { p50: 2.6, p95: 6.5, p99: 11.7 }, 10);
    expect(find(analyzeAb(base, head, settings), 'p50').outcome).toBe('regression');
    const wide = find(analyzeAb(base, head, { ...settings, widened: new Map([['p50 of api', 0.6]]) }), 'p50');
    expect(wide).toMatchObject({ delta: 0.6, outcome: 'confident pass' });
  });
});

describe('A/B decision on synthetic trials', () => {
  it('a known ratio: +30 % latency is a regression with an interval around 30 %', () => {
    const cs = analyzeAb(side(1, {}, 10), side(2, { p50: 2.6, p95: 6.5, p99: 11.7 }, 10), settings);
    const p50 = find(cs, 'p50');
    expect(p50.outcome).toBe('regression');
    expect(p50.change).toBeGreaterThan(0.25);
    expect(p50.change).toBeLessThan(0.35);
    expect(p50.ci[0]).toBeLessThan(0.3);
    expect(p50.ci[1]).toBeGreaterThan(0.3);
    expect(p50.sentence).toMatch(/^P50 of api is (29|3\d)(\.\d)? % slower \(90 % CI \+2\d(\.\d)? % to \+3\d(\.\d)? %\)\.$/);
    expect(find(cs, 'rps').outcome).toBe('confident pass');
    expect(
      decide([], null, null, { counts: { regression: 1, improvement: 0, 'confident pass': 0, inconclusive: 0 } } as never).verdict,
    ).toBe('fail');
  });

  it('a defined service metric with a direction is compared too; a share on its own scale, in percentage points', () => {
    const withHit = (m: Map<string, TrialFigures[]>, hit: number) =>
      new Map([...m].map(([k, ts]) => [k, ts.map((t, i) => ({ ...t, metrics: { hit_rate: hit + (i % 3) * 0.002 } }))]));
    const defs = { ...settings, definitions: [{ name: 'hit_rate', better: 'higher' as const, delta: 0.05, unit: 'fraction' }] };
    const cs = analyzeAb(withHit(side(1, {}, 10), 0.95), withHit(side(2, {}, 10), 0), defs);
    const hit = find(cs, 'hit_rate');
    expect(hit).toMatchObject({ outcome: 'regression', worse: 'down', scale: 'abs', head: expect.closeTo(0.002, 3) });
    expect(hit.change).toBeCloseTo(0.95, 2);
    expect(hit.sentence).toMatch(/^Hit_rate of api is 95 percentage points lower \(/);
    const same = find(analyzeAb(withHit(side(1, {}, 10), 0.95), withHit(side(2, {}, 10), 0.95), defs), 'hit_rate');
    expect(same.outcome).toBe('confident pass');
  });

  it('throughput: lower is worse; a faster head is an improvement', () => {
    const cs = analyzeAb(side(3, {}, 10), side(4, { rps: 700, p50: 1.4 }, 10), settings);
    expect(find(cs, 'rps')).toMatchObject({ outcome: 'regression', worse: 'down' });
    expect(find(cs, 'rps').sentence).toMatch(/^Throughput of api is \d+(\.\d)? % lower/);
    expect(find(cs, 'p50').outcome).toBe('improvement');
    expect(find(cs, 'p50').sentence).toMatch(/faster/);
  });

  it('a halving of throughput reads 50 % lower, its interval head against base (not base/head − 1 = +100 %)', () => {
    const cs = analyzeAb(side(3, {}, 10), side(4, { rps: 500 }, 10), settings);
    const rps = find(cs, 'rps');
    expect(rps.change).toBeCloseTo(0.5, 1); // kept as how much worse: the share of the base lost
    expect(rps.sentence).toMatch(/^Throughput of api is (49\.\d|50|50\.\d) % lower \(\d+(\.\d)? % CI −5\d(\.\d)? % to −4\d(\.\d)? %\)\.$/);
  });

  it('identical builds: no regression, quiet metrics are confident passes', () => {
    const cs = analyzeAb(side(5, {}, 20, 0.01), side(6, {}, 20, 0.01), settings);
    expect(cs.filter((c) => c.outcome === 'regression')).toEqual([]);
    expect(find(cs, 'p50').outcome).toBe('confident pass');
  });

  it('regression.beta sets the confident pass apart: a wider β narrows the interval and passes what α left open; p and regressions stay', () => {
    // Identical builds, 6 pairs with 4 % scatter: at α = β = 0.01 the upper ends reach past δ.
    const base = side(11, {}, 6, 0.04);
    const head = side(12, {}, 6, 0.04);
    const strict = analyzeAb(base, head, { ...settings, alpha: 0.01 });
    const apart = analyzeAb(base, head, { ...settings, alpha: 0.01, beta: 0.1 });
    expect(apart.map((c) => c.p)).toEqual(strict.map((c) => c.p));
    expect(apart.map((c) => c.pAdjusted)).toEqual(strict.map((c) => c.pAdjusted));
    expect(apart.filter((c) => c.outcome === 'regression')).toEqual([]);
    for (const [i, c] of apart.entries()) {
      expect(c.ciLevel).toBeCloseTo(0.8, 10);
      expect(strict[i]!.ciLevel).toBeCloseTo(0.98, 10);
      if (c.metric !== 'errors') expect(c.ci[1]).toBeLessThan(strict[i]!.ci[1]);
    }
    const passes = (cs: typeof strict): number => cs.filter((c) => c.outcome === 'confident pass').length;
    expect(passes(apart), JSON.stringify(strict.map((c) => [c.metric, c.outcome, c.ci[1], c.delta]))).toBeGreaterThan(passes(strict));
    // Without beta, the interval is α's, as before.
    expect(analyzeAb(base, head, { ...settings, alpha: 0.01, beta: 0.01 })).toEqual(strict);
  });

  it('all-equal values (ties everywhere): p = 1, change 0, a confident pass', () => {
    const flat: TrialFigures[] = Array.from({ length: 6 }, () => ({
      p50: 2,
      p95: 5,
      p99: 9,
      rps: 1000,
      workflowsPerSec: null,
      attempts: 100,
      errors: 0,
    }));
    const cs = analyzeAb(new Map([['api', flat]]), new Map([['api', flat]]), settings);
    const p50 = find(cs, 'p50');
    expect(p50).toMatchObject({ change: 0, outcome: 'confident pass' });
    expect(p50.p).toBeGreaterThan(0.4);
    expect(p50.sentence).toMatch(/is unchanged/);
  });

  it('one pair is no comparison at all; 30 pairs prove +10 %', () => {
    const small = analyzeAb(side(7, {}, 1), side(8, { p50: 2.6 }, 1), settings);
    expect(small.find((c) => c.metric === 'p50')).toBeUndefined(); // a paired t needs two pairs
    const large = analyzeAb(side(9, {}, 30), side(10, { p50: 2.2 }, 30), settings);
    expect(find(large, 'p50').outcome).toBe('regression');
    expect(find(large, 'p50').change).toBeCloseTo(0.1, 1);
  });

  it('unequal sizes: trials are paired in order, the surplus left out (3 base vs 30 head: 3 pairs)', () => {
    const cs = analyzeAb(side(11, {}, 3), side(12, {}, 30), settings);
    expect(find(cs, 'p50').n).toEqual({ base: 3, head: 3 });
    expect(find(cs, 'p50').outcome).not.toBe('regression');
  });

  it('more looks make each one stricter (α split over looks)', () => {
    const base = side(13, {}, 6);
    const head = side(14, { p50: 2.3 }, 6);
    const one = find(analyzeAb(base, head, settings), 'p50');
    const ten = find(analyzeAb(base, head, { ...settings, looks: 10 }), 'p50');
    expect(ten.ciLevel).toBeGreaterThan(one.ciLevel);
    expect(ten.ci[1] - ten.ci[0]).toBeGreaterThanOrEqual(one.ci[1] - one.ci[0]);
    expect(lookSchedule(6, 20, 2)).toEqual([6, 8, 10, 12, 14, 16, 18, 20]);
    expect(lookSchedule(6, 6, 2)).toEqual([6]);
    expect(lookSchedule(5, 12, 4)).toEqual([5, 9, 12]);
  });

  it('errors: a rise is a regression, measured in percentage points', () => {
    const cs = analyzeAb(side(15, { errors: 0, attempts: 5000 }, 10), side(16, { errors: 100, attempts: 5000 }, 10), settings);
    const e = find(cs, 'errors');
    expect(e.outcome).toBe('regression');
    expect(e.sentence).toMatch(/^The error rate of api is 2 percentage points higher/);
  });

  it('errors are compared pair by pair: one stalled trial of 150 timeouts in 100,000 requests a side proves nothing', () => {
    const base = side(17, { errors: 0, attempts: 10_000 }, 10);
    const head = side(18, { errors: 0, attempts: 10_000 }, 10);
    head.get('api')![4] = { ...head.get('api')![4]!, errors: 150 };
    const e = find(analyzeAb(base, head, settings), 'errors');
    expect(e.n).toEqual({ base: 10, head: 10 });
    expect(e.outcome).not.toBe('regression');
    expect(e.p).toBeGreaterThan(0.1);
    // The report's rates are the paired trials' pooled ones: 150 errors in 100,000 attempts.
    expect(e).toMatchObject({ base: 0, head: 0.0015, scale: 'abs' });
    // A rise in every pair is proven, and the interval is per pair: +2 pp, tightly.
    const steady = side(19, { errors: 200, attempts: 10_000 }, 10);
    const proven = find(analyzeAb(base, steady, settings), 'errors');
    expect(proven.outcome).toBe('regression');
    expect(proven.change).toBeCloseTo(0.02, 3);
    // Crossed over, the same: the stalled trial's pair is still one pair.
    const crossed = find(analyzeAb(base, head, { ...settings, arrangement: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1] }), 'errors');
    expect(crossed.outcome).not.toBe('regression');
  });

  it('sentence wording for a small change', () => {
    expect(
      sentence({
        scenario: 'checkout',
        metric: 'p95',
        worse: 'up',
        base: 1,
        head: 1,
        n: { base: 1, head: 1 },
        change: 0.12,
        ci: [0.08, 0.16],
        ciLevel: 0.95,
        p: 0,
        pAdjusted: 0,
        delta: 0.1,
        outcome: 'regression',
        sentence: '',
      }),
    ).toBe('P95 of checkout is 12 % slower (95 % CI +8 % to +16 %).');
  });
});

describe('regression.gate: which comparisons can fail the run, and when sampling stops', () => {
  it('a non-gating metric is compared and reported but sits outside the family and the counts', () => {
    // Only p50 worse (+30 %); p95 and p99 unchanged: with p50 outside the gate nothing fails.
    const head = side(2, { p50: 2.6 }, 10);
    const cs = analyzeAb(side(1, {}, 10), head, { ...settings, gate: ['p95', 'errors'] });
    const p50 = find(cs, 'p50');
    expect(p50).toMatchObject({ outcome: 'regression', gating: false });
    expect(find(cs, 'p95').gating).toBe(true);
    expect(abCounts(cs).regression).toBe(0);
    expect(decide([], null, null, { counts: abCounts(cs) } as never).verdict).toBe('pass');
    // The same data with p50 in the gate fails.
    const gated = analyzeAb(side(1, {}, 10), head, { ...settings, gate: ['p50', 'p95', 'errors'] });
    expect(abCounts(gated).regression).toBe(1);
  });

  it('Holm runs within each family: the gating p-values do not depend on how many others are reported', () => {
    const base = side(1, {}, 10);
    const head = side(2, { p50: 2.3, p95: 5.6 }, 10);
    const small = analyzeAb(base, head, { ...settings, gate: ['p95'] });
    const p95 = find(small, 'p95');
    // One gating comparison: its adjusted p is its own p.
    expect(p95.pAdjusted).toBeCloseTo(p95.p, 12);
    const all = analyzeAb(base, head, settings);
    expect(find(all, 'p95').pAdjusted).toBeGreaterThan(p95.pAdjusted);
  });

  it('stops at a proven gating regression, or when every gating comparison is decided; never for a non-gating one', () => {
    const regression = analyzeAb(side(1, {}, 10), side(2, { p95: 9 }, 10), { ...settings, gate: ['p95'] });
    expect(find(regression, 'p95').outcome).toBe('regression');
    expect(stopReason(regression, 10)).toBe('1 gating regression was proven after 10 trials per side');
    const quiet = analyzeAb(side(5, {}, 20, 0.01), side(6, {}, 20, 0.01), settings);
    expect(stopReason(quiet, 20)).toMatch(/^every gating comparison was decided after 20 trials per side$/);
    // p95 +9 % (its δ is 10 %) cannot be decided from 5 trials; p50 is a proven regression but
    // outside the gate: go on.
    const open = analyzeAb(side(1, {}, 5), side(2, { p50: 4, p95: 5.45 }, 5), { ...settings, gate: ['p95'] });
    expect(find(open, 'p50').outcome).toBe('regression');
    expect(find(open, 'p95').outcome).toBe('inconclusive');
    expect(stopReason(open, 5)).toBeNull();
  });
});

describe('calibration maths', () => {
  it('noisier metrics need more trials; the formula matches a hand computation', () => {
    const a = side(20, {}, 20, 0.05);
    const b = side(21, {}, 20, 0.05);
    const rows = calibrate(a, b, { alpha: 0.05, looks: 1, family: 1, power: 0.9, maxTrials: 20, delta: REGRESSION_DEFAULTS.delta });
    const p50 = rows.find((r) => r.metric === 'p50')!;
    expect(p50.spread).toBeGreaterThan(0.03);
    expect(p50.spread).toBeLessThan(0.08);
    // n = 2 (z.95 + z.90)² σ² / ln(1.05)² · π/3 with z.95 = 1.6449, z.90 = 1.2816
    const expected = Math.ceil(((2 * (1.6448536 + 1.2815516) ** 2 * p50.spread ** 2) / Math.log(1.05) ** 2) * (Math.PI / 3));
    expect(p50.needed).toBe(expected);
    const quiet = calibrate(side(22, {}, 20, 0.005), side(23, {}, 20, 0.005), {
      alpha: 0.05,
      looks: 1,
      family: 1,
      power: 0.9,
      maxTrials: 20,
      delta: REGRESSION_DEFAULTS.delta,
    });
    expect(quiet.find((r) => r.metric === 'p50')!.needed).toBeLessThan(p50.needed);
    expect(quiet.find((r) => r.metric === 'p50')!.mdeAtMax).toBeLessThan(p50.mdeAtMax);
  });
});

describe("a duet's tests count how far each estimate leans from run to run", () => {
  // Ten pairs in which the head reads p50 +10 % every time, the pairs agreeing to about ±1 %: what
  // one run whose start or checkout leans shows.
  const rng = createRng(7);
  const base = trials(rng, { p50: 2 }, 10, 0.01);
  const head = trials(rng, { p50: 2.2 }, 10, 0.01);
  const of = (lean?: Map<string, { sd: number; runs: number }>) =>
    find(
      analyzeAb(new Map([['api', base]]), new Map([['api', head]]), { ...settings, alpha: 0.01, looks: 4, ...(lean ? { lean } : {}) }),
      'p50',
    );

  it('from its pairs alone, +10 % is proven; with a lean of ±4.2 % over 12 stored duets, it is not, and the comparison says so', () => {
    const alone = of();
    expect(alone.outcome).toBe('regression');
    expect(alone.lean).toBeUndefined();
    const leaning = of(new Map([['p50 of api', { sd: 0.042, runs: 12 }]]));
    expect(leaning.outcome).toBe('inconclusive');
    expect(leaning.lean).toEqual({ sd: 0.042, runs: 12 });
    // The estimate, its pairs' spread and their own standard error stay the pairs'; the interval widens.
    expect(leaning.change).toBe(alone.change);
    expect(leaning.se).toBe(alone.se);
    expect(leaning.ci[1] - leaning.ci[0]).toBeGreaterThan(3 * (alone.ci[1] - alone.ci[0]));
    // Other comparisons have no lean of their own.
    expect(
      find(
        analyzeAb(new Map([['api', base]]), new Map([['api', head]]), {
          ...settings,
          lean: new Map([['p50 of api', { sd: 0.042, runs: 12 }]]),
        }),
        'p95',
      ).lean,
    ).toBeUndefined();
  });

  it('×1.5 stands out of a lean of ±4.2 %: still a regression', () => {
    const slower = trials(createRng(8), { p50: 3 }, 10, 0.01);
    const c = find(
      analyzeAb(new Map([['api', base]]), new Map([['api', slower]]), {
        ...settings,
        alpha: 0.01,
        looks: 4,
        lean: new Map([['p50 of api', { sd: 0.042, runs: 12 }]]),
      }),
      'p50',
    );
    expect(c.outcome).toBe('regression');
  });
});
