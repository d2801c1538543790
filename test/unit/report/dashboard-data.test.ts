import { describe, expect, it } from 'vitest';
import { buildDashboardData, changePoints, round4, shownUnit } from '../../../src/report/dashboard-data.js';
import { dashboardHtml, scriptJson } from '../../../src/report/dashboard-html.js';
import { createRng } from '../../../src/stats/rng.js';
import { history, record } from '../../history-fixtures.js';

describe('dashboard data', () => {
  it('one config and runner only; series are medians over trials', () => {
    const runs = [{ ...record(createRng(2), {}, {}, -5), fingerprint: 'other' }, ...history(1, 10)]; // the latest run decides the config shown
    const d = buildDashboardData(runs, { title: 't', repoUrl: null, now: new Date(0) });
    expect(d.omitted).toBe(1);
    expect(d.runs).toHaveLength(10);
    expect(d.scenarios.map((s) => s.name)).toEqual(['api']);
    expect(d.scenarios[0]!.p95).toHaveLength(10);
    expect(d.scenarios[0]!.p95.every((v) => v !== null && v > 4 && v < 6)).toBe(true);
  });

  it('charts ramp capacity, defined service metrics and memory growth where the records hold them', () => {
    const runs = history(1, 4).map((r, i) => ({
      ...r,
      scenarios: [
        { ...r.scenarios[0]!, trials: r.scenarios[0]!.trials.map((t, k) => ({ ...t, metrics: { hit_rate: 0.9 + k * 0.01 } })) },
        { name: 'ramp', trials: [], capacity: 1000 + i },
      ],
      service: { cpuMean: 5, memoryPeak: 2 ** 27, memoryGrowth: i * 2 ** 20 },
    }));
    const d = buildDashboardData(runs, { title: 't', repoUrl: null, now: new Date(0) });
    expect(d.scenarios[0]!.capacity).toBeNull();
    expect(d.scenarios[0]!.metrics).toEqual([{ name: 'hit_rate', unit: '', values: [0.92, 0.92, 0.92, 0.92] }]);
    expect(d.scenarios[1]!.capacity).toEqual([1000, 1001, 1002, 1003]);
    expect(d.service.growthMbPerMin).toEqual([0, 1, 2, 3]);
  });

  it('draws defined metrics in their unit from the records: percent as 0–100, small values not rounded together', () => {
    const runs = history(1, 3).map((r, i) => ({
      ...r,
      scenarios: [
        {
          ...r.scenarios[0]!,
          trials: r.scenarios[0]!.trials.map((t) => ({ ...t, metrics: { hit: 0.9, q: 0.0012 + i * 0.0002, size: 3 * 2 ** 20 } })),
        },
      ],
      // Only the newer records know the units (older ones were saved before units were kept).
      ...(i > 0 ? { units: { hit: 'fraction', q: 'number', size: 'bytes' } } : {}),
    }));
    const d = buildDashboardData(runs, { title: 't', repoUrl: null, now: new Date(0) });
    expect(d.scenarios[0]!.metrics).toEqual([
      { name: 'hit', unit: '%', values: [90, 90, 90] },
      { name: 'q', unit: '', values: [0.0012, 0.0014, 0.0016] },
      { name: 'size', unit: 'MB', values: [3, 3, 3] },
    ]);
    expect(round4(0.00123456)).toBe(0.001235);
    expect(round4(123456)).toBe(123500);
    expect(shownUnit('per-second')).toEqual({ unit: '/s', factor: 1 });
  });

  it("links each profiled run's flame graphs, and only pages perfgate wrote", () => {
    const runs = history(1, 3);
    runs[1]!.profiles = [
      { scenario: 'api', page: 'profiles/r1/api-head.html' },
      { scenario: 'evil', page: 'javascript:alert(1)' },
      { scenario: 'up', page: 'profiles/../../x.html' },
    ];
    const d = buildDashboardData(runs, { title: 't', repoUrl: null, now: new Date(0) });
    expect(d.runs.map((r) => r.profiles)).toEqual([[], [{ scenario: 'api', page: 'profiles/r1/api-head.html' }], []]);
  });

  it('marks level shifts, not noise', () => {
    const shifted = [...Array(15).fill(5), ...Array(15).fill(7)].map((v, i) => v * (1 + 0.01 * Math.sin(i)));
    expect(changePoints(shifted)).toEqual([15]);
    expect(changePoints(Array.from({ length: 30 }, (_, i) => 5 * (1 + 0.01 * Math.sin(i))))).toEqual([]);
  });

  it('embeds data that cannot break out of its script element', () => {
    const evil = '</script><script>alert(1)</script><!--';
    expect(scriptJson({ x: evil })).not.toMatch(/<|>/);
    expect(JSON.parse(scriptJson({ x: evil }))).toEqual({ x: evil });
    const html = dashboardHtml(
      buildDashboardData(history(3, 5), { title: `<img src=x onerror=alert(1)>`, repoUrl: null, now: new Date(0) }),
      '/*uplot*/',
      '',
    );
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
  });
});
