// dependencies: in perfgate.yml: how each is started, what it provides to the service, and the
// located errors for what cannot work.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { configProblems } from '../../config-text.js';

const problems = configProblems;

const tail = `service:
  command: gunicorn app:app
scenarios:
  - name: a
    request: { path: / }
`;

describe('config: dependencies', () => {
  it('reads each dependency as a service perfgate starts, with what it provides and whether each build gets its own', () => {
    const c = parseConfig(
      `dependencies:
  - name: postgres
    command: ./deps/postgres.sh
    ready: { log: "ready to accept connections", timeout: 60s }
    setup: python3 seed.py
    stop: pg_ctl stop
    provides: { DATABASE_URL: "postgresql://app@127.0.0.1:{port}/shop" }
    per-build: true
  - name: redis
    command: redis-server --port $PORT
    cwd: deps
    env: { REDIS_LOGLEVEL: warning }
${tail}`,
      '/x/perfgate.yml',
    );
    expect(c.dependencies.map((d) => [d.name, d.perBuild, d.setup, d.stop, d.provides])).toEqual([
      ['postgres', true, 'python3 seed.py', 'pg_ctl stop', { DATABASE_URL: 'postgresql://app@127.0.0.1:{port}/shop' }],
      ['redis', false, undefined, undefined, {}],
    ]);
    const [pg, redis] = c.dependencies;
    expect(pg!.service).toMatchObject({ command: './deps/postgres.sh', port: 'auto', cwd: '/x', url: 'http://127.0.0.1:{port}' });
    expect(pg!.service.ready).toMatchObject({ kind: 'log', timeoutMs: 60_000 });
    expect(redis!.service).toMatchObject({ cwd: '/x/deps', env: { REDIS_LOGLEVEL: 'warning' }, ready: { kind: 'tcp' } });
    expect(parseConfig(tail, '/x/perfgate.yml').dependencies).toEqual([]);
  });

  it('names file, YAML path and line: a missing command, a repeated name, a fixed port per build, a placeholder it cannot fill', () => {
    expect(problems(`dependencies:\n  - name: db\n${tail}`)).toEqual([expect.stringMatching(/^2: dependencies\[0\]: .*command/)]);
    expect(
      problems(`dependencies:
  - { name: db, command: a }
  - { name: db, command: b }
${tail}`),
    ).toEqual(['3: dependencies[1].name: another dependency is already named "db"']);
    expect(
      problems(`dependencies:
  - name: db
    command: a
    port: 5432
    per-build: true
${tail}`),
    ).toEqual([
      '4: dependencies[0].port: a per-build dependency runs once for each build at the same time: use port: auto (it gets its port as PORT)',
    ]);
    expect(
      problems(`dependencies:
  - name: db
    command: a
    provides: { DATABASE_URL: "postgresql://{host}:{port}/x" }
${tail}`),
    ).toEqual(['4: dependencies[0].provides.DATABASE_URL: only {port} is replaced here, got "postgresql://{host}:{port}/x"']);
  });
});
