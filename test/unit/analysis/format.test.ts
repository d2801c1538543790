// One way of writing a change and one result.json reader, used by the report, stdout and annotations.
import { describe, expect, it } from 'vitest';
import { signedChange } from '../../../src/analysis/format.js';

describe('signedChange', () => {
  it('writes ratios as %, error rates and shares as pp, memory growth as MB/min', () => {
    expect(signedChange('p95', 0.4)).toBe('+40 %');
    expect(signedChange('p95', -0.1234)).toBe('−12.3 %');
    expect(signedChange('errors', 0.001)).toBe('+0.1 pp');
    expect(signedChange('cache_hit_rate', -0.95, 'abs')).toBe('−95 pp');
    expect(signedChange('memory.growth', 5 * 1024 ** 2)).toBe('+5 MB/min');
  });

  it('fixed: a fixed number of decimals and ASCII signs for terminals and logs', () => {
    expect(signedChange('p50', 0.41, undefined, true)).toBe('+41.0 %');
    expect(signedChange('rps', -0.25, undefined, true)).toBe('-25.0 %');
    expect(signedChange('errors', 0.001, undefined, true)).toBe('+0.10 pp');
    expect(signedChange('memory.growth', 63 * 1024 ** 2, undefined, true)).toBe('+63.00 MB/min');
  });
});
