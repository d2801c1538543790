// Dependencies perfgate starts (dependencies: in perfgate.yml): the FastAPI example's PostgreSQL
// and Redis started, seeded, given to the app and stopped, as `npx perfgate run` does it; and
// what goes wrong said plainly, with the log tail and nothing left behind: a dependency that
// never becomes ready, a setup that fails, a dependency that exits during the load.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGate } from '../../src/pipeline/gate.js';
import { DEMO, REPO, newMarker, processesWithMarker, tempDir, writeConfig } from '../helpers.js';

const EXAMPLE = join(REPO, 'examples', 'fastapi-postgres');
const PY = '/usr/bin/python3';
const hasPostgres =
  existsSync('/usr/lib/postgresql') &&
  readdirSync('/usr/lib/postgresql').length > 0 &&
  spawnSync('redis-server', ['--version']).status === 0 &&
  spawnSync(PY, ['-c', 'import psycopg2, redis, fastapi, uvicorn']).status === 0 &&
  spawnSync('/usr/bin/gunicorn', ['--version']).status === 0;
if (!hasPostgres && process.env.CI)
  throw new Error('CI must run the dependencies tests: .ci/run installs postgresql, redis-server, python3-psycopg2, python3-redis');
if (!hasPostgres)
  console.warn('\n*** PostgreSQL, Redis or their Python clients are not installed: the FastAPI example tests are SKIPPED ***\n');

/** PostgreSQL data directories the example's script made and did not remove. */
const pgDirs = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('perfgate-pg-'));

describe.skipIf(!hasPostgres)('the FastAPI + PostgreSQL + Redis example', () => {
  it('perfgate starts PostgreSQL and Redis, seeds the database, gives the app their addresses, and stops all of it', async () => {
    const before = pgDirs();
    const dir = tempDir();
    const m = newMarker();
    const o = await runGate({
      config: join(EXAMPLE, 'perfgate.yml'),
      outDir: join(dir, 'out'),
      env: { ...process.env, ...m },
      overrides: { trials: 1, durationMs: 1000, unjudgeable: 'warn' },
    });
    expect(o.result.failure, o.result.failure?.message).toBeNull();
    for (const s of o.result.scenarios) {
      expect(s.summary.errors.total, `${s.name}: ${JSON.stringify(s.summary.errors)}`).toBe(0);
      expect(s.summary.requests).toBeGreaterThan(20);
    }
    expect(o.exitCode).toBe(0);
    // The seed ran (the product list has stars from the reviews it inserted), and each log is kept.
    expect(readFileSync(join(dir, 'out', 'dependency-postgres.log'), 'utf8')).toContain('seeded: 20000 products, 100000 reviews');
    expect(existsSync(join(dir, 'out', 'dependency-redis.log'))).toBe(true);
    expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
    expect(pgDirs().filter((d) => !before.includes(d))).toEqual([]);
  }, 120_000);
});

function demoWith(dependency: string, o: { trials?: number } = {}): string {
  return `name: deps
dependencies:
${dependency}
service:
  command: node ${JSON.stringify(DEMO)}
  port: auto
  ready: { http: /health, timeout: 20s }
history: { store: none }
load: { connections: 4, warmup: 0s, trials: ${o.trials ?? 1}, duration: 1s }
scenarios:
  - { name: products, request: { path: /api/products } }
`;
}

async function failingRun(dependency: string, trials = 1) {
  const dir = tempDir();
  const m = newMarker();
  const o = await runGate({
    config: writeConfig(dir, demoWith(dependency, { trials })),
    outDir: join(dir, 'out'),
    env: { ...process.env, ...m },
  });
  expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
  expect(o.result.verdict).toBe('fail');
  expect(o.exitCode).not.toBe(0);
  return { o, dir };
}

describe('a dependency that goes wrong', () => {
  it('never becomes ready: the run says which, with its log tail, and the service is never started', async () => {
    const { o, dir } = await failingRun(`  - name: db
    command: "echo starting the database; echo 'FATAL: could not create lock file' >&2; exit 3"
    ready: { tcp: true, timeout: 5s }`);
    expect(o.result.failure?.message).toMatch(/^the dependency "db" never became ready: .*\b3\b/);
    expect(o.result.failure?.logTail).toContain('FATAL: could not create lock file');
    expect(o.report).toContain('FATAL: could not create lock file');
    expect(o.result.scenarios).toEqual([]);
    expect(existsSync(join(dir, 'out', 'service.log'))).toBe(false);
  }, 60_000);

  it('fails its setup: the run says so with the setup output, and the dependency is stopped', async () => {
    const { o } = await failingRun(`  - name: db
    command: python3 -m http.server $PORT --bind 127.0.0.1
    setup: "echo creating tables; echo 'ERROR: relation products already exists' >&2; exit 1"`);
    expect(o.result.failure?.message).toBe(
      'the dependency "db" could not be set up: `echo creating tables; echo \'ERROR: relation products already exists\' >&2; exit 1` exited with 1',
    );
    expect(o.result.failure?.logTail).toContain('ERROR: relation products already exists');
  }, 60_000);

  it('exits during the load: the load stops and the run names the dependency', async () => {
    // Up long enough to be ready and for the service to start, then gone mid-load.
    const { o } = await failingRun(
      `  - name: cache
    command: ${JSON.stringify(`exec ${PY} -c "import socket, time, os; s = socket.socket(); s.bind(('127.0.0.1', int(os.environ['PORT']))); s.listen(); time.sleep(2.5)"`)}`,
      4,
    );
    expect(o.result.failure?.kind).toBe('crashed');
    expect(o.result.failure?.message).toMatch(/the dependency "cache" exited during load/);
    expect(o.result.scenarios[0]!.trials.length).toBeLessThan(4);
  }, 60_000);
});
