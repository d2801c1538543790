import { describe, expect, it } from 'vitest';
import { compare, parseTarget } from '../../../src/config/target-expr.js';

function ok(text: string) {
  const r = parseTarget(text);
  if (!r.ok) throw new Error(r.message);
  return r.expr;
}

describe('target expressions', () => {
  it('reads the seven seed targets with their units', () => {
    expect(ok('p(95) < 200ms')).toMatchObject({ metric: 'p(95)', percentile: 95, op: '<', threshold: 200 });
    expect(ok('connections >= 1000')).toMatchObject({ metric: 'connections', op: '>=', threshold: 1000 });
    expect(ok('workflows_per_s > 100')).toMatchObject({ metric: 'workflows_per_s', threshold: 100 });
    expect(ok('uptime >= 99.9%').threshold).toBeCloseTo(0.999, 12);
    expect(ok('rate(errors) < 1%')).toMatchObject({ metric: 'rate(errors)', threshold: 0.01 });
    expect(ok('memory.peak < 2GB')).toMatchObject({ metric: 'memory.peak', threshold: 2 * 1024 ** 3 });
    expect(ok('cpu.mean < 70%')).toMatchObject({ metric: 'cpu.mean', threshold: 70 });
  });

  it('accepts k6 habits: bare milliseconds, fractions, aliases, seconds, /s', () => {
    expect(ok('p(99.9)<1.5s')).toMatchObject({ metric: 'p(99.9)', threshold: 1500 });
    expect(ok('avg < 20')).toMatchObject({ metric: 'avg', threshold: 20 });
    expect(ok('p95 <= 800us')).toMatchObject({ metric: 'p(95)', threshold: 0.8 });
    expect(ok('rate(errors) <= 0.001').threshold).toBe(0.001);
    expect(ok('rps > 500/s').threshold).toBe(500);
    expect(ok('cpu.max < 150%').metric).toBe('cpu.peak');
  });

  it('says what is wrong with a bad expression', () => {
    const cases: [string, RegExp][] = [
      ['p(95) is fast', /METRIC OP VALUE/],
      ['latency < 200ms', /unknown metric "latency"/],
      ['p(95) < 200', /./], // valid: bare ms
      ['p(0) < 1ms', /between 0 and 100/],
      ['p(95) < fast', /not a duration/],
      ['uptime > 99.9', /percent .* or a fraction/],
      ['memory.peak < 2', /not a size/],
      ['rps > many', /not a number per second/],
    ];
    for (const [text, message] of cases) {
      const r = parseTarget(text);
      if (text === 'p(95) < 200') expect(r.ok).toBe(true);
      else expect(r.ok ? 'parsed' : r.message).toMatch(message);
    }
  });

  it('compares with each operator, boundaries included or not', () => {
    expect(compare(200, '<', 200)).toBe(false);
    expect(compare(200, '<=', 200)).toBe(true);
    expect(compare(1000, '>=', 1000)).toBe(true);
    expect(compare(1000, '>', 1000)).toBe(false);
  });
});
