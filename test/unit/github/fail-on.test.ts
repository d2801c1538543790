import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { annotationsFor, stepFails } from '../../../src/github/annotations.js';
import type { RunResult } from '../../../src/contract/result.js';

const recorded = (name: string): RunResult =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/results/${name}`, import.meta.url), 'utf8')) as RunResult;

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

describe('annotations for a target not judged', () => {
  it('an error when the policy failed the gate on it, a warning under unjudgeable: warn', () => {
    const run = recorded('demo-pass.json');
    run.targets[0] = { ...run.targets[0]!, status: 'unjudged', note: 'not judged: 6 s of load', fix: 'duration: 5s' };
    const note = (r: RunResult) => annotationsFor(r).find((a) => a.title === 'perfgate: target not judged')!;
    expect(note(run)).toMatchObject({
      level: 'error',
      message: expect.stringContaining('not judged: 6 s of load; to judge it: duration: 5s'),
    });
    run.config.unjudgeable = 'warn';
    expect(note(run).level).toBe('warning');
  });
});
