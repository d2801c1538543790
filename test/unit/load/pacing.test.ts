import { describe, expect, it } from 'vitest';
import { schedule } from '../../../src/load/pacing.js';

describe('open-model schedule', () => {
  it('evenly spaced: every gap is 1/rate', () => {
    const s = schedule(400, 'uniform');
    const gaps = Array.from({ length: 1000 }, () => s.nextGap());
    expect(new Set(gaps)).toEqual(new Set([2.5]));
  });

  it('Poisson: exponential gaps with mean 1/rate, reproducible from the seed, different per seed', () => {
    const draw = (seed: number): number[] => {
      const s = schedule(1000, 'poisson', seed);
      return Array.from({ length: 20_000 }, () => s.nextGap());
    };
    const gaps = draw(7);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    // Mean 1 ms; its standard error over 20 000 exponential gaps is 1/√20000 ≈ 0.007 ms.
    expect(mean).toBeGreaterThan(0.97);
    expect(mean).toBeLessThan(1.03);
    // Exponential: P(gap > mean) = e^-1 ≈ 0.368.
    const above = gaps.filter((g) => g > 1).length / gaps.length;
    expect(above).toBeGreaterThan(0.35);
    expect(above).toBeLessThan(0.385);
    expect(draw(7)).toEqual(gaps);
    expect(draw(8)).not.toEqual(gaps);
    expect(Math.min(...gaps)).toBeGreaterThan(0);
  });
});

describe('config: arrival', () => {
  it('is read per scenario or from load, only for the open model, and a wrong value is a located error', async () => {
    const { parseConfig } = await import('../../../src/config/load.js');
    const c = parseConfig(
      'service: { command: node s.js }\nload: { arrival: poisson }\nscenarios:\n  - { name: a, request: { path: / }, connections: 2, rate: 10 }\n  - { name: b, request: { path: / }, connections: 2, rate: 10, arrival: uniform }\n  - { name: c, request: { path: / } }\n',
      '/x/perfgate.yml',
    );
    expect(c.scenarios.map((s) => s.arrival)).toEqual(['poisson', undefined, undefined]);
    expect(() =>
      parseConfig(
        'service: { command: node s.js }\nscenarios:\n  - { name: a, request: { path: / }, rate: 10, arrival: bursty }\n',
        '/x/perfgate.yml',
      ),
    ).toThrow(/perfgate\.yml:3:\d+: scenarios\[0\]\.arrival: .*(uniform|poisson)/);
  });
});
