// Which targets a config can judge, decided from the effective config alone.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { requestsForPercentile, unjudgeableTargets } from '../../../src/analysis/judgeable.js';
import { evaluateTargets } from '../../../src/analysis/targets.js';
import { decide } from '../../../src/analysis/verdict.js';
import { parseConfig } from '../../../src/config/load.js';
import { applyOverrides } from '../../../src/config/overrides.js';
import type { RunResult } from '../../../src/contract/result.js';

const root = new URL('../../../', import.meta.url);
const demo = () => parseConfig(readFileSync(new URL('perfgate.yml', root), 'utf8'), '/t/perfgate.yml');
const names = (c: Parameters<typeof unjudgeableTargets>[0]) => unjudgeableTargets(c).map((u) => u.target.expr);

describe('judgeable targets', () => {
  it('the demo at its own settings: every target can be judged', () => {
    expect(unjudgeableTargets(demo())).toEqual([]);
  });

  it('the demo with duration 1s: the leak check and the 1000 connections, with reasons and fixes', () => {
    const short = applyOverrides(demo(), { durationMs: 1000, trials: 2 });
    const u = unjudgeableTargets(short);
    expect(u.map((x) => x.target.expr)).toEqual(['connections >= 1000', 'memory.growth < 10MB/min']);
    expect(u[0]).toMatchObject({
      reason:
        '"1000 concurrent connections" sends 1000 requests per 1 s trial over 1000 connections: not every connection is served in a trial',
      fix: 'duration: 2s or more (2 requests per connection per trial at 1000 req/s)',
    });
    expect(u[1]).toMatchObject({
      reason: '6 s of load; a leak needs at least 30 s to tell from heap sizing',
      fix: 'at least 30 s of trials in all (e.g. duration: 5s with these 6 trials)',
    });
    // Two seconds serve every connection twice over; then only the leak check is left.
    expect(names(applyOverrides(demo(), { durationMs: 2000, trials: 2 }))).toEqual(['memory.growth < 10MB/min']);
  });

  const config = (load: string, targets: string[], extra = '') =>
    parseConfig(
      `service: { command: x }
load: { ${load} }
scenarios:
  - { name: a, request: { path: / }${extra} }
targets:
${targets.map((t) => `  - "${t}"`).join('\n')}
`,
      '/t/perfgate.yml',
    );

  it('a percentile needs five requests beyond it; the open model says beforehand how many there will be', () => {
    expect([50, 95, 99, 99.9].map(requestsForPercentile)).toEqual([10, 100, 500, 5000]);
    expect(names(config('duration: 1s, trials: 2', ['p(99) < 10ms'], ', rate: 100, connections: 10'))).toEqual(['p(99) < 10ms']);
    expect(names(config('duration: 5s, trials: 1', ['p(99) < 10ms'], ', rate: 100, connections: 10'))).toEqual([]);
    // Closed model: only the run knows; nothing is said beforehand.
    expect(names(config('duration: 1s, trials: 1', ['p(99) < 10ms']))).toEqual([]);
  });

  it('closed-model connections are always served; a rate ramp step needs enough requests for its stop condition', () => {
    expect(names(config('duration: 1s, trials: 1', ['connections >= 10'], ', connections: 10'))).toEqual([]);
    const ramp = parseConfig(
      `service: { command: x }
scenarios:
  - name: r
    request: { path: / }
    connections: 5
    ramp: { by: rate, start: 10, max: 80, step: 2s, stop: { p99: 50ms } }
    targets: [ "capacity > 50" ]
`,
      '/t/perfgate.yml',
    );
    expect(unjudgeableTargets(ramp)[0]).toMatchObject({
      reason: "the ramp's first step sends 20 requests; its stop condition on p(99) needs at least 500",
      fix: 'step: 50s or more, or a higher start',
    });
  });

  it('after the run: a closed-model percentile over too few requests is not judged; the policy decides the verdict', () => {
    const run = JSON.parse(readFileSync(new URL('fixtures/results/demo-pass.json', root), 'utf8')) as RunResult;
    const t = config('duration: 1s', ['p(99.9) < 1s']).targets.map((x) => ({ ...x, scenario: 'browse products' }));
    const few = structuredClone(run);
    few.scenarios[0]!.summary.requests = 300;
    const [r] = evaluateTargets(t, few);
    expect(r).toMatchObject({ status: 'unjudged', fix: 'more trials or a longer duration: 5000 requests or more' });
    expect(r!.note).toBe('not judged: 300 requests; p(99.9) needs at least 5000 to be more than its few largest values');
    expect(decide([r!], null).verdict).toBe('fail');
    expect(decide([r!], null, null, null, 'warn')).toEqual({
      verdict: 'pass',
      reason: 'no target could be judged; 1 target cannot be judged with these settings (unjudgeable: warn)',
    });
  });
});
