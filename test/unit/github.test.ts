import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { annotationsFor, stepFails } from '../../src/github/annotations.js';
import { parseHistorySpec, readInputs } from '../../src/github/inputs.js';
import { saveDecision } from '../../src/history/policy.js';
import { buildComment, COMMENT_LIMIT, commentMarker, resolvedComment } from '../../src/report/comment.js';
import { loadTemplate } from '../../src/report/render.js';
import { buildView } from '../../src/report/view.js';
import type { GitInfo, RunResult } from '../../src/result.js';

const recorded = (name: string): RunResult =>
  JSON.parse(readFileSync(new URL(`../../fixtures/results/${name}`, import.meta.url), 'utf8')) as RunResult;

describe('PR comment body', () => {
  const marker = commentMarker('demo-payments');

  it('starts with a hidden marker that is safe inside an HTML comment', () => {
    expect(marker).toBe('<!-- perfgate:demo%2Dpayments -->');
    expect(commentMarker('a -- b')).not.toMatch(/--.*--.*--/);
  });

  it('holds the whole report when it fits, with a link to the job summary', () => {
    const report = loadTemplate()(buildView(recorded('demo-pass.json')));
    const body = buildComment(report, { marker, summaryUrl: 'https://github.com/a/b/actions/runs/1' });
    expect(body.startsWith(`${marker}\n# demo-payments`)).toBe(true);
    expect(body).toContain(report.trim());
    expect(body).toContain('[job summary](https://github.com/a/b/actions/runs/1)');
  });

  it('over 65 536 characters: drops detail, keeps the verdict, targets and regression tables, says where the rest is', () => {
    const run = recorded('demo-crash.json');
    // A huge log tail and scenario detail push the report far past the limit.
    run.failure!.logTail = Array.from({ length: 4000 }, (_, i) => `log line ${i} ${'x'.repeat(40)}`);
    const report = loadTemplate()(buildView(run));
    expect(report.length).toBeGreaterThan(COMMENT_LIMIT);
    const body = buildComment(report, { marker, summaryUrl: 'https://x/run' });
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body).toContain('**Overall status:** ❌ **FAILED**');
    expect(body).toContain('## Performance Targets & Status');
    expect(body).toContain('## Executive summary');
    expect(body).toMatch(/> ✂️ Cut to fit a comment: .*The service crashed during load.* in the \[job summary\]\(https:\/\/x\/run\)/);
    // No code fence is left open.
    expect((body.match(/^`{3,}/gm) ?? []).length % 2).toBe(0);
  });

  it('even a report whose essentials exceed the limit is cut at a line, with fences closed', () => {
    const giant = `# t\n\n## Executive summary\n\n\`\`\`text\n${'y'.repeat(80_000)}\n\`\`\`\n`;
    const body = buildComment(giant, { marker, summaryUrl: null });
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect((body.match(/^`{3,}/gm) ?? []).length % 2).toBe(0);
  });

  it('a resolved comment keeps the marker and says the run passes', () => {
    const body = resolvedComment(marker, 'demo-payments', 'abcdef1234', null);
    expect(body.startsWith(marker)).toBe(true);
    expect(body).toContain('resolved');
    expect(body).toContain('`abcdef1`');
  });
});

describe('Action inputs', () => {
  const get = (values: Record<string, string>) => (name: string) => values[name] ?? '';

  it('defaults: git data branch history, comment always, fail on both', () => {
    const i = readInputs(get({}));
    expect(i).toMatchObject({
      mode: 'run',
      config: 'perfgate.yml',
      comment: 'always',
      failOn: 'both',
      saveHistory: undefined,
      outDir: '.perfgate',
    });
    expect(i.overrides.history).toEqual({ store: 'git', branch: 'perfgate-data' });
  });

  it('dispatch overrides and history specs', () => {
    const i = readInputs(get({ duration: '10s', connections: '50', trials: '3', history: 'dir:perf/history', 'save-history': 'true' }));
    expect(i.overrides).toMatchObject({ durationMs: 10_000, connections: 50, trials: 3, history: { store: 'dir', path: 'perf/history' } });
    expect(i.saveHistory).toBe(true);
    expect(parseHistorySpec('config')).toBeUndefined();
    expect(parseHistorySpec('git:perf-data')).toEqual({ store: 'git', branch: 'perf-data' });
    expect(parseHistorySpec('none')).toEqual({ store: 'none' });
  });

  it('bad values name the input', () => {
    expect(() => readInputs(get({ comment: 'sometimes' }))).toThrow(
      'input "comment" must be one of always, on-change, never; got "sometimes"',
    );
    expect(() => readInputs(get({ duration: '10' }))).toThrow('input "duration" must be a duration');
    expect(() => readInputs(get({ trials: '0' }))).toThrow('input "trials" must be a whole number of at least 1');
    expect(() => readInputs(get({ history: 's3://x' }))).toThrow('input "history" must be git');
  });
});

describe('what fails the step', () => {
  const pass = recorded('demo-pass.json');
  const errors = recorded('demo-errors.json');
  const crash = recorded('demo-crash.json');
  const regressed = (): RunResult => {
    const r = structuredClone(pass);
    r.verdict = 'fail';
    r.regression = { ...r.regression!, counts: { ...r.regression!.counts, regression: 1 } };
    return r;
  };

  it('fail-on: both / targets / regressions / none', () => {
    expect(stepFails(pass, 'both')).toBe(false);
    expect(stepFails(errors, 'both')).toBe(true);
    expect(stepFails(errors, 'targets')).toBe(true);
    expect(stepFails(errors, 'regressions')).toBe(false);
    expect(stepFails(regressed(), 'targets')).toBe(false);
    expect(stepFails(regressed(), 'regressions')).toBe(true);
    expect(stepFails(crash, 'regressions')).toBe(true); // a crash is never a pass
    expect(stepFails(crash, 'none')).toBe(false);
  });

  it('annotations: an error per breached target, a warning for the missing baseline', () => {
    const a = annotationsFor(errors);
    expect(a.filter((x) => x.level === 'error').map((x) => x.title)).toEqual(['perfgate: target breached', 'perfgate: target breached']);
    expect(a.find((x) => x.level === 'warning')?.title).toBe('perfgate: insufficient baseline');
  });
});

describe('save policy by GitHub event', () => {
  const git = (event: string, over: Partial<GitInfo> = {}): GitInfo => ({
    sha: 'a',
    branch: 'main',
    defaultBranch: 'main',
    onDefaultBranch: true,
    pullRequest: false,
    event,
    pullRequestNumber: null,
    ...over,
  });
  it('push and schedule on the default branch save; dispatch only when asked; unknown events never', () => {
    expect(saveDecision('auto', undefined, git('push'), null).save).toBe(true);
    expect(saveDecision('auto', undefined, git('schedule'), null).save).toBe(true);
    expect(saveDecision('auto', undefined, git('push', { branch: 'dev', onDefaultBranch: false }), null).save).toBe(false);
    expect(saveDecision('auto', undefined, git('workflow_dispatch'), null)).toEqual({
      save: false,
      reason: 'not saved: manual runs are saved only when asked (save-history: true)',
    });
    expect(saveDecision('auto', true, git('workflow_dispatch'), null).save).toBe(true);
    expect(saveDecision(true, true, git('issue_comment'), null)).toEqual({
      save: false,
      reason: 'not saved: "issue_comment" runs never write history',
    });
  });
});
