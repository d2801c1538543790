import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMENT_LIMIT, commentMarker, renderComment, resolvedComment } from '../../../src/report/pr-comment.js';
import { loadTemplate } from '../../../src/report/render.js';
import { buildView } from '../../../src/report/view.js';
import type { AbComparison, RunResult } from '../../../src/contract/result.js';
import { slowerThanItsHistory } from '../../history-fixtures.js';

const recorded = (name: string): RunResult =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/results/${name}`, import.meta.url), 'utf8')) as RunResult;
const comment = (run: RunResult, summaryUrl: string | null = 'https://github.com/a/b/actions/runs/1', limit?: number): string =>
  renderComment(run, buildView(run), { marker: commentMarker(run.name), summaryUrl, ...(limit ? { limit } : {}) });

const slowerRun = (): RunResult => slowerThanItsHistory(recorded('demo-pass.json'));

/** An A/B section of 8 pairs around the given comparisons. */
const abOf = (comparisons: AbComparison[]): NonNullable<RunResult['ab']> => ({
  mode: 'ab',
  alpha: 0.05,
  looks: [6, 8],
  alphaPerLook: 0.025,
  trialsPerSide: 8,
  batches: 8,
  stoppedBecause: 'a gating regression was proven',
  elapsedMs: 1000,
  order: '',
  base: { command: 'node s.js', url: 'http://127.0.0.1:1', scenarios: [] },
  comparisons,
  counts: {
    regression: comparisons.filter((c) => c.outcome === 'regression').length,
    improvement: 0,
    'confident pass': comparisons.filter((c) => c.outcome === 'confident pass').length,
    inconclusive: 0,
  },
});

describe('PR comment', () => {
  const marker = commentMarker('demo-payments');

  it('starts with a hidden marker that is safe inside an HTML comment', () => {
    expect(marker).toBe('<!-- perfgate:demo%2Dpayments -->');
    expect(commentMarker('a -- b')).not.toMatch(/--.*--.*--/);
  });

  it('a new repository: the verdict first, one sentence for 21 "insufficient baseline" rows, targets folded, a fraction of the report', () => {
    const run = recorded('demo-pass.json');
    const body = comment(run);
    const report = loadTemplate()(buildView(run));
    expect(body.startsWith(`${marker}\n### ✅ PASSED: perfgate · demo-payments\n`)).toBe(true);
    expect(body.match(/insufficient baseline/gi)).toHaveLength(2); // the reason line, and the one sentence
    expect(body).toContain('**History**: insufficient baseline for every comparison (fewer than 5 comparable runs stored)');
    expect(body).toMatch(/\*\*Targets\*\*: all \d+ met\.\n\n<details><summary>Targets<\/summary>/);
    expect(body).not.toContain('**What changed**');
    expect(body).toContain('[job summary](https://github.com/a/b/actions/runs/1)');
    // A fraction of the full report (the job summary keeps all of it).
    expect(body.length).toBeLessThan(report.length / 4);
  });

  it('the same slowdown measured on a busier machine: passes, and says why no regression was called', () => {
    const run = slowerThanItsHistory(recorded('demo-pass.json'), { stored: 0.05, now: 1.1 });
    expect(run.verdict).toBe('pass');
    const body = comment(run);
    expect(body).toContain(
      "**This run's machine was busier than its stored runs'** (other work kept 1.1 of 2 CPUs busy, 0.05 in the stored runs): worse latency, throughput or CPU per request within the ×2.17 the machine alone could explain reads inconclusive here, not a regression",
    );
    // The same run on a machine as busy as its history's fails.
    expect(slowerThanItsHistory(recorded('demo-pass.json'), { stored: 0.05, now: 0.1 }).verdict).toBe('fail');
  });

  it('a regression: the "what changed" table leads, before the targets; the rest folded', () => {
    const body = comment(slowerRun());
    expect(body).toMatch(/^### ❌ FAILED: perfgate · demo-payments$/m);
    const changed = body.indexOf('**What changed**');
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThan(body.indexOf('**Targets**'));
    expect(body).toMatch(/\| browse products \| p95 latency \| [\d.]+ ms → [\d.]+ ms \| \+40(\.0)? % worse \| 🔴 regression \|/);
    expect(body).toMatch(/\| browse products \| p50 latency \|.*\| 🔴 regression · not gating \|/);
    expect(body).toMatch(/<details><summary>All \d+ comparisons with history<\/summary>/);
  });

  it('A/B: names the base commit, trials per side and why sampling stopped; escapes what came from the service', () => {
    const run = recorded('demo-pass.json');
    run.regression = null;
    const c = (metric: string, outcome: AbComparison['outcome'], change: number, gating = true): AbComparison => ({
      scenario: 'browse <b>|products',
      metric,
      worse: 'up',
      base: 1,
      head: 1 + change,
      n: { base: 8, head: 8 },
      change,
      ci: [change - 0.03, change + 0.03],
      ciLevel: 0.967,
      p: 0.5,
      pAdjusted: 0.5,
      delta: 0.1,
      outcome,
      gating,
      sentence: '',
    });
    run.ab = {
      ...abOf([]),
      stoppedBecause: 'every gating comparison was decided after 8 trials per side',
      order: 'BHHB',
      base: {
        command: 'node s.js',
        url: 'http://127.0.0.1:1',
        scenarios: [],
        commit: { ref: 'auto', sha: 'abcdef1234567', why: 'the pull request base' },
      },
      comparisons: [c('p95', 'confident pass', 0.01), c('p50', 'inconclusive', 0.04, false), c('rps', 'confident pass', 0)],
      counts: { regression: 0, improvement: 0, 'confident pass': 2, inconclusive: 0 },
    };
    const body = comment(run);
    expect(body).toContain(
      '**A/B against the base build `abcdef1`** (interleaved: one build at a time; gating: p95 latency, Throughput): 8 trials per side; 2 of 2 gating comparisons are confident passes (no change as large as δ). Sampling stopped because every gating comparison was decided after 8 trials per side.',
    );
    expect(body).not.toContain('<b>');
    expect(body).toMatch(/browse &lt;b&gt;\\\|products|browse \\<b\\>\\\|products/);
  });

  it('a duet under a CPU quota that pinning does not divide says so; a halving of throughput reads −50 % in the table', () => {
    const run = slowerRun();
    run.regression = null;
    const rps = {
      scenario: 'browse',
      metric: 'rps',
      worse: 'down' as const,
      base: 1000,
      head: 500,
      n: { base: 8, head: 8 },
      change: 0.5, // how much worse: the share of the base lost
      ci: [0.45, 0.55] as [number, number],
      ciLevel: 0.967,
      p: 0.001,
      pAdjusted: 0.001,
      delta: 0.05,
      outcome: 'regression' as const,
      gating: true,
      sentence: '',
    };
    run.ab = { ...abOf([rps]), design: 'duet', order: 'DDDDDDDD', cpuQuota: { cpus: 1.5, file: '/sys/fs/cgroup/cpu.max' } };
    const body = comment(run);
    expect(body).toContain(
      'duet: both builds loaded at the same time, pinned to the same CPU, under a CPU quota of 1.5 CPUs that pinning does not divide;',
    );
    expect(body).toContain('| 1,000/s → 500/s | −50 % (CI −55 % … −45 %) | 🔴 regression |');
  });

  it('never longer than 65 536 characters: cut at a line, folds and fences closed', () => {
    const run = slowerRun();
    const many = run.regression!.comparisons[0]!;
    run.regression!.comparisons = Array.from({ length: 3000 }, (_, i) => ({ ...many, scenario: `scenario ${i}` }));
    const body = comment(run);
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body).toContain('> ✂️ Cut to fit a comment; the whole report is in the [job summary](');
    expect((body.match(/<details>/g) ?? []).length).toBe((body.match(/<\/details>/g) ?? []).length);
    expect((body.match(/^`{3,}/gm) ?? []).length % 2).toBe(0);
  });

  it('a resolved comment keeps the marker and says the run passes', () => {
    const body = resolvedComment(marker, 'demo-payments', 'abcdef1234', null);
    expect(body.startsWith(marker)).toBe(true);
    expect(body).toContain('resolved');
    expect(body).toContain('`abcdef1`');
  });
});
