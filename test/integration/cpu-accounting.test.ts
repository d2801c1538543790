// The service's CPU time counts the threads and processes that exit during a trial: servers that
// give every request a thread of its own (Python's ThreadingHTTPServer, Flask threaded=True) and
// gunicorn replacing its workers (--max-requests), read in the service's own cgroup where perfgate
// can make one and from /proc where it cannot (PERFGATE_CGROUP=off, as for an unprivileged user
// on a hosted runner); each against the same handler served by one thread, and /proc against the
// cgroup at the same trial boundaries. A service in a container says its CPU is not measured.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rawClosed } from '../../bench/raw-client.mjs';
import { runGate, type GateOutcome } from '../../src/pipeline/gate.js';
import { createCpuGroup } from '../../src/service/cgroup.js';
import { containerRuntime, cpuBetween, readCpu, treeCpu } from '../../src/service/cpu-time.js';
import { freePort } from '../../src/service/port.js';
import { startService } from '../../src/service/process.js';
import { REPO, newMarker, processesWithMarker, tempDir, writeConfig } from '../helpers.js';

const SERVER = join(REPO, 'fixtures', 'thread-per-request', 'server.py');
const FLASK = join(REPO, 'fixtures', 'flask-hash-app');
const PY = '/usr/bin/python3';
const hasFlask = spawnSync(PY, ['-c', 'import flask']).status === 0 && spawnSync('/usr/bin/gunicorn', ['--version']).status === 0;
if (!hasFlask && process.env.CI) throw new Error('CI must run the CPU accounting tests: .ci/run installs gunicorn and python3-flask');

// Whether this machine lets perfgate make a cgroup (root, or a delegated subtree): CI runs as root.
const probe = createCpuGroup();
const hasCgroup = probe !== null;
probe?.remove();
if (!hasCgroup && process.env.CI && process.getuid?.() === 0) throw new Error('as root, perfgate must be able to make a cgroup here');

function config(command: string, cwd: string, path: string, env: Record<string, string> = {}): string {
  return `name: cpu-accounting
service:
  command: ${JSON.stringify(command)}
  cwd: ${JSON.stringify(cwd)}
  port: auto
  env: ${JSON.stringify(env)}
  ready: { http: /health, timeout: 20s }
history: { store: none }
load: { connections: 4, warmup: 300ms, trials: 2, duration: 1s }
scenarios:
  - { name: work, request: { path: ${path} } }
`;
}

async function run(
  command: string,
  cwd: string,
  path: string,
  env: Record<string, string>,
  processEnv: Record<string, string> = {},
): Promise<GateOutcome> {
  const dir = tempDir();
  const m = newMarker();
  const o = await runGate({
    config: writeConfig(dir, config(command, cwd, path, env)),
    outDir: join(dir, 'out'),
    env: { ...process.env, ...m, ...processEnv },
  });
  expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
  const s = o.result.scenarios[0]!;
  expect(s.summary.errors.total, JSON.stringify(s.summary.errors)).toBe(0);
  expect(s.summary.requests).toBeGreaterThan(50);
  return o;
}

const perRequest = (o: GateOutcome): number => o.result.scenarios[0]!.summary.serviceCpu!.perRequestUs!;

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${url} never answered`);
}

/** perfgate's cgroups of this test process: none may be left behind. */
function leftoverGroups(): string[] {
  const group = probe?.dir;
  if (!group) return [];
  return readdirSync(dirname(group)).filter((n) => n.startsWith(`perfgate-${process.pid}-`));
}

describe.skipIf(!hasFlask)('CPU time of threads and processes that exit during a trial', () => {
  const modes: { name: string; env: Record<string, string>; counted: string }[] = [
    ...(hasCgroup ? [{ name: 'cgroup', env: {}, counted: 'cgroup' }] : []),
    { name: '/proc', env: { PERFGATE_CGROUP: 'off' }, counted: 'proc' },
  ];

  for (const mode of modes) {
    it(`${mode.name}: a thread per request reads the handler's CPU time, as one thread serving them all does`, async () => {
      // ~1 ms of SHA-256 per request. Counting only the threads alive at each reading read
      // 0.08–0.1 of it (bench/RESULTS-cpu-accounting.md).
      const env = { HASH_ROUNDS: '2000' };
      const reference = await run(`${PY} ${SERVER}`, REPO, '/work', { ...env, SERVER: 'http.server' }, mode.env);
      const threading = await run(`${PY} ${SERVER}`, REPO, '/work', { ...env, SERVER: 'threading' }, mode.env);
      const werkzeug = await run(`${PY} ${SERVER}`, REPO, '/work', { ...env, SERVER: 'werkzeug' }, mode.env);
      for (const o of [reference, threading, werkzeug]) {
        expect(o.result.service.cpuTime?.counted).toBe(mode.counted);
        expect(o.report).toContain(
          mode.counted === 'cgroup' ? "counted in the service's own cgroup" : "counted over the service's process tree in /proc",
        );
      }
      const ref = perRequest(reference);
      const why = `one thread ${ref} µs, a thread per request ${perRequest(threading)} µs, werkzeug ${perRequest(werkzeug)} µs`;
      expect(perRequest(threading), why).toBeGreaterThan(0.6 * ref);
      expect(perRequest(werkzeug), why).toBeGreaterThan(0.6 * ref);
      expect(leftoverGroups()).toEqual([]);
    }, 120_000);
  }

  it.skipIf(!hasCgroup)(
    '/proc agrees with the cgroup at the same boundaries: threads per request, and gunicorn replacing workers every 20 requests',
    async () => {
      const cases = [
        { command: `${PY} ${SERVER}`, cwd: REPO, env: { SERVER: 'threading', HASH_ROUNDS: '2000' }, path: '/work' },
        {
          command: '/usr/bin/gunicorn -w 2 --max-requests 20 -b 127.0.0.1:$PORT app:app',
          cwd: FLASK,
          env: { HASH_ROUNDS: '2000' },
          path: '/items',
        },
      ];
      for (const c of cases) {
        const port = await freePort();
        const svc = startService({ command: c.command, cwd: c.cwd, env: { ...process.env, ...c.env, PORT: String(port) } });
        expect(svc.cgroup).not.toBeNull();
        try {
          const url = `http://127.0.0.1:${port}`;
          await waitHttp(url + '/health');
          const [g0, p0] = [await readCpu(svc), await treeCpu(svc.pid)];
          const f = await rawClosed(url + c.path, { connections: 4, durationMs: 1500 });
          const [g1, p1] = [await readCpu(svc), await treeCpu(svc.pid)];
          expect(f.errors).toBe(0);
          const cgroup = cpuBetween(g0!, g1!);
          const proc = cpuBetween(p0!, p1!);
          // Both readings are taken a moment apart at each end; the service is idle then.
          expect(proc / cgroup, `${c.command}: /proc ${proc} ns, cgroup ${cgroup} ns over ${f.requests} requests`).toBeGreaterThan(0.9);
          expect(proc / cgroup, `${c.command}: /proc ${proc} ns, cgroup ${cgroup} ns over ${f.requests} requests`).toBeLessThan(1.1);
        } finally {
          await svc.stop(3000);
        }
      }
      expect(leftoverGroups()).toEqual([]);
    },
    60_000,
  );

  it.skipIf(!hasCgroup)(
    'a daemon that leaves the process tree is still in the cgroup, and is stopped with the service',
    async () => {
      const m = newMarker();
      const port = await freePort();
      // setsid in a subshell: the sleeper is re-parented to init, in a session of its own.
      const svc = startService({
        command: `(setsid sleep 300 &) ; exec ${PY} ${SERVER}`,
        cwd: REPO,
        env: { ...process.env, ...m, SERVER: 'http.server', PORT: String(port) },
      });
      for (let i = 0; i < 200 && processesWithMarker(m.PERFGATE_TEST_MARKER).length < 2; i++) await new Promise((r) => setTimeout(r, 25));
      expect(processesWithMarker(m.PERFGATE_TEST_MARKER).length).toBe(2);
      await svc.stop(3000);
      for (let i = 0; i < 100 && processesWithMarker(m.PERFGATE_TEST_MARKER).length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(processesWithMarker(m.PERFGATE_TEST_MARKER)).toEqual([]);
      expect(existsSync(svc.cgroup!.dir)).toBe(false);
    },
    30_000,
  );
});

describe('a service in a container', () => {
  it('names the runtimes that start a service outside perfgate’s process tree', () => {
    for (const c of [
      'docker run --rm -p $PORT:8000 shop:dev',
      'exec docker run shop',
      'sudo docker run shop',
      'podman run -d shop',
      'docker --context ci run shop',
      'docker compose up api',
      'docker-compose up',
      'cd app && docker run shop',
      'nerdctl run shop',
      'docker container run shop',
    ])
      expect(containerRuntime(c), c).toMatch(/^the service runs in a container/);
    for (const c of ['node server.js', 'python3 -m docker_tools run', 'gunicorn app:app', './run-docker.sh', 'echo docker run'])
      expect(containerRuntime(c), c).toBeUndefined();
  });

  it('a run says the service CPU time is not measured, rather than counting the docker client', async () => {
    // A stand-in `docker` on PATH that serves the app itself: the command is what perfgate reads.
    const bin = tempDir('perfgate-bin-');
    writeFileSync(join(bin, 'docker'), `#!/bin/sh\nexec python3 ${JSON.stringify(SERVER)}\n`);
    chmodSync(join(bin, 'docker'), 0o755);
    const o = await run(
      'docker run --rm -p $PORT:8000 shop:dev',
      REPO,
      '/work',
      { SERVER: 'http.server', HASH_ROUNDS: '200' },
      { PATH: `${bin}:${process.env.PATH}` },
    );
    expect(o.result.service.cpuTime?.counted).toBe('none');
    expect(o.result.scenarios[0]!.summary.serviceCpu).toBeUndefined();
    expect(o.report).toContain('not measured: the service runs in a container (docker run)');
  }, 60_000);
});
