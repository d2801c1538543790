// The whole pipeline, in-process, against the real demo service over real HTTP.
import { existsSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/service/port.js';
import { checkedGate } from '../checked-gate.js';
import { DEMO, newMarker } from '../helpers.js';

const gate = checkedGate;

describe('runGate against the demo service', () => {
  it('a short healthy run passes with every target measured', async () => {
    const { result, exitCode, report, files } = await gate({
      workflow: true,
      targets: ['p(95) < 500ms', 'rate(errors) < 1%', 'uptime >= 99%', 'memory.peak < 1GB', 'cpu.mean < 400%', 'connections >= 4'],
      extra: `  - { expr: "workflows_per_s > 1", scenario: checkout }\n`,
    });
    expect(exitCode).toBe(0);
    expect(result.verdict).toBe('pass');
    expect(result.targets.map((t) => t.status)).toEqual(Array(7).fill('pass'));
    const s = result.scenarios[0]!;
    expect(s.trials).toHaveLength(2);
    expect(s.summary.requests).toBeGreaterThan(100);
    expect(s.summary.errors.total).toBe(0);
    expect(s.summary.workflows!.completed).toBeGreaterThan(10);
    // Every completed workflow took one request per step; captured ids were accepted (no 4xx).
    expect(Object.keys(s.summary.statusCodes)).toEqual(['201']);
    expect(s.summary.steps!.map((x) => x.name)).toEqual(['intent', 'cart', 'pay']);
    expect(s.summary.steps![2]!.ok).toBeGreaterThanOrEqual(s.summary.workflows!.completed);
    // µs resolution: latencies are not whole milliseconds.
    expect(s.trials.some((t) => !Number.isInteger(t.latency.p50))).toBe(true);
    expect(result.service.cpu!.samples).toBeGreaterThan(0);
    expect(result.service.memory!.peak).toBeGreaterThan(10 * 1024 * 1024);
    expect(result.service.exit).toEqual({ code: 0, signal: null });
    expect(report).toContain('✅ **PASSED**');
    expect(existsSync(files.serviceLog!)).toBe(true);
    expect(readFileSync(files.serviceLog!, 'utf8')).toContain('demo-service: listening on');
  });

  it('SLOWDOWN makes the service slower and the latency target is breached (exit 1, ❌)', async () => {
    const targets = ['p(50) < 5ms'];
    const { result, exitCode, report } = await gate({ connections: 2, env: { WORK_ITERATIONS: 400000, SLOWDOWN: 20 }, targets });
    expect(exitCode).toBe(1);
    expect(result.targets[0]).toMatchObject({ status: 'fail' });
    expect(result.targets[0]!.measured).toBeGreaterThan(5);
    expect(report).toMatch(/\| P\(50\) latency \| `p\(50\) < 5ms` \| [\d.]+ ms \| ❌ BREACHED \|/);
    expect(report).toContain('**NOT READY**');
  });

  it('ERROR_RATE makes the error-rate target fail, counted as non-2xx', async () => {
    const { result, exitCode } = await gate({ env: { ERROR_RATE: 0.2 }, targets: ['rate(errors) < 1%', 'p(95) < 1s'] });
    expect(exitCode).toBe(1);
    const [errors, latency] = result.targets;
    expect(errors).toMatchObject({ status: 'fail' });
    expect(errors!.measured).toBeGreaterThan(0.18);
    expect(errors!.measured).toBeLessThan(0.22);
    expect(latency!.status).toBe('pass');
    const s = result.scenarios[0]!;
    expect(s.summary.statusCodes['500']).toBe(s.summary.errors.non2xx);
    expect(s.summary.errors.timeouts + s.summary.errors.connection).toBe(0);
  });

  it('a crash mid-load fails the gate with the reason and the log tail, keeping what was measured', async () => {
    const { result, exitCode, report } = await gate({ env: { CRASH_AFTER_MS: 1500 }, trials: 3, targets: ['rate(errors) < 1%'] });
    expect(exitCode).toBe(1);
    expect(result.failure).toMatchObject({ kind: 'crashed', scenario: 'products', exit: { code: 1, signal: null } });
    expect(result.failure!.message).toBe('the service exited during load (exit code 1)');
    expect(result.failure!.logTail.join('\n')).toContain('crashing on purpose (CRASH_AFTER_MS=1500)');
    expect(result.scenarios[0]!.interrupted).toBe(result.failure!.message);
    expect(result.scenarios[0]!.trials.length).toBeGreaterThanOrEqual(1);
    expect(report).toContain('## ⚠️ The service crashed during load');
    expect(report).toContain('crashing on purpose');
  });

  it('a service that never becomes ready fails the gate with the reason and the log tail', async () => {
    const { result, exitCode, report } = await gate({ env: { NEVER_READY: 1 }, readyTimeout: '1s', targets: ['p(95) < 200ms'] });
    expect(exitCode).toBe(1);
    expect(result.failure!.kind).toBe('never-ready');
    expect(result.failure!.message).toMatch(/never became ready: not ready after 1000 ms \(last check: GET .*\/health → 503\)/);
    expect(result.failure!.logTail.join('\n')).toContain('NEVER_READY is set');
    expect(result.scenarios).toEqual([]);
    expect(result.targets[0]).toMatchObject({ status: 'unmeasured', measured: null });
    expect(report).toContain('## ⚠️ The service never became ready');
    expect(report).toContain('❓ NOT MEASURED');
  });

  it('an external target is loaded by URL; what perfgate cannot see is ❓, not ✅', async () => {
    const port = await freePort();
    const m = newMarker();
    const external = spawn(process.execPath, [DEMO], { env: { ...process.env, ...m, PORT: String(port) }, stdio: 'ignore' });
    try {
      const yaml = `service:\n  url: http://127.0.0.1:${port}\n  ready: { http: /health }\nload: { connections: 2, warmup: 100ms, trials: 2, duration: 500ms }\nscenarios:\n  - { name: products, request: { path: /api/products } }\ntargets: [ "rate(errors) < 1%", "memory.peak < 1GB" ]\n`;
      const { result, exitCode } = await gate({}, { yaml });
      expect(result.service.mode).toBe('external');
      expect(result.targets.map((t) => t.status)).toEqual(['pass', 'unmeasured']);
      expect(result.targets[1]!.note).toMatch(/external target/);
      expect(exitCode).toBe(1);
    } finally {
      external.kill();
    }
  });

  it('aborting mid-load (Ctrl-C) stops everything and writes what was measured', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort('SIGINT'), 1200);
    const { result, exitCode } = await gate({ trials: 5, targets: ['rate(errors) < 1%'] }, { signal: controller.signal });
    expect(exitCode).toBe(130);
    expect(result.failure).toMatchObject({ kind: 'aborted', message: 'interrupted (SIGINT)' });
    expect(result.verdict).toBe('fail');
  });
});
