import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { compileTemplate, loadTemplate } from '../../../src/report/render.js';
import { buildView } from '../../../src/report/view.js';
import { analyzeRegressions, currentFromResult } from '../../../src/analysis/regression.js';
import { REGRESSION_DEFAULTS } from '../../../src/config/types.js';
import { decide } from '../../../src/analysis/verdict.js';
import { trialFigures } from '../../../src/contract/record.js';
import type { RunResult } from '../../../src/contract/result.js';
import { createRng } from '../../../src/stats/rng.js';
import { record } from '../../history-fixtures.js';

const root = new URL('../../../', import.meta.url);
const recorded = (name: string): RunResult => JSON.parse(readFileSync(new URL(`fixtures/results/${name}`, root), 'utf8')) as RunResult;
const render = (run: RunResult): string => loadTemplate()(buildView(run));

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

describe('recorded results', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(new URL('schemas/result.schema.json', root), 'utf8')) as object);
  for (const name of ['demo-pass.json', 'demo-errors.json', 'demo-crash.json']) {
    it(`${name} conforms to schemas/result.schema.json`, () => {
      const ok = validate(recorded(name));
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    });
  }
});

describe('report.md rendered from a recorded run', () => {
  it('a passing run: status, the seven targets with numbers, ticked checklist', () => {
    const md = render(recorded('demo-pass.json'));
    expect(md).toMatch(/^# demo-payments: Performance Gate Report\n/);
    expect(md).toContain('**Overall status:** ✅ **PASSED**: all 7 targets measured and met');
    expect(md).toContain('**Production readiness:** **READY**');
    expect(md).toContain('| Metric | Target | Measured | Status | Notes |');
    const rows = md.split('\n').filter((l) => l.includes('✅ MET'));
    expect(rows).toHaveLength(7);
    for (const row of rows) expect(row.split('|')[3]).toMatch(/\d/); // nothing is ✅ without a number beside it
    expect(md).toContain('- [x] Service became ready');
    // No history yet: said out loud in the summary, the analysis section and the checklist.
    expect(md).toContain('**Insufficient baseline**: this run could not be compared with history (fewer than 5 comparable runs stored).');
    expect(md).toContain('## Regression analysis');
    expect(md).toContain('- [ ] Compared against history: not possible yet (insufficient baseline, 5 comparable runs needed)');
    expect(md).toMatch(/\| create cart \| `POST \/api\/carts` \| [\d,]+ \| 0 \|/);
    expect(md).not.toMatch(/❌|NOT READY/);
  });

  it('a run with errors: ❌ on the error rate, NOT READY, a recommendation naming the status codes', () => {
    const md = render(recorded('demo-errors.json'));
    expect(md).toContain('❌ **FAILED**');
    expect(md).toContain('**NOT READY**');
    expect(md).toMatch(/\| Error rate \| `rate\(errors\) < 1%` \| 5(\.\d+)? % \| ❌ BREACHED \|/);
    expect(md).toMatch(/- Errors in the run exceed the target \([\d]+× 500\)/);
    expect(md).toMatch(/- \[ \] Error rate: /);
  });

  it('a crashed run: the failure, the log tail in a code block, ❓ for what never ran', () => {
    const md = render(recorded('demo-crash.json'));
    expect(md).toContain('## ⚠️ The service crashed during load');
    expect(md).toMatch(/```text\n[\s\S]*crashing on purpose[\s\S]*\n```/);
    expect(md).toMatch(
      /\| Payment workflow throughput \(payment workflow\) \| `workflows_per_s >= 100` \| not measured \| ❓ NOT MEASURED \|/,
    );
    expect(md).toContain('- [ ] All 3 load scenarios completed without a crash (1 did)');
    expect(md).toContain('Not run: "payment workflow".');
  });

  it('escapes what came from the config and the service', () => {
    const run = recorded('demo-crash.json');
    run.name = 'evil <script>alert(1)</script> @admin';
    run.scenarios[0]!.name = 'a | b [x](http://evil)';
    run.targets[0]!.name = '**bold** #1';
    run.failure!.logTail = ['```', 'done ```` here'];
    const md = render(run);
    expect(md).not.toContain('<script>');
    expect(md).toContain('&lt;script&gt;');
    expect(md).toContain('@\u200Badmin');
    expect(md).toContain('### a \\| b \\[x\\](http:\u200B//evil)');
    expect(md).toContain('\\*\\*bold\\*\\* \\#\u200B1');
    expect(md).toMatch(/`````text\n```\ndone ```` here\n`````/);
    // Every table row still has its five cells.
    for (const line of md.split('\n').filter((l) => l.startsWith('| ') && l.includes('BREACHED'))) {
      expect(line.split(/(?<!\\)\|/).length).toBe(7);
    }
  });

  it('renders a user template against the same view', () => {
    const t = compileTemplate('{{name}}: {{#each targets}}{{status}} {{/each}}');
    expect(t(buildView(recorded('demo-pass.json')))).toBe(`demo-payments: ${'✅ MET '.repeat(7).trim()}\n`);
    expect(() => compileTemplate('{{#each}}', 'bad.hbs')).toThrow(/bad.hbs does not compile/);
  });
});

describe('the regression analysis section', () => {
  it('shows a proven regression the same way for latency and throughput (+ = worse), with its recommendation', () => {
    const run = recorded('demo-pass.json');
    const rng = createRng(21);
    const records = Array.from({ length: 8 }, (_, i) => ({
      ...record(rng, {}, {}, 500 + i),
      fingerprint: run.config.fingerprint,
      runner: run.runner,
      scenarios: run.scenarios.map((s) => ({ name: s.name, trials: s.trials.map(trialFigures) })),
    }));
    const slower = structuredClone(run);
    for (const t of slower.scenarios[0]!.trials) {
      t.latency.p50 = t.latency.p50! * 1.4;
      t.latency.p95 = t.latency.p95! * 1.4;
      t.latency.p99 = t.latency.p99! * 1.4;
      t.rps *= 0.7;
    }
    slower.regression = analyzeRegressions(records, currentFromResult(undefined, slower), REGRESSION_DEFAULTS, 'dir .perfgate/history');
    Object.assign(slower, decide(slower.targets, null, slower.regression));
    const md = render(slower);
    expect(md).toMatch(/\*\*FAILED\*\*: [2-4] regressions proven against history/);
    expect(md).toMatch(/\| browse products \| p95 latency \| [\d.]+ ms \(8 runs\) \| [\d.]+ ms \| \+40(\.0)? % worse \|.*🔴 regression/);
    expect(md).toMatch(/\| browse products \| Throughput \| [\d,.]+\/s \(8 runs\) \| [\d,.]+\/s \| \+30(\.0)? % worse \|.*🔴 regression/);
    expect(md).toMatch(/\| payment workflow \| p50 latency \|.*\| \+0 % \|/);
    expect(md).toMatch(
      /- p95 latency of "browse products" regressed \(\+40(\.0)? % worse\): look at what changed between `[0-9a-f]{7}` and /,
    );
    expect(md).toContain('<details><summary>Method and baseline runs</summary>');
    expect(md).toMatch(/- \[ \] No regression against a baseline of 8 stored runs/);
  });
});
