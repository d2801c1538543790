// A target the run cannot judge says so before the load starts, and is never a coin flip: a leak
// check over a few seconds of load and a `connections` target whose trials are too short to serve
// every connection are "not judged", with the reason and the setting that would judge them, the
// same on every run; `perfgate run --check` lists them without starting anything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGate } from '../../src/pipeline/gate.js';
import { CLI, DEMO, newMarker, processesWithMarker, REPO, tempDir, writeConfig } from '../helpers.js';

const config = `name: quick-manual-run
service:
  command: node ${JSON.stringify(DEMO)}
  ready: { http: /health }
load: { warmup: 200ms, duration: 5s, trials: 6 }
history: { store: none }
scenarios:
  - name: many connections
    request: { path: /api/products }
    connections: 200
    rate: 200
    targets: [ "connections >= 200", "p(95) < 200ms" ]
targets: [ "memory.growth < 10MB/min", "rate(errors) < 1%" ]
`;

const cli = (args: string[], cwd = REPO, env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env });

describe('targets the settings cannot judge', () => {
  it('perfgate run --check lists them with the reason and the fix, starts nothing; --strict exits 2', () => {
    const dir = tempDir();
    const file = writeConfig(dir, config);
    const m = newMarker();
    const r = cli(['run', '--check', '-c', file, '--duration', '1s', '--trials', '2', '-o', join(dir, 'out')], REPO, {
      ...process.env,
      ...m,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        'NOT JUDGEABLE: target "Concurrent connections sustained" (connections >= 200, many connections) cannot be judged with these settings: "many connections" sends 200 requests per 1 s trial over 200 connections: not every connection is served in a trial; to judge it: duration: 2s or more (2 requests per connection per trial at 200 req/s) (unjudgeable: fail, so it fails the gate)',
        'NOT JUDGEABLE: target "Service memory growth (RSS slope)" (memory.growth < 10MB/min) cannot be judged with these settings: 2 s of load; a leak needs at least 30 s to tell from heap sizing; to judge it: at least 30 s of trials in all (e.g. duration: 15s with these 2 trials) (unjudgeable: fail, so it fails the gate)',
        '',
      ].join('\n'),
    );
    // Nothing started, nothing written.
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
    expect(cli(['run', '--check', '--strict', '-c', file, '--duration', '1s', '--trials', '2']).status).toBe(2);
    // The config's own settings judge everything; so does the demo at its defaults.
    expect(cli(['run', '--check', '--strict', '-c', file]).stdout).toBe('OK: all 4 targets can be judged with these settings\n');
    expect(cli(['run', '--check', '--strict']).stdout).toBe('OK: all 10 targets can be judged with these settings\n');
    // The demo with a 1 s override: exactly the leak check and the 1000 connections.
    const demo = cli(['run', '--check', '--duration', '1s', '--trials', '2']);
    expect(
      demo.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => /target "([^"]+)"/.exec(l)![1]),
    ).toEqual(['Concurrent connections', 'Memory growth (leak detection)']);
  });

  it('two runs with 1 s trials: the same two targets not judged, the same verdict; warn lets the rest decide', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, config);
    const overrides = { durationMs: 1000, trials: 2 };
    const runs = [];
    for (const i of [1, 2]) runs.push(await runGate({ config: file, outDir: join(dir, `out-${i}`), overrides }));
    for (const o of runs) {
      const byExpr = Object.fromEntries(o.result.targets.map((t) => [t.expr, t]));
      expect(byExpr['connections >= 200']).toMatchObject({
        status: 'unjudged',
        fix: 'duration: 2s or more (2 requests per connection per trial at 200 req/s)',
      });
      expect(byExpr['memory.growth < 10MB/min']).toMatchObject({
        status: 'unjudged',
        note: 'not judged: 2 s of load; a leak needs at least 30 s to tell from heap sizing',
      });
      expect(byExpr['p(95) < 200ms']!.status).toBe('pass');
      expect(byExpr['rate(errors) < 1%']!.status).toBe('pass');
      expect(o.result.verdict).toBe('fail');
      expect(o.exitCode).toBe(1);
      expect(o.report).toContain('❓ NOT JUDGED');
      expect(o.report).toContain('to judge it: duration: 2s or more');
    }
    expect(runs[0]!.result.reason).toBe(runs[1]!.result.reason);
    expect(runs[0]!.result.reason).toBe('2 targets cannot be judged with these settings (unjudgeable: fail)');

    const warned = await runGate({ config: file, outDir: join(dir, 'warn'), overrides: { ...overrides, unjudgeable: 'warn' } });
    expect(warned.result.verdict).toBe('pass');
    expect(warned.exitCode).toBe(0);
    expect(warned.result.reason).toBe(
      'all 2 judged targets measured and met; 2 targets cannot be judged with these settings (unjudgeable: warn)',
    );
  }, 60_000);
});
