// Scaling out against real processes: load from two processes on one machine, two shards
// against one external demo service merged into one gated run, and imports through the CLI.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/util/errors.js';
import { LOAD_WORKER_FLAG } from '../../src/load/processes.js';
import { freePort } from '../../src/service/port.js';
import { runMerge } from '../../src/commands/merge-shards.js';
import { runShard } from '../../src/commands/shard.js';
import type { RunResult } from '../../src/contract/result.js';
import { checkedGate, validateResult } from '../checked-gate.js';
import { CLI, DEMO, REPO, tempDir, writeConfig } from '../helpers.js';

/** Load workers of this test process still alive. */
function workers(): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return fields[0] !== 'Z' && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(LOAD_WORKER_FLAG);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('load.processes', () => {
  it('two load processes: one merged trial per trial, every connection counted, no worker left behind', async () => {
    const yaml = `name: processes
service:
  command: node ${JSON.stringify(DEMO)}
  ready: { http: /health }
load: { warmup: 300ms, trials: 2, duration: 1s, processes: 2 }
history: { store: none }
scenarios:
  - name: checkout
    connections: 6
    workflow:
      - { name: intent, method: POST, path: /api/intents, json: { amount: 100 }, capture: { intentId: id } }
      - { name: cart, method: POST, path: /api/carts, json: { intentId: "\${intentId}" }, capture: { cartId: id } }
      - { name: pay, method: POST, path: /api/payments, json: { cartId: "\${cartId}" } }
targets: [ "rate(errors) < 1%", "p(95) < 1s" ]
`;
    // The load must really come from two worker processes, not from this one.
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, workers().length)), 100);
    const { result, exitCode } = await checkedGate({}, { yaml }).finally(() => clearInterval(watch));
    expect(most).toBe(2);
    expect(exitCode).toBe(0);
    const s = result.scenarios[0]!;
    expect(s.settings.processes).toBe(2);
    expect(s.trials).toHaveLength(2);
    for (const t of s.trials) {
      expect(t.connectionsServed).toBe(6);
      expect(t.workflows!.completed).toBeGreaterThan(50);
      expect(t.steps!.map((x) => x.name)).toEqual(['intent', 'cart', 'pay']);
      expect(t.statusCodes).toEqual({ '201': t.requests });
    }
    expect(workers()).toEqual([]);
  });
});

describe('shards against one external service', () => {
  let demo: ReturnType<typeof spawn>;
  let port: number;
  const dir = tempDir('perfgate-shards-');
  const yaml = (connections: number) => `name: sharded
service: { url: "http://127.0.0.1:{PORT}", ready: { http: /health } }
load: { warmup: 300ms, trials: 3, duration: 1s }
history: { store: none }
scenarios:
  - { name: products, request: { path: /api/products }, connections: ${connections}, rate: 400 }
targets:
  - "p(95) < 1s"
  - { expr: "rps > 100", scenario: products }
`;

  beforeAll(async () => {
    port = await freePort();
    demo = spawn(process.execPath, [DEMO], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      if ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(() => void demo.kill('SIGTERM'));

  it('two shards started together merge into one run: counts add up, windows overlap, targets and report as usual', async () => {
    const config = writeConfig(dir, yaml(8).replace('{PORT}', String(port)));
    const startAt = new Date(Date.now() + 1500).toISOString();
    const [a, b] = await Promise.all([1, 2].map((i) => runShard({ shard: `${i}/2`, startAt, config, outDir: join(dir, `s${i}`) })));
    expect(a!.exitCode).toBe(0);
    expect(a!.shard.scenarios[0]!.settings).toMatchObject({ connections: 4, rate: 200 });
    const merged = await runMerge({ files: [b!.file, a!.file], config, outDir: join(dir, 'merged') });
    const r = merged.result;
    expect(validateResult(r), JSON.stringify(validateResult.errors)).toBe(true);
    expect(merged.exitCode).toBe(0);
    expect(r.shards).toMatchObject({ count: 2, files: ['shard-1-of-2.json', 'shard-2-of-2.json'], warnings: [] });
    const s = r.scenarios[0]!;
    expect(s.settings).toMatchObject({ connections: 8, rate: 400 });
    for (let t = 0; t < 3; t++) {
      const parts = [a!, b!].map((x) => x.shard.scenarios[0]!.trials[t]!);
      expect(s.trials[t]!.requests).toBe(parts[0]!.requests + parts[1]!.requests);
      expect(s.trials[t]!.connectionsServed).toBe(8);
      const o = r.shards!.trials[t]!;
      expect(o.overlapMs / o.shortestMs).toBeGreaterThan(0.8);
    }
    expect(r.targets.map((t) => t.status)).toEqual(['pass', 'pass']);
    expect(merged.report).toContain('## Merged from 2 shards');
    expect(merged.report).toMatch(/perfgate sent [\d,]+ requests from 2 machines \(shards, merged\)/);

    // The same shards with a config whose load differs are refused, naming both fingerprints.
    const other = writeConfig(dir, yaml(6).replace('{PORT}', String(port)), 'other.yml');
    await expect(runMerge({ files: [a!.file, b!.file], config: other, outDir: join(dir, 'm2') })).rejects.toThrow(
      /measured with a different config than .*other\.yml/,
    );
    await expect(runMerge({ files: [a!.file], config, outDir: join(dir, 'm3') })).rejects.toThrow(UsageError);
  });
});

describe('perfgate import', () => {
  const dir = tempDir('perfgate-import-');
  const config = writeConfig(
    dir,
    `name: imported
service: { url: "http://127.0.0.1:1" }
scenarios: [{ name: products, request: { path: /api/products } }]
history: { store: none }
targets: [ "p(95) < 200ms", "p(99) < 200ms", "rate(errors) < 1%", "uptime >= 99%" ]
`,
  );
  const run = (from: string, file: string, out: string) =>
    spawnSync(
      process.execPath,
      [CLI, 'import', '--from', from, join(REPO, 'fixtures', 'imports', file), '-c', config, '--out', join(dir, out)],
      {
        encoding: 'utf8',
      },
    );

  it.each([
    ['autocannon', 'autocannon-demo-products.json', 'p(95)', 'autocannon does not compute it'],
    ['k6', 'k6-handle-summary.sample.json', 'p(99)', 'add it to summaryTrendStats'],
  ])('%s output round-trips into a result and a report, with what it lacks as ❓', (from, file, lacking, hint) => {
    const out = run(from, file, from);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(1); // a target it cannot measure fails, as with any ❓
    const result = JSON.parse(readFileSync(join(dir, from, 'result.json'), 'utf8')) as RunResult;
    expect(validateResult(result), JSON.stringify(validateResult.errors)).toBe(true);
    expect(result.source).toMatchObject({ tool: from, file });
    const t = result.targets.find((x) => x.expr.startsWith(lacking))!;
    expect(t.status).toBe('unmeasured');
    expect(result.targets.find((x) => x.expr.startsWith('uptime'))!.note).toBe(`${from}'s output does not hold uptime during load`);
    expect(result.targets.find((x) => x.expr.startsWith('rate(errors)'))!.status).toBe('pass');
    const report = readFileSync(join(dir, from, 'report.md'), 'utf8');
    expect(report).toContain(`## Imported from ${from}`);
    expect(report).toContain(hint);
    expect(report).toContain(`perfgate did not send this load`);
    // No claim of a measurement perfgate did not make.
    expect(report).toContain(`the figures in this report were imported from ${from}'s output; perfgate measured none of them`);
    expect(report).not.toContain('every figure in this report was measured in this run');
    expect(report).not.toContain('Service became ready');
    expect(out.stdout).toContain('NOT MEASURED');
  });

  it('Locust --csv statistics (recorded) round-trip: its percentiles judged, what it lacks as ❓', () => {
    const out = run('locust', 'locust-demo_stats.csv', 'locust');
    expect(out.stderr).toBe('');
    expect(out.status).toBe(1); // uptime is not in Locust's statistics
    const result = JSON.parse(readFileSync(join(dir, 'locust', 'result.json'), 'utf8')) as RunResult;
    expect(validateResult(result), JSON.stringify(validateResult.errors)).toBe(true);
    expect(result.source).toMatchObject({ tool: 'locust', file: 'locust-demo_stats.csv' });
    for (const expr of ['p(95) < 200ms', 'p(99) < 200ms', 'rate(errors) < 1%'])
      expect(result.targets.find((x) => x.expr === expr)!.status, expr).toBe('pass');
    expect(result.targets.find((x) => x.expr.startsWith('uptime'))!.note).toBe("locust's output does not hold uptime during load");
    const report = readFileSync(join(dir, 'locust', 'report.md'), 'utf8');
    expect(report).toContain('## Imported from locust');
    expect(report).toContain("Locust's own approximations");
    expect(report).toContain('perfgate did not send this load');
  });
});
