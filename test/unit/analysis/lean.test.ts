// How far a duet's estimate leans from run to run, read from stored duets (analysis/lean.ts), and
// what a stored duet keeps of its comparisons (contract/record.ts).
import { describe, expect, it } from 'vitest';
import { runToRunLean } from '../../../src/analysis/lean.js';
import { analysisScale, duetEstimates, type DuetEstimate, type HistoryRecord } from '../../../src/contract/record.js';
import type { AbComparison, AbResult } from '../../../src/contract/result.js';
import { leanSentence } from '../../../src/report/comparison-view.js';
import { createRng } from '../../../src/stats/rng.js';
import { FP, record, RUNNER } from '../../history-fixtures.js';

const rng = createRng(3);
/** A stored duet whose p50 of api read `estimate` (log-ratio) with a standard error of 1 %, its CPU per request 0. */
const duet = (estimate: number, i: number, over: Partial<HistoryRecord> = {}): HistoryRecord =>
  record(
    rng,
    {},
    {
      duet: {
        estimates: [
          { scenario: 'api', metric: 'p50', estimate, se: 0.01 },
          { scenario: 'api', metric: 'cpu_per_request', estimate: 0, se: 0.01 },
        ],
      },
      ...over,
    },
    1000 + i,
  );
const SPREAD = [-0.06, -0.04, -0.03, -0.02, -0.01, 0, 0, 0.01, 0.02, 0.03, 0.04, 0.06];
const current = { fingerprint: FP, runner: RUNNER };

describe('the run-to-run lean of stored duets', () => {
  it('is their sd read from the 80th percentile of the deviations from their median (0.04, ÷ 1.2816), squared, less what their pairs explain (0.01²)', () => {
    const out = runToRunLean(
      SPREAD.map((e, i) => duet(e, i)),
      current,
    );
    expect(out.runs).toBe(12);
    expect(out.leans.get('p50 of api')!.runs).toBe(12);
    expect(out.leans.get('p50 of api')!.sd).toBeCloseTo(Math.sqrt((0.04 / 1.2815515655446004) ** 2 - 0.01 ** 2), 10);
    // Estimates that agree no better than their pairs say: no lean.
    expect(out.leans.get('cpu_per_request of api')).toEqual({ sd: 0, runs: 12 });
  });

  it('a real change among the pushes (+40 %) hardly counts as lean', () => {
    const runs = [...SPREAD.map((e, i) => duet(e, i)), duet(Math.log(1.4), 20)];
    expect(runToRunLean(runs, current).leans.get('p50 of api')!.sd).toBeLessThan(0.045);
  });

  it('only duets of this config and runner class, the newest 20; a comparison with fewer than 5 gets none; a damaged entry is passed over, not its record', () => {
    const others = [
      ...SPREAD.map((e, i) => duet(e * 10, 100 + i, { fingerprint: 'other' })),
      ...SPREAD.map((e, i) => duet(e * 10, 200 + i, { runner: 'other-runner' })),
      // Runs that were not duets (a first run, a run against the stored runs' figures).
      record(rng, {}, {}, 300),
    ];
    expect(runToRunLean([...SPREAD.map((e, i) => duet(e, i)), ...others], current).leans.get('p50 of api')!.sd).toBeCloseTo(0.0296, 3);
    // 30 steady duets before 20 leaning ones: only the newest 20 are read.
    const old = Array.from({ length: 30 }, (_, i) => duet(0, i));
    const recent = Array.from({ length: 20 }, (_, i) => duet(i % 2 ? 0.05 : -0.05, 50 + i));
    expect(runToRunLean([...old, ...recent], current)).toMatchObject({ runs: 20 });
    // All ±5 %: sd 0.05 / 1.2816 = 0.039, less the pairs' 0.01 (the 30 steady ones would have read 0).
    expect(runToRunLean([...old, ...recent], current).leans.get('p50 of api')!.sd).toBeCloseTo(
      Math.sqrt((0.05 / 1.2815515655446004) ** 2 - 0.0001),
      10,
    );
    expect(
      runToRunLean(
        SPREAD.slice(0, 4).map((e, i) => duet(e, i)),
        current,
      ).leans.size,
    ).toBe(0);
    const damaged = duet(0.01, 40);
    (damaged.duet!.estimates as unknown as unknown[]).push({ scenario: 'api', metric: 'p50', estimate: 'x', se: null }, null);
    const out = runToRunLean([...SPREAD.map((e, i) => duet(e, i)), damaged], current);
    expect(out.runs).toBe(13);
    expect(out.leans.get('p50 of api')!.runs).toBe(13);
  });
});

describe('what a stored duet keeps of its comparisons', () => {
  const c = (metric: string, worse: 'up' | 'down', change: number, se: number | undefined, scale?: 'abs'): AbComparison =>
    ({ scenario: 'api', metric, worse, change, ...(se === undefined ? {} : { se }), ...(scale ? { scale } : {}) }) as AbComparison;

  it("each estimate back on its test's scale: a log-ratio oriented so that up is worse, or a share's difference; comparisons without a standard error are not kept", () => {
    const kept: DuetEstimate[] = duetEstimates([
      c('p50', 'up', 0.1, 0.01),
      c('rps', 'down', 0.2, 0.02),
      c('errors', 'up', 0.003, 0.001, 'abs'),
      c('p95', 'up', 0.05, undefined),
    ]);
    expect(kept.map((e) => e.metric)).toEqual(['p50', 'rps', 'errors']);
    expect(kept[0]!.estimate).toBeCloseTo(Math.log(1.1), 12);
    // Throughput 20 % lower: head/base 0.8, log(base/head) = log 1.25.
    expect(kept[1]!.estimate).toBeCloseTo(Math.log(1.25), 12);
    expect(kept[2]!.estimate).toBe(0.003);
    expect(analysisScale({ change: Math.expm1(0.3), worse: 'up' })).toBeCloseTo(0.3, 12);
  });
});

describe('what the report says of the lean', () => {
  const ab = (duets: number, comparisons: Partial<AbComparison>[]) =>
    ({ runLean: { duets, window: 20, minRuns: 5 }, comparisons }) as unknown as AbResult;

  it('none read (a pull request): nothing; too few duets yet: that the pairs alone decide; leans found: each, with the others', () => {
    expect(leanSentence({ comparisons: [] } as unknown as AbResult)).toBe('');
    expect(leanSentence(ab(3, []))).toBe(
      " Run-to-run lean: 3 stored duets of this config and runner class so far; a comparison's lean is read from 5, so this run's intervals come from its pairs alone.",
    );
    expect(leanSentence(ab(12, [{ scenario: 'api', metric: 'p50' }]))).toBe(
      ' Run-to-run lean: the newest 12 stored duets of this config and runner class lean no further from run to run than their pairs scatter.',
    );
    const said = leanSentence(
      ab(12, [
        { scenario: 'a|b', metric: 'p50', lean: { sd: 0.042, runs: 12 } },
        { scenario: 'a|b', metric: 'cpu_per_request' },
      ]),
    );
    expect(said).toContain('p50 latency of "a\\|b" ±4.2 %');
    expect(said).toContain('; the others lean no further than their pairs scatter.');
  });
});
