// Scaling out: parallel parts merged exactly, shard files checked before a merge, and other
// tools' outputs imported with what they cannot say marked as such.
import { describe, expect, it } from 'vitest';
import { decodeHistogram, encodeHistogram, newHistogram, percentileMs, recordMs, summarize } from '../../../src/load/histogram.js';
import { mergeParallel, overlap, split, type TrialPart } from '../../../src/load/merge.js';
import { shareOf } from '../../../src/load/processes.js';
import { createRng } from '../../../src/stats/rng.js';

/** A trial part whose latencies are exactly `ms`. */
function part(ms: number[], startedAt: string, durationMs: number, connections: number): TrialPart {
  const h = newHistogram();
  for (const v of ms) recordMs(h, v);
  return {
    startedAt,
    durationMs,
    requests: ms.length + 2,
    ok: ms.length,
    rps: ((ms.length + 2) * 1000) / durationMs,
    latency: summarize(h),
    errors: { total: 2, non2xx: 2, timeouts: 0, connection: 0, rate: 2 / (ms.length + 2) },
    connectionsServed: connections,
    statusCodes: { '200': ms.length, '500': 2 },
    histogram: encodeHistogram(h),
  };
}

describe('merging parallel parts', () => {
  const rng = createRng(11);
  // Two machines with different latency profiles (one fast, one with a slow tail).
  const a = Array.from({ length: 4000 }, () => 0.3 + rng.next() * 2);
  const b = Array.from({ length: 3000 }, () => (rng.next() < 0.05 ? 40 + rng.next() * 60 : 1 + rng.next() * 3));
  const merged = mergeParallel([part(a, '2026-01-01T00:00:00.000Z', 5000, 6), part(b, '2026-01-01T00:00:00.200Z', 5000, 4)]);

  it('equals the histogram of the union of the recorded latencies (exact, not averaged percentiles)', () => {
    const union = newHistogram();
    for (const v of [...a, ...b]) recordMs(union, v);
    const m = decodeHistogram(merged.histogram);
    expect(m.totalCount).toBe(7000);
    for (const p of [1, 10, 50, 90, 95, 99, 99.9, 100]) expect(percentileMs(m, p)).toBe(percentileMs(union, p));
    expect(merged.latency).toEqual(summarize(union));
    // Averaging the parts' p99 would say something else entirely.
    const averaged =
      (percentileMs(decodeHistogram(part(a, '', 1, 1).histogram), 99) + percentileMs(decodeHistogram(part(b, '', 1, 1).histogram), 99)) / 2;
    expect(Math.abs(averaged - merged.latency.p99!)).toBeGreaterThan(10);
  });

  it('adds counts, and runs from the earliest start to the latest end', () => {
    expect(merged).toMatchObject({
      requests: 7004,
      ok: 7000,
      connectionsServed: 10,
      statusCodes: { '200': 7000, '500': 4 },
      errors: { total: 4, non2xx: 4, timeouts: 0, connection: 0 },
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 5200,
    });
    // Successes per second: the four 500s are counted in requests, not in the rate.
    expect(merged.rps).toBeCloseTo((7000 * 1000) / 5200, 9);
    expect(merged.errors.rate).toBeCloseTo(4 / 7004, 12);
  });

  it('states the overlap of the parts', () => {
    expect(overlap([part(a, '2026-01-01T00:00:00.000Z', 5000, 1), part(b, '2026-01-01T00:00:00.200Z', 5000, 1)])).toEqual({
      overlapMs: 4800,
      spanMs: 5200,
      shortestMs: 5000,
    });
    expect(overlap([part(a, '2026-01-01T00:00:00.000Z', 1000, 1), part(b, '2026-01-01T00:00:05.000Z', 1000, 1)]).overlapMs).toBe(0);
  });

  it('splits connections evenly and the rate in proportion', () => {
    expect(split(10, 4)).toEqual([3, 3, 2, 2]);
    expect(split(4, 4)).toEqual([1, 1, 1, 1]);
    const s = { connections: 10, rate: 1000, processes: 1 } as Parameters<typeof shareOf>[0];
    expect([0, 1, 2, 3].map((i) => shareOf(s, i, 4).rate)).toEqual([300, 300, 200, 200]);
  });
});
