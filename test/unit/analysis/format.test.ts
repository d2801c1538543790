// One way of writing a change, head against base as a reader computes it, used by the report, stdout and annotations.
import { describe, expect, it } from 'vitest';
import { readChange, readRange, signedChange, signedRange } from '../../../src/analysis/format.js';

const up = (metric: string, scale?: 'abs') => ({ metric, worse: 'up' as const, scale });
const down = (metric: string, scale?: 'abs') => ({ metric, worse: 'down' as const, scale });

describe('signedChange', () => {
  it('writes ratios as %, error rates and shares as pp, memory growth as MB/min', () => {
    expect(signedChange(up('p95'), 0.4)).toBe('+40 %');
    expect(signedChange(up('p95'), -0.1234)).toBe('−12.3 %');
    expect(signedChange(up('errors'), 0.001)).toBe('+0.1 pp');
    expect(signedChange(up('memory.growth'), 5 * 1024 ** 2)).toBe('+5 MB/min');
    expect(signedChange(up('memory_per_request'), 650)).toBe('+650 B');
  });

  it('fixed: a fixed number of decimals and ASCII signs for terminals and logs', () => {
    expect(signedChange(up('p50'), 0.41, true)).toBe('+41.0 %');
    expect(signedChange(up('errors'), 0.001, true)).toBe('+0.10 pp');
    expect(signedChange(up('memory.growth'), 63 * 1024 ** 2, true)).toBe('+63.00 MB/min');
  });

  it('a figure that worsens downward reads head against base: a halving of throughput is −50 %, not +100 %', () => {
    // The analyses keep "how much worse": the share of the base lost, 1 − head/base = 0.5 for a halving.
    expect(readChange(down('rps'), 0.5)).toBe(-0.5);
    expect(signedChange(down('rps'), 0.5)).toBe('−50 %');
    expect(signedChange(down('rps'), 0.5, true)).toBe('-50.0 %');
    // 1,218 → 966 req/s: a reader computes −20.7 %.
    expect(signedChange(down('rps'), 1 - 966 / 1218)).toBe('−20.7 %');
    // Better: 966 → 1,218 reads +26.1 %.
    expect(signedChange(down('rps'), 1 - 1218 / 966)).toBe('+26.1 %');
    // A share on its own scale (a hit rate 95 % → 0 %): worse by +95 pp, reads −95 pp.
    expect(signedChange(down('cache_hit_rate', 'abs'), 0.95)).toBe('−95 pp');
  });

  it('an interval of "how much worse" reads low end first, head against base', () => {
    expect(readRange(down('rps'), [0.2, 0.5])).toEqual([-0.5, -0.2]);
    expect(signedRange(down('rps'), [0.2, 0.5])).toBe('−50 % … −20 %');
    expect(signedRange(up('p95'), [0.08, 0.16], false, ' to ')).toBe('+8 % to +16 %');
    expect(signedRange(down('hit', 'abs'), [-0.01, 0.05])).toBe('−5 pp … +1 pp');
  });
});
