// The service lifecycle against real processes: readiness, failure to start, and a teardown
// that leaves nothing behind, even for trees that ignore SIGTERM or leave the process group.
import { readFileSync, writeFileSync } from 'node:fs';
import { runGate } from '../../src/pipeline/gate.js';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/service/port.js';
import { startService, type ServiceProcess } from '../../src/service/process.js';
import { waitReady } from '../../src/service/readiness.js';
import { DEMO, newMarker, processesWithMarker, tempDir } from '../helpers.js';

const started: { service: ServiceProcess; marker: string }[] = [];

async function start(command: string, extraEnv: Record<string, string> = {}, cwd = process.cwd()) {
  const m = newMarker();
  const service = startService({ command, cwd, env: { ...process.env, ...m, ...extraEnv } });
  started.push({ service, marker: m.PERFGATE_TEST_MARKER });
  return { service, marker: m.PERFGATE_TEST_MARKER };
}

afterEach(async () => {
  for (const { service, marker } of started.splice(0)) {
    await service.stop(1000);
    expect(processesWithMarker(marker)).toEqual([]);
  }
});

describe('readiness', () => {
  it('http: ready when the URL answers 2xx', async () => {
    const port = await freePort();
    const { service } = await start(`node ${DEMO}`, { PORT: String(port) });
    const r = await waitReady({ kind: 'http', url: '/health', timeoutMs: 10_000 }, `http://127.0.0.1:${port}`, service);
    expect(r).toMatchObject({ ready: true });
  });

  it('tcp: ready when the port accepts a connection', async () => {
    const port = await freePort();
    const { service } = await start(`node ${DEMO}`, { PORT: String(port) });
    const r = await waitReady({ kind: 'tcp', timeoutMs: 10_000 }, `http://127.0.0.1:${port}`, service);
    expect(r.ready).toBe(true);
  });

  it('log: ready when an output line matches', async () => {
    const port = await freePort();
    const { service } = await start(`node ${DEMO}`, { PORT: String(port) });
    const r = await waitReady({ kind: 'log', pattern: /listening on/, timeoutMs: 10_000 }, `http://127.0.0.1:${port}`, service);
    expect(r.ready).toBe(true);
    expect(
      service.log
        .tail()
        .map((l) => l.text)
        .join('\n'),
    ).toContain('demo-service: listening on');
  });

  it('never ready: times out and says what the last check saw', async () => {
    const port = await freePort();
    const { service } = await start(`node ${DEMO}`, { PORT: String(port), NEVER_READY: '1' });
    const r = await waitReady({ kind: 'http', url: '/health', timeoutMs: 800 }, `http://127.0.0.1:${port}`, service);
    expect(r).toMatchObject({ ready: false, reason: 'timeout' });
    expect(r.ready === false && r.detail).toMatch(/not ready after 800 ms \(last check: GET http:\/\/127\.0\.0\.1:\d+\/health → 503\)/);
  });

  it('a service that exits before it is ready is reported at once with its exit code', async () => {
    const { service } = await start(`node -e "console.error('boom: missing DATABASE_URL'); process.exit(3)"`);
    const r = await waitReady({ kind: 'tcp', timeoutMs: 20_000 }, 'http://127.0.0.1:1', service);
    expect(r).toMatchObject({ ready: false, reason: 'exited', detail: 'exited before it was ready (exit code 3)' });
    expect(r.ms).toBeLessThan(20_000);
    expect(service.log.tail().map((l) => l.text)).toContain('boom: missing DATABASE_URL');
  });

  it('a command that cannot be spawned (missing cwd) is a start failure, not a hang', async () => {
    const { service } = await start('node -v', {}, '/nonexistent/dir');
    const r = await waitReady({ kind: 'tcp', timeoutMs: 20_000 }, 'http://127.0.0.1:1', service);
    expect(r).toMatchObject({ ready: false, reason: 'exited' });
    expect(r.ready === false && r.detail).toMatch(/could not start: .*ENOENT/);
  });
});

describe('teardown leaves no process behind', () => {
  it('a plain service stops on SIGTERM within the grace period', async () => {
    const port = await freePort();
    const { service, marker } = await start(`node ${DEMO}`, { PORT: String(port) });
    await waitReady({ kind: 'tcp', timeoutMs: 10_000 }, `http://127.0.0.1:${port}`, service);
    expect(processesWithMarker(marker).length).toBeGreaterThan(0);
    const stopped = await service.stop(3000);
    expect(stopped).toEqual({ forced: false, survivors: [] });
    expect(service.exit).toMatchObject({ code: 0 });
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('a tree whose root ignores SIGTERM is killed after the grace period', async () => {
    const script = join(tempDir(), 'stubborn.cjs');
    writeFileSync(
      script,
      `process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
require('child_process').spawn('sleep', ['300'], { stdio: 'ignore' });
console.log('up');
setInterval(() => {}, 1000);`,
    );
    const { service, marker } = await start(`node ${script}`);
    await waitReady({ kind: 'log', pattern: /^up$/, timeoutMs: 10_000 }, 'http://127.0.0.1:1', service);
    expect(processesWithMarker(marker).length).toBeGreaterThanOrEqual(2);
    const stopped = await service.stop(500);
    expect(stopped.forced).toBe(true);
    expect(stopped.survivors).toEqual([]);
    expect(service.exit?.signal).toBe('SIGKILL');
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('a grandchild that left the process group (setsid) is stopped too', async () => {
    const { service, marker } = await start(`setsid sleep 300 & echo started; exec node -e "setInterval(() => {}, 1000)"`);
    await waitReady({ kind: 'log', pattern: /started/, timeoutMs: 10_000 }, 'http://127.0.0.1:1', service);
    await new Promise((r) => setTimeout(r, 200));
    expect(processesWithMarker(marker).length).toBeGreaterThanOrEqual(2);
    await service.stop(1000);
    expect(processesWithMarker(marker)).toEqual([]);
  });
});

describe('shell commands', () => {
  it('simple commands are exec-ed so the service is the process perfgate watches; others keep the shell', async () => {
    const { shellCommand } = await import('../../src/service/process.js');
    expect(shellCommand('node server.js --port 3000')).toBe('exec node server.js --port 3000');
    expect(shellCommand('cd app && npm start')).toBe('cd app && npm start');
    expect(shellCommand('PORT=1 node x')).toBe('PORT=1 node x');
    expect(shellCommand('node "$APP"')).toBe('node "$APP"');
    expect(shellCommand('cd app')).toBe('cd app');
  });
});

describe("the runner's credentials", () => {
  it('never reach the service under test; what the config passes does', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'server.js'),
      `require('node:fs').writeFileSync('env.json', JSON.stringify(Object.keys(process.env).filter((k) => /TOKEN/.test(k)).sort()));
require('node:http').createServer((req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
`,
    );
    writeFileSync(
      join(dir, 'perfgate.yml'),
      `service: { command: node server.js, ready: { http: / }, env: { SERVICE_TOKEN: from-config } }
load: { connections: 1, warmup: 0s, duration: 300ms, trials: 1 }
history: { store: none }
scenarios: [ { name: root, request: { path: / } } ]
`,
    );
    const env = {
      ...process.env,
      GITHUB_TOKEN: 'ghs_secret',
      'INPUT_GITHUB-TOKEN': 'ghs_secret',
      ACTIONS_RUNTIME_TOKEN: 'x',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'y',
    };
    const o = await runGate({ config: join(dir, 'perfgate.yml'), outDir: join(dir, 'out'), env });
    expect(o.exitCode, o.result.reason).toBe(0);
    const seen = JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8')) as string[];
    expect(seen).toContain('SERVICE_TOKEN');
    for (const withheld of ['GITHUB_TOKEN', 'INPUT_GITHUB-TOKEN', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'])
      expect(seen).not.toContain(withheld);
  });
});
