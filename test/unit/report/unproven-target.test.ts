// A target whose status rests on an interval (memory growth) and whose value is past its limit
// without being proven past it: met, but never shown as a plain ✅ beside a number over the limit,
// in the report, the PR comment, stdout and the annotations alike.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { RunResult, TargetResult } from '../../../src/contract/result.js';
import { buildView } from '../../../src/report/view.js';
import { renderComment } from '../../../src/report/pr-comment.js';
import { summaryText } from '../../../src/cli/cli.js';
import { annotationsFor } from '../../../src/github/annotations.js';
import { evaluateTargets } from '../../../src/analysis/targets.js';

const run = (): RunResult => {
  const r = JSON.parse(readFileSync(new URL('../../../fixtures/results/demo-pass.json', import.meta.url), 'utf8')) as RunResult;
  const growth: TargetResult = {
    name: 'Memory growth (leak detection)',
    expr: 'memory.growth < 10MB/min',
    scenario: null,
    metric: 'memory.growth',
    op: '<',
    threshold: 10 * 1024 ** 2,
    unit: 'bytes-per-minute',
    measured: 15.07 * 1024 ** 2,
    status: 'pass',
    note: 'Not proven above 10 MB/min, so not held against the target',
    interval: { lower: 2.1 * 1024 ** 2, upper: 28 * 1024 ** 2, level: 0.95, notProven: true },
  };
  r.targets = [...r.targets, growth];
  return r;
};

describe('a met target past its limit, not proven past it', () => {
  it('report: the value with its interval and "not proven above", and a status that is not a plain ✅ MET', () => {
    const row = buildView(run()).targets.find((t) => t.target.includes('memory.growth'))!;
    expect(row.measured).toBe('15.07 MB/min (95 % CI 2.1 MB/min to 28 MB/min; not proven above 10 MB/min)');
    expect(row.status).not.toBe('✅ MET');
    expect(row.status).toMatch(/NOT PROVEN/);
  });

  it('the result with the interval conforms to schemas/result.schema.json', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    (addFormatsModule as unknown as (a: Ajv) => Ajv)(ajv);
    const validate = ajv.compile(
      JSON.parse(readFileSync(new URL('../../../schemas/result.schema.json', import.meta.url), 'utf8')) as object,
    );
    validate(run());
    expect(validate.errors ?? []).toEqual([]);
  });

  it('PR comment, stdout and annotations say the same', () => {
    const r = run();
    const comment = renderComment(r, buildView(r), { marker: '<!-- perfgate -->', summaryUrl: null });
    expect(comment).toContain('not proven above 10 MB/min');
    expect(comment).not.toMatch(/15\.07 MB\/min \| ✅ MET/);
    expect(summaryText(r)).toMatch(
      / {2}NOT PROVEN {3}Memory growth \(leak detection\): memory\.growth < 10MB\/min, measured 15\.07 MB\/min \(95 % CI .*not proven above 10 MB\/min\)/,
    );
    expect(annotationsFor(r)).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        title: 'perfgate: target met, value past its limit',
        message: expect.stringContaining('not proven past the limit'),
      }),
    );
  });

  it('evaluateTargets sets the interval on a growth target, notProven only when the value is past the limit', async () => {
    const { parseTarget } = await import('../../../src/config/target-expr.js');
    const r = JSON.parse(readFileSync(new URL('../../../fixtures/results/demo-pass.json', import.meta.url), 'utf8')) as RunResult;
    const growth = (slope: number, ci: [number, number]) => ({ slope, ci, sentence: `grows ${slope}` });
    const target = (expr: string) => ({
      name: 'g',
      expr,
      parsed: (parseTarget(expr) as { ok: true; expr: never }).expr,
      path: 'targets[0]',
    });
    const judge = (slope: number, ci: [number, number]) => {
      r.service.memory = { mean: 1, peak: 1, samples: 10, growth: growth(slope, ci) as never };
      return evaluateTargets([target('memory.growth < 10MB/min')], r)[0]!;
    };
    const mb = 1024 ** 2;
    expect(judge(15 * mb, [2 * mb, 28 * mb])).toMatchObject({ status: 'pass', interval: { notProven: true } });
    expect(judge(5 * mb, [1 * mb, 9 * mb])).toMatchObject({ status: 'pass', interval: { notProven: false } });
    expect(judge(40 * mb, [20 * mb, 60 * mb])).toMatchObject({ status: 'fail', interval: { notProven: false } });
  });
});
