// Memory growth (the slope and its interval), stress-ramp stop conditions, and the config that
// sets them up.
import { describe, expect, it } from 'vitest';
import { memoryGrowth } from '../../../src/analysis/growth.js';
import { createRng } from '../../../src/stats/rng.js';

const MB = 1024 ** 2;

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
