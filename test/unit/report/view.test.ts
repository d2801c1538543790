import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { compileTemplate, loadTemplate } from '../../../src/report/render.js';
import { buildView } from '../../../src/report/view.js';
import type { RunResult } from '../../../src/contract/result.js';
import { slowerThanItsHistory } from '../../history-fixtures.js';

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
  it('shows a proven regression for latency and throughput as a reader computes it (throughput ×0.7 reads −30 %), with its recommendation', () => {
    const slower = slowerThanItsHistory(recorded('demo-pass.json'));
    const md = render(slower);
    expect(md).toMatch(/\*\*FAILED\*\*: [2-4] regressions proven against history/);
    expect(md).toMatch(/\| browse products \| p95 latency \| [\d.]+ ms \(8 runs\) \| [\d.]+ ms \| \+40(\.0)? % worse \|.*🔴 regression/);
    expect(md).toMatch(/\| browse products \| Throughput \| [\d,.]+\/s \(8 runs\) \| [\d,.]+\/s \| −30(\.0)? % worse \|.*🔴 regression/);
    expect(md).toMatch(/\| payment workflow \| p50 latency \|.*\| \+0 % \|/);
    expect(md).toMatch(
      /- p95 latency of "browse products" regressed \(\+40(\.0)? % worse\): look at what changed between `[0-9a-f]{7}` and /,
    );
    expect(md).toContain('<details><summary>Method and baseline runs</summary>');
    // The method says how this analysis took each run's level and its spreads (the defaults).
    expect(md).toContain('Per run, its least disturbed trial (the fastest latency, the highest throughput) on the log scale');
    expect(md).not.toContain('moderated together');
    expect(md).toMatch(/- \[ \] No regression against a baseline of 8 stored runs/);
    // p50 is outside the default gate: the same +40 % is reported, marked, and does not count.
    expect(md).toMatch(/\| browse products \| p50 latency \|.*\| \+40(\.0)? % worse \|.*🔴 regression · not gating/);
    expect(md).toMatch(/Worse, outside the gate \(reported, not failing\): p50 latency of "browse products" \+40(\.0)? % worse/);
    expect(md).toContain('reported but never failing the run: p50 latency, p99 latency');
    expect(md).not.toMatch(/- p50 latency of "browse products" regressed/);
  });
});

describe('A/B: what would decide a comparison left inconclusive', () => {
  it('names the trial-to-trial spread and the trials per side δ would need, from the run itself', async () => {
    const { analyzeAb } = await import('../../../src/analysis/ab.js');
    const { whyUndecided } = await import('../../../src/report/comparison-view.js');
    const { REGRESSION_DEFAULTS } = await import('../../../src/config/types.js');
    const { trialFigures } = await import('../../../src/contract/record.js');
    const run = recorded('demo-pass.json');
    const scenario = run.scenarios[0]!;
    // p95 that swings by a factor of about 1.5 from trial to trial, on both sides alike.
    const swing = (k: number) => [1, 1.5, 0.7, 1.3, 0.8, 1.4][k % 6]!;
    const side = (shift: number) =>
      Array.from({ length: 6 }, (_, k) => {
        const t = structuredClone(scenario.trials[k % scenario.trials.length]!);
        t.latency.p95 = 0.6 * swing(k + shift);
        return t;
      });
    const base = side(0);
    const head = side(3);
    run.scenarios = [{ ...scenario, trials: head }];
    const comparisons = analyzeAb(new Map([[scenario.name, base.map(trialFigures)]]), new Map([[scenario.name, head.map(trialFigures)]]), {
      alpha: 0.05,
      looks: 1,
      delta: REGRESSION_DEFAULTS.delta,
      gate: ['p95'],
    });
    expect(comparisons.find((c) => c.metric === 'p95')!.outcome).toBe('inconclusive');
    run.ab = {
      mode: 'ab',
      alpha: 0.05,
      looks: [6],
      alphaPerLook: 0.05,
      trialsPerSide: 6,
      batches: 6,
      stoppedBecause: 'max-trials (6 per side) reached with 1 gating comparison still inconclusive',
      elapsedMs: 1,
      order: 'BHHBBHHBBHHB',
      base: { command: 'x', url: 'http://127.0.0.1:1', scenarios: [{ ...scenario, trials: base }] },
      comparisons,
      counts: { regression: 0, improvement: 0, 'confident pass': 0, inconclusive: 1 },
    };
    const [line] = whyUndecided(run);
    const m =
      /^p95 latency of "browse products" varies by about ±(\d+) % from pair to pair here: telling a change of 10 % from that needs about (\d+) pairs \(this run had 6; (\d+) % is what it could tell\)\./.exec(
        line!,
      );
    expect(m, line).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(20);
    expect(Number(m![2])).toBeGreaterThan(6);
    expect(render(run)).toContain(line!);
    // One level for both: the intervals at α's, nothing said of β.
    expect(render(run)).toContain('at 90 % (the level of one look)');
    expect(render(run)).not.toContain('β =');
    // regression.beta apart from α: the intervals are at β's level, and the report says so.
    run.ab.beta = 0.1;
    expect(render(run)).toMatch(
      /A confident pass is judged at β = 0\.1 \(0\.1 each look\): a change of exactly δ ends as one in at most that share of runs\./,
    );
    expect(render(run)).toContain('at 80 % (the level of one look)');
  });
});
