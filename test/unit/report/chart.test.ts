import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mermaidTrend } from '../../../src/report/chart.js';
import { loadTemplate } from '../../../src/report/render.js';
import { buildView } from '../../../src/report/view.js';
import type { RunResult } from '../../../src/contract/result.js';
import { withStoredRuns } from '../../history-fixtures.js';

const recorded = (name: string): RunResult =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/results/${name}`, import.meta.url), 'utf8')) as RunResult;

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
