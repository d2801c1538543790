import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDashboardData, changePoints } from '../../src/dashboard/data.js';
import { dashboardHtml, scriptJson } from '../../src/dashboard/html.js';
import { mermaidTrend } from '../../src/report/chart.js';
import { loadTemplate } from '../../src/report/render.js';
import { buildView } from '../../src/report/view.js';
import type { RunResult } from '../../src/result.js';
import { createRng } from '../../src/stats/rng.js';
import { history, record, withStoredRuns } from '../history-fixtures.js';

const recorded = (name: string): RunResult =>
  JSON.parse(readFileSync(new URL(`../../fixtures/results/${name}`, import.meta.url), 'utf8')) as RunResult;

const withHistory = (n: number): RunResult => withStoredRuns(recorded('demo-pass.json'), n, 3, 700);

describe('Mermaid trend chart', () => {
  it('p95 of the main scenario over the baseline runs, this run marked by a bar', () => {
    const chart = mermaidTrend(withHistory(6))!;
    const lines = chart.split('\n');
    expect(lines[0]).toBe('```mermaid');
    expect(lines[1]).toBe('xychart-beta');
    expect(lines[2]).toMatch(/^ {4}title "p95 of browse products \(ms\): 6 baseline runs and this run"$/);
    expect(lines[3]).toMatch(/^ {4}x-axis \[("[0-9a-f]{7}", ){6}"this run"\]$/);
    expect(lines[4]).toMatch(/^ {4}y-axis "p95 \(ms\)" 0 --> [\d.]+$/);
    const line = /line \[(.*)\]/.exec(chart)![1]!.split(', ').map(Number);
    const bar = /bar \[(.*)\]/.exec(chart)![1]!.split(', ').map(Number);
    expect(line).toHaveLength(7);
    expect(bar.slice(0, 6)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(bar[6]).toBe(line[6]);
    expect(lines[lines.length - 1]).toBe('```');
  });

  it('is omitted cleanly when there is no history; it is in the report when there is', () => {
    expect(mermaidTrend(recorded('demo-pass.json'))).toBeNull();
    expect(loadTemplate()(buildView(recorded('demo-pass.json')))).not.toContain('```mermaid');
    expect(loadTemplate()(buildView(withHistory(6)))).toContain('```mermaid\nxychart-beta');
  });

  it('keeps labels harmless for Mermaid', () => {
    const run = withHistory(5);
    run.regression!.comparisons.find((c) => c.metric === 'p95')!.scenario = 'a "quoted" ]name[ `x`';
    run.config.scenarios[0] = 'a "quoted" ]name[ `x`';
    expect(mermaidTrend(run)!).toMatch(/title "p95 of a quoted name x \(ms\)/);
  });
});

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
    expect(d.scenarios[0]!.metrics).toEqual([{ name: 'hit_rate', values: [0.92, 0.92, 0.92, 0.92] }]);
    expect(d.scenarios[1]!.capacity).toEqual([1000, 1001, 1002, 1003]);
    expect(d.service.growthMbPerMin).toEqual([0, 1, 2, 3]);
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

describe('repository URL for commit links', () => {
  it('from Actions, an ssh remote or an https remote with a token; none without a remote', async () => {
    const { repoUrl } = await import('../../src/dashboard/command.js');
    const { execFileSync } = await import('node:child_process');
    const { tempDir } = await import('../helpers.js');
    expect(repoUrl('/', { GITHUB_REPOSITORY: 'acme/shop', GITHUB_SERVER_URL: 'https://ghe.example' })).toBe(
      'https://ghe.example/acme/shop',
    );
    const dir = tempDir();
    execFileSync('git', ['init', '-q', dir]);
    expect(repoUrl(dir, {})).toBeNull();
    execFileSync('git', ['-C', dir, 'remote', 'add', 'origin', 'git@github.com:acme/shop.git']);
    expect(repoUrl(dir, {})).toBe('https://github.com/acme/shop');
    execFileSync('git', ['-C', dir, 'remote', 'set-url', 'origin', 'https://x-access-token:secret@github.com/acme/shop.git']);
    expect(repoUrl(dir, {})).toBe('https://github.com/acme/shop'); // the token never reaches the page
  });
});
