// Service internals against the real demo service: a leak is caught and a flat service is not,
// the cache hit rate is read from its real Prometheus endpoint, a stress ramp finds capacity,
// and a broken metrics endpoint leaves a ❓ with a note while the gate still completes.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { runGate } from '../../src/pipeline/gate.js';
import { checkedGate } from '../checked-gate.js';
import { DEMO, tempDir, writeConfig } from '../helpers.js';

interface Options {
  env?: Record<string, string | number>;
  metrics?: string;
  scenarios?: string;
  targets: string[];
  load?: string;
}

const PRODUCTS = `  - name: products
    request: { path: /api/products }
    connections: 8
`;

function yaml(o: Options): string {
  const env = Object.entries(o.env ?? {})
    .map(([k, v]) => `    ${k}: "${v}"`)
    .join('\n');
  return `name: internals
service:
  command: node ${JSON.stringify(DEMO)}
  ready: { http: /health, timeout: 15s }
  stop-timeout: 3s
${env ? `  env:\n${env}\n` : ''}${o.metrics ?? ''}load: ${o.load ?? '{ warmup: 2s, trials: 3, duration: 2s }'}
history: { store: none }
scenarios:
${o.scenarios ?? PRODUCTS}${o.targets.length ? `targets:\n${o.targets.map((t) => `  - ${JSON.stringify(t)}`).join('\n')}\n` : ''}`;
}

const CACHE = `  metrics:
    url: /metrics
    define:
      cache_hit_rate:
        expr: rate(cache_hits_total) / (rate(cache_hits_total) + rate(cache_misses_total))
        unit: percent
        better: higher
      db_queries_per_request: delta(db_queries_total) / requests
`;

describe('memory growth', () => {
  // A leak check needs 30 s of load (a healthy heap grows in a straight line for its first
  // seconds): shorter, the target is not judged (test/integration/unjudgeable-targets.test.ts).
  it('the LEAK_MB_PER_S knob is caught; the same service without it is not flagged', async () => {
    const targets = ['memory.growth < 100MB/min'];
    const load = '{ warmup: 1s, trials: 3, duration: 10s }';
    const flat = await checkedGate({}, { yaml: yaml({ targets, load }) });
    const leak = await checkedGate({}, { yaml: yaml({ targets, load, env: { LEAK_MB_PER_S: 5 } }) });

    expect(flat.result.targets[0]!.status).toBe('pass');
    expect(flat.exitCode).toBe(0);
    const fg = flat.result.service.memory!.growth!;
    expect(fg.ci[0]).toBeLessThan(100 * 1024 ** 2);

    expect(leak.exitCode).toBe(1);
    expect(leak.result.targets[0]).toMatchObject({ status: 'fail' });
    expect(leak.result.targets[0]!.note).toMatch(/breaches < 100 MB\/min/);
    const lg = leak.result.service.memory!.growth!;
    // 5 MB/s is 300 MB/min of retained, touched memory, steady over 30 s of load.
    expect(lg.slope / 1024 ** 2).toBeGreaterThan(150);
    expect(lg.ci[0]).toBeGreaterThan(100 * 1024 ** 2);
    expect(lg.steady).toBe(true);
    expect(leak.report).toContain('## Service internals');
    expect(leak.report).toMatch(
      /- Memory grew steadily at \d+(\.\d+)? MB\/min \(95 % CI .*, R² [01]\.\d+, \d+ samples over 30 s of load\)/,
    );
    expect(leak.report).toContain('| whole run (ramps excluded) |');
  }, 120_000);
});

describe('service metrics scraped from the demo', () => {
  it('the cache hit rate is measured for real: met normally, breached with CACHE_DISABLED=1', async () => {
    const targets = ['cache_hit_rate >= 80%', 'db_queries_per_request < 0.5'];
    const load = '{ warmup: 500ms, trials: 2, duration: 1s }';
    const on = await checkedGate({}, { yaml: yaml({ targets, metrics: CACHE, load }) });
    const off = await checkedGate({}, { yaml: yaml({ targets, metrics: CACHE, load, env: { CACHE_DISABLED: 1 } }) });

    expect(on.result.targets.map((t) => t.status)).toEqual(['pass', 'pass']);
    expect(on.result.targets[0]!.measured).toBeGreaterThan(0.95);
    expect(on.result.metrics!.failed).toBe(0);
    expect(on.result.metrics!.scrapes).toBe(4);
    const trials = on.result.scenarios[0]!.trials;
    expect(trials.every((t) => t.metrics!.cache_hit_rate! > 0.95)).toBe(true);

    expect(off.exitCode).toBe(1);
    expect(off.result.targets[0]).toMatchObject({ status: 'fail', measured: 0 });
    // Every catalog read went to the database: one query per request.
    expect(off.result.targets[1]!.measured).toBeCloseTo(1, 2);
    expect(off.result.targets[1]!.status).toBe('fail');
    expect(off.report).toContain('`cache_hit_rate` was 0 % over the run.');
    expect(off.report).toContain('| `cache_hit_rate` (higher is better) |');
  });

  it.each([
    ['garbage (a JSON page)', '/api/products', {}, 'not Prometheus text exposition (Encountered invalid line: [{"id":"prod_1"'],
    ['a 404', '/no-such-metrics', {}, 'answered 404'],
    ['a timeout', '/metrics', { METRICS_DELAY_MS: 3000 }, 'failed: no complete answer within 300 ms'],
  ])('an endpoint returning %s gives ❓ with a note, and the gate completes', async (_what, url, env, note) => {
    const metrics = CACHE.replace('url: /metrics', `url: ${url}\n    timeout: 300ms`);
    const { result, exitCode, report } = await checkedGate(
      {},
      {
        yaml: yaml({
          targets: ['cache_hit_rate >= 80%', 'p(95) < 1s'],
          metrics,
          env,
          load: '{ warmup: 200ms, trials: 1, duration: 500ms }',
        }),
      },
    );
    expect(exitCode).toBe(1);
    expect(result.failure).toBeNull();
    expect(result.targets[0]).toMatchObject({ status: 'unmeasured', measured: null });
    expect(result.targets[0]!.note).toContain(note);
    expect(result.targets[1]!.status).toBe('pass');
    expect(result.metrics!.failed).toBe(2);
    expect(result.metrics!.problems.join('\n')).toContain(note);
    expect(report).toContain('❓ NOT MEASURED');
    expect(report).toContain('2 of 2 scrapes of');
  });
});

describe('service metrics against history', () => {
  it('five saved runs, then CACHE_DISABLED=1: the hit rate regression is proven, in percentage points', async () => {
    const dir = tempDir('perfgate-internals-history-');
    const config = writeConfig(
      dir,
      yaml({ targets: [], metrics: CACHE, load: '{ warmup: 300ms, trials: 3, duration: 1s }' }).replace(
        'history: { store: none }',
        'history: { store: dir }',
      ),
    );
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GITHUB_')));
    for (let i = 0; i < 5; i++) await runGate({ config, outDir: join(dir, `base-${i}`), env, save: true });
    const off = await runGate({ config, outDir: join(dir, 'off'), env: { ...env, CACHE_DISABLED: '1' }, save: false });
    const c = off.result.regression!.comparisons.find((x) => x.metric === 'cache_hit_rate')!;
    expect(c).toMatchObject({ outcome: 'regression', scale: 'abs', runs: 5, current: 0 });
    expect(c.change!).toBeGreaterThan(0.9);
    expect(off.exitCode).toBe(1);
    expect(off.report).toMatch(/\| cache_hit_rate \| [\d.]+ % \(5 runs\) \| 0 % \| −(9\d|100)(\.\d+)? pp worse \|/);
    // Memory growth over 3 s of load is heap sizing: not compared with history, and said so.
    expect(off.result.regression!.comparisons.some((x) => x.metric === 'memory.growth')).toBe(false);
    expect(off.result.regression!.leftOut).toContainEqual({
      scenario: 'the whole run',
      metric: 'memory.growth',
      why: '3 s of load; a leak needs at least 30 s to tell from heap sizing',
    });
    expect(off.report).toContain(
      'Not compared: Memory growth of the whole run (3 s of load; a leak needs at least 30 s to tell from heap sizing).',
    );
  });
});

describe('stress ramp', () => {
  it('finds a capacity on the demo and stops at the p95 condition', async () => {
    const scenarios = `  - name: ramp
    request: { path: /api/products }
    ramp: { start: 4, factor: 4, max: 4096, step: 1s, stop: { p95: 8ms } }
    targets:
      - capacity > 500
${PRODUCTS}`;
    const { result, exitCode, report } = await checkedGate(
      {},
      { yaml: yaml({ scenarios, targets: ['rate(errors) < 1%'], load: '{ warmup: 300ms, trials: 1, duration: 1s }' }) },
    );
    const s = result.scenarios[0]!;
    const ramp = s.ramp!;
    expect(ramp.levels).toEqual([4, 16, 64, 256, 1024, 4096]);
    // It stopped at the first step whose p95 passed 8 ms, before the last level.
    const last = ramp.steps[ramp.steps.length - 1]!;
    expect(last.ok).toBe(false);
    expect(last.broke).toMatch(/^p95 [\d.]+ ms > 8 ms$/);
    expect(last.p95).toBeGreaterThan(8);
    expect(ramp.steps.length).toBeLessThan(ramp.levels.length);
    expect(ramp.steps.slice(0, -1).every((x) => x.ok && x.p95 <= 8)).toBe(true);
    // Capacity: the highest step that met the conditions, with its own figures.
    expect(ramp.capacity).not.toBeNull();
    expect(ramp.capacity!.level).toBe(ramp.steps[ramp.steps.length - 2]!.level);
    expect(s.trials).toHaveLength(1);
    expect(s.summary.rps).toBeCloseTo(ramp.capacity!.rps, 0);
    expect(result.targets[0]).toMatchObject({ expr: 'capacity > 500', status: 'pass', measured: ramp.capacity!.rps });
    expect(ramp.stoppedBecause).toContain('broke the stop condition: p95');
    // The ramp's overload is left out of run-wide targets and figures.
    expect(result.targets[1]!.status).toBe('pass');
    expect(exitCode).toBe(0);
    expect(report).toMatch(/- Stress ramp "ramp": capacity \*\*[\d,]+ req\/s\*\* at \d+ connections/);
    expect(report).toContain('| ✅ capacity |');
    expect(report).toContain('xychart-beta');
  });
});
