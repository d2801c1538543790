import { describe, expect, it } from 'vitest';
import {
  decodeHistogram,
  encodeHistogram,
  mergeHistograms,
  newHistogram,
  percentileMs,
  recordMs,
  summarize,
} from '../../../src/load/histogram.js';

describe('µs histograms', () => {
  it('keep sub-millisecond resolution (what autocannon rounds to whole ms)', () => {
    const h = newHistogram();
    for (const ms of [0.213, 0.214, 0.215, 0.216, 0.9]) recordMs(h, ms);
    const s = summarize(h);
    expect(s.count).toBe(5);
    expect(s.min).toBeCloseTo(0.213, 3);
    expect(s.p50).toBeCloseTo(0.215, 3);
    expect(s.max).toBeCloseTo(0.9, 3);
  });

  it('report p95 of 1..1000 ms within HdrHistogram precision (3 significant digits)', () => {
    const h = newHistogram();
    for (let i = 1; i <= 1000; i++) recordMs(h, i);
    expect(Math.abs(percentileMs(h, 95) - 950) / 950).toBeLessThan(0.001);
    expect(Math.abs(percentileMs(h, 99) - 990) / 990).toBeLessThan(0.001);
  });

  it('merge exactly: the merged histogram equals the histogram of the union', () => {
    const a = newHistogram();
    const b = newHistogram();
    const union = newHistogram();
    for (let i = 0; i < 500; i++) {
      const x = 0.1 + ((i * 7919) % 1000) / 100;
      recordMs(i % 3 ? a : b, x);
      recordMs(union, x);
    }
    const merged = mergeHistograms([decodeHistogram(encodeHistogram(a)), decodeHistogram(encodeHistogram(b))]);
    expect(summarize(merged)).toEqual(summarize(union));
  });
});
