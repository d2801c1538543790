// Memory growth (the slope and its interval), stress-ramp stop conditions, and the config that
// sets them up.
import { describe, expect, it } from 'vitest';
import { brokenCondition } from '../../../src/load/ramp.js';

describe('brokenCondition', () => {
  const ramp = {
    by: 'connections' as const,
    start: 10,
    factor: 2,
    max: 80,
    levels: [10, 20, 40, 80],
    stepMs: 1000,
    stop: { p95Ms: 50, errorRate: 0.01 },
  };
  const t = (p95: number, errorRate: number, rps = 1000) => ({
    latency: { p95, p99: p95 * 1.2 } as never,
    errors: { rate: errorRate } as never,
    rps,
  });
  it('names the condition a step broke, errors first', () => {
    expect(brokenCondition(ramp, 10, t(20, 0))).toBeNull();
    expect(brokenCondition(ramp, 10, t(51.5, 0))).toBe('p95 51.5 ms > 50 ms');
    expect(brokenCondition(ramp, 10, t(51.5, 0.05))).toBe('errors 5.00 % > 1 %');
    expect(brokenCondition({ ...ramp, stop: { errorRate: 0.01, p99Ms: 10 } }, 10, t(9, 0))).toBe('p99 10.8 ms > 10 ms');
  });
  it('a rate ramp also needs the service to keep up with the offered rate', () => {
    const rate = { ...ramp, by: 'rate' as const };
    expect(brokenCondition(rate, 2000, t(5, 0, 1850))).toBeNull();
    expect(brokenCondition(rate, 2000, t(5, 0, 1700))).toBe('answered 1700 of 2000 req/s offered (< 90 %)');
  });
});
