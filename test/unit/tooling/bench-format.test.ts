// The benchmarks' ratio rows: each ratio follows from the figures printed beside it.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs of the benchmarks, no types
import { perRoundRows } from '../../../bench/format.mjs';

describe('perRoundRows', () => {
  it('prints every round, and the median of the per-round ratios, each ratio from its own round', () => {
    // The swing that made the old row read "9,158 vs 9,982 req/s, ratio 1.049": rounds move together.
    const rows = perRoundRows({ perfgate: [9000, 12000, 9158], cli: [8000, 11000, 9982] }, 'cli') as string[][];
    const [label, perRound, med, ratios, medRatio] = rows[0]!;
    expect(label).toBe('perfgate');
    expect(perRound).toBe('9000 · 12000 · 9158');
    expect(med).toBe('9158');
    expect(ratios).toBe('1.125, 1.091, 0.917');
    expect(medRatio).toBe('1.091');
    // Every printed ratio is the quotient of the printed figures of its round.
    const figures = perRound!.split(' · ').map(Number);
    const ref = rows[1]![1]!.split(' · ').map(Number);
    ratios!.split(', ').forEach((r, i) => expect(Number(r)).toBeCloseTo(figures[i]! / ref[i]!, 3));
    expect(rows[1]![4]).toBe('1.000');
  });

  it('says so when a tool was not measured', () => {
    expect(perRoundRows({ a: [1, 2], wrk: null }, 'a')[1]).toEqual(['wrk', 'not measured', '–', '–', '–']);
  });
});
