// perfgate against servers nobody on the project wrote, measured beside a reference client in
// the same test: gunicorn + Flask (sync workers answer every request with Connection: close)
// and Python's http.server (HTTP/1.0, closes after every response).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rawClosed } from '../../bench/raw-client.mjs';
import { runGate, type GateOutcome } from '../../src/pipeline/gate.js';
import type { ScenarioResult } from '../../src/contract/result.js';
import { REPO, newMarker, processesWithMarker, tempDir, writeConfig } from '../helpers.js';
import { freePort } from '../../src/service/port.js';
import { externalService } from '../servers.js';

const FLASK = join(REPO, 'fixtures', 'flask-app');
const hasGunicorn =
  spawnSync('/usr/bin/gunicorn', ['--version']).status === 0 && spawnSync('/usr/bin/python3', ['-c', 'import flask']).status === 0;
if (!hasGunicorn && process.env.CI) throw new Error('CI must run the gunicorn tests: .ci/run installs gunicorn and python3-flask');
if (!hasGunicorn)
  console.warn(
    '\n*** gunicorn + python3-flask not installed: the gunicorn tests are SKIPPED (apt-get install gunicorn python3-flask) ***\n',
  );

/**
 * Starts the server again and measures it with the reference client (4 connections, 1 s): the
 * p50 perfgate measured must be of the same order (a factor of 3, plus 1 ms for tiny values).
 * autocannon read ~800 ms where this client reads 2–4 ms.
 */
async function expectNearRawClient(command: string, cwd: string, path: string, p50: number): Promise<void> {
  const port = await freePort();
  const server = await externalService(command.replace('$PORT', String(port)), cwd, port);
  try {
    // Three short raw readings: a CPU-bound neighbour only ever slows a reading, so the bounds use
    // the least and the most disturbed one (one 1 s reading under a neighbour once read 7 ms
    // against perfgate's 1 ms taken a moment before).
    const raws = [];
    for (let i = 0; i < 3; i++) raws.push(await rawClosed(`http://127.0.0.1:${port}${path}`, { connections: 4, durationMs: 700 }));
    for (const raw of raws) expect(raw.errors).toBe(0);
    const p50s = raws.map((r) => r.p50);
    const why = `perfgate p50 ${p50} ms, raw client ${p50s.join(', ')} ms`;
    expect(p50, why).toBeLessThan(Math.max(...p50s) * 3 + 1);
    expect(p50, why).toBeGreaterThan(Math.min(...p50s) / 3 - 1);
  } finally {
    await server.stop();
  }
}

/** A gate run of one GET against a server that closes every connection: no errors, no process left, every response closed. */
async function closingServerRun(
  command: string,
  cwd: string,
  path: string,
  targets: string[],
): Promise<{ o: GateOutcome; s: ScenarioResult }> {
  const dir = tempDir();
  const m = newMarker();
  const o = await runGate({
    config: writeConfig(dir, serverConfig(command, cwd, `  - { name: get, request: { path: ${path} } }`, targets)),
    outDir: join(dir, 'out'),
    env: { ...process.env, ...m },
  });
  expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
  const s = o.result.scenarios[0]!;
  expect(s.summary.errors.total, JSON.stringify(s.summary.errors)).toBe(0);
  expect(s.summary.requests).toBeGreaterThan(100);
  expect(s.summary.connections!.closedByServer).toBe(s.summary.requests);
  return { o, s };
}

function serverConfig(command: string, cwd: string, scenario: string, targets: string[]): string {
  return `name: foreign
service:
  command: ${JSON.stringify(command)}
  cwd: ${JSON.stringify(cwd)}
  port: auto
  ready: { tcp: true, timeout: 20s }
load: { connections: 4, warmup: 300ms, trials: 2, duration: 1s }
scenarios:
${scenario}
targets:
${targets.map((t) => `  - ${JSON.stringify(t)}`).join('\n')}
`;
}

describe('Python http.server (HTTP/1.0, closes every connection)', () => {
  const site = tempDir('perfgate-site-');
  writeFileSync(join(site, 'hello.json'), JSON.stringify({ message: 'hello', next: 'second.json' }));
  writeFileSync(join(site, 'second.json'), JSON.stringify({ ok: true }));
  const command = 'python3 -m http.server $PORT --bind 127.0.0.1';

  it('a closed-model run: no errors, every response on its own connection, p50 near a raw client', async () => {
    const { o, s } = await closingServerRun(command, site, '/hello.json', ['rate(errors) < 1%', 'p(95) < 500ms']);
    expect(o.report).toContain('The server closed the connection after every response: each request paid a new TCP connection');
    expect(o.exitCode, o.result.reason).toBe(0);

    // The same server measured by the reference client right after: same order of magnitude.
    await expectNearRawClient(command, site, '/hello.json', s.summary.latency.p50!);
  }, 60_000);

  it('a workflow continues on a fresh connection with its captured value', async () => {
    const dir = tempDir();
    const o = await runGate({
      config: writeConfig(
        dir,
        serverConfig(
          command,
          site,
          `  - name: chain
    workflow:
      - { name: first, method: GET, path: /hello.json, capture: { next: next } }
      - { name: second, method: GET, path: "/\${next}" }`,
          ['rate(errors) < 1%'],
        ),
      ),
      outDir: join(dir, 'out'),
    });
    const s = o.result.scenarios[0]!;
    expect(s.summary.errors.total).toBe(0);
    expect(s.summary.workflows!.completed).toBeGreaterThan(50);
    expect(s.summary.steps![1]!.ok).toBe(s.summary.workflows!.completed);
    expect(s.summary.statusCodes).toEqual({ '200': s.summary.requests });
    expect(o.exitCode).toBe(0);
  }, 60_000);
});

describe.skipIf(!hasGunicorn)('gunicorn + Flask, default sync workers (Connection: close)', () => {
  const command = '/usr/bin/gunicorn --workers 3 --bind 127.0.0.1:$PORT app:app';

  it('passes an error-rate and p95 gate, with a p50 near a raw client measured beside it', async () => {
    const { o, s } = await closingServerRun(command, FLASK, '/hello', ['rate(errors) < 1%', 'p(95) < 50ms']);
    expect(o.exitCode, o.result.reason).toBe(0);
    expect(o.result.targets.every((t) => t.status === 'pass')).toBe(true);

    await expectNearRawClient(command, FLASK, '/hello', s.summary.latency.p50!);
  }, 60_000);

  it('a POST → GET workflow carries the created id over a new connection, with no errors', async () => {
    const dir = tempDir();
    const o = await runGate({
      config: writeConfig(
        dir,
        serverConfig(
          command,
          FLASK,
          `  - name: create and read
    workflow:
      - { name: create, method: POST, path: /items, json: { name: x }, capture: { id: id } }
      - { name: read, method: GET, path: "/items/\${id}" }`,
          ['rate(errors) < 1%', 'p(95) < 50ms'],
        ),
      ),
      outDir: join(dir, 'out'),
    });
    const s = o.result.scenarios[0]!;
    expect(s.summary.errors.total, JSON.stringify(s.summary.errors)).toBe(0);
    expect(s.summary.steps![1]!.ok).toBeGreaterThan(100);
    expect(s.summary.workflows!.completed).toBe(s.summary.steps![1]!.ok);
    expect(s.summary.statusCodes).toEqual({ '200': s.summary.steps![1]!.ok, '201': s.summary.steps![0]!.ok });
    expect(o.exitCode, o.result.reason).toBe(0);
  }, 60_000);
});
