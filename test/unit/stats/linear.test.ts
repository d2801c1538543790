// Memory growth (the slope and its interval), stress-ramp stop conditions, and the config that
// sets them up.
import { describe, expect, it } from 'vitest';
import { withinSlope } from '../../../src/stats/linear.js';

describe('withinSlope', () => {
  it('matches least squares with one intercept per group (numpy lstsq, test/reference/scipy_reference.py)', () => {
    // within slope = 1.4457142857142888, 95% CI = (1.3531989064750718, 1.5382296649535059)
    const y0 = [2.3, 3.3, 5.25, 6.2, 8.1, 9.35];
    const y1 = [115.15, 116.4, 118.3, 119.25, 121.2, 122.2];
    const points = [...y0.map((y, i) => ({ x: i, y, group: 0 })), ...y1.map((y, i) => ({ x: 10 + i, y, group: 1 }))];
    const fit = withinSlope(points)!;
    expect(fit.slope).toBeCloseTo(1.4457142857142888, 12);
    // These residuals alternate in sign (negative autocorrelation): no correction, the plain OLS interval.
    expect(fit.rho).toBe(0);
    expect(fit.ci[0]).toBeCloseTo(1.3531989064750718, 10);
    expect(fit.ci[1]).toBeCloseTo(1.5382296649535059, 10);
    expect(fit.groups).toBe(2);
  });

  it('a level shift between groups is not a slope', () => {
    const points = [0, 1, 2, 3, 4].flatMap((x) => [
      { x, y: 10 + (x % 2) * 0.1, group: 0 },
      { x: x + 5, y: 500 + (x % 2) * 0.1, group: 1 },
    ]);
    expect(withinSlope(points)!.slope).toBeCloseTo(0, 1);
  });

  it('autocorrelated residuals widen the interval', () => {
    // A slow wave on top of a line: neighbouring residuals agree.
    const points = Array.from({ length: 60 }, (_, i) => ({ x: i, y: 0.5 * i + 5 * Math.sin(i / 6), group: 0 }));
    const fit = withinSlope(points)!;
    expect(fit.rho).toBeGreaterThan(0.8);
    expect(fit.nEff).toBeLessThan(10);
    const half = (fit.ci[1] - fit.ci[0]) / 2;
    const shuffled = withinSlope(points.map((p, i) => ({ ...p, y: 0.5 * p.x + 5 * Math.sin(((i * 37) % 60) / 6) })))!;
    expect(half).toBeGreaterThan(2 * ((shuffled.ci[1] - shuffled.ci[0]) / 2));
  });

  it('too few points give null', () => {
    expect(
      withinSlope([
        { x: 0, y: 1, group: 0 },
        { x: 1, y: 2, group: 0 },
        { x: 2, y: 2, group: 0 },
      ]),
    ).toBeNull();
    expect(withinSlope([0, 1, 2, 3].map((i) => ({ x: 5, y: i, group: 0 })))).toBeNull();
  });
});
