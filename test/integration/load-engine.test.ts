// The load engine on the wire: HTTP framings a service may choose (Content-Length, chunked, a
// body ended by closing, HEAD), connections the server closes, and the open model's schedule
// checked from the recorded send times (not from wall time).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGate } from '../../src/pipeline/gate.js';
import { startTrial } from '../../src/load/trial.js';
import { demoConfig, tempDir, writeConfig } from '../helpers.js';
import { rawServer } from '../servers.js';
import { scenario, step } from '../load-scenario.js';

const json = '{"id":"a1"}';

describe('HTTP framings and closes', () => {
  it.each([
    ['Content-Length, keep-alive', { bytes: `HTTP/1.1 200 OK\r\nContent-Length: ${json.length}\r\n\r\n${json}` }, false],
    ['chunked', { bytes: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"id"\r\n6\r\n:"a1"}\r\n0\r\n\r\n` }, false],
    [
      'Connection: close',
      { bytes: `HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: ${json.length}\r\n\r\n${json}`, close: true },
      true,
    ],
    ['HTTP/1.0, body ended by closing', { bytes: `HTTP/1.0 200 OK\r\n\r\n${json}`, close: true }, true],
  ])('%s: every response counted, no errors, captures work', async (_name, answer, closes) => {
    const server = await rawServer(() => answer);
    try {
      const run = startTrial(
        server.url,
        scenario({
          kind: 'workflow',
          steps: [step({ name: 'a', capture: { id: 'id' } }), step({ name: 'b', path: '/items/${id}' })],
        }),
        400,
      );
      const { result } = await run.done;
      expect(result.errors.total, JSON.stringify(result.errors)).toBe(0);
      expect(result.requests).toBeGreaterThan(20);
      expect(result.steps![1]!.ok).toBeGreaterThan(10);
      expect(result.workflows!.completed).toBe(result.steps![1]!.ok);
      if (closes) {
        expect(result.connections!.closedByServer).toBe(result.requests);
        expect(server.connections()).toBeGreaterThanOrEqual(result.requests);
      } else {
        expect(result.connections!.closedByServer).toBe(0);
        expect(server.connections()).toBe(2);
      }
    } finally {
      await server.close();
    }
  });

  it('HEAD responses carry a Content-Length but no body', async () => {
    const server = await rawServer(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n' }));
    try {
      const { result } = await startTrial(server.url, scenario({ steps: [step({ method: 'HEAD' })] }), 300).done;
      expect(result.errors.total).toBe(0);
      expect(result.requests).toBeGreaterThan(20);
    } finally {
      await server.close();
    }
  });

  it('a keep-alive server that drops the connection after each response (no header) costs a reconnect, not an error', async () => {
    const server = await rawServer(() => ({ bytes: `HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`, close: true }));
    try {
      const { result } = await startTrial(server.url, scenario(), 400).done;
      expect(result.errors.total, JSON.stringify(result.errors)).toBe(0);
      expect(result.requests).toBeGreaterThan(20);
      expect(result.connections!.opened).toBeGreaterThan(result.requests / 2);
    } finally {
      await server.close();
    }
  });

  it('a server that resets the connection without answering gives connection errors', async () => {
    const server = await rawServer(() => ({ bytes: '', close: true }));
    try {
      const { result } = await startTrial(server.url, scenario(), 300).done;
      expect(result.requests).toBe(0);
      expect(result.errors.connection).toBeGreaterThan(5);
      expect(result.errors.rate).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('nothing listening: every attempt is a connection error, retried with a growing pause (no busy loop)', async () => {
    const { freePort } = await import('../../src/service/port.js');
    const port = await freePort();
    const { result } = await startTrial(`http://127.0.0.1:${port}`, scenario(), 500).done;
    expect(result.requests).toBe(0);
    expect(result.errors.connection).toBeGreaterThan(4);
    // Two connections backing off up to 100 ms between attempts: far fewer than a busy loop's thousands.
    expect(result.errors.connection).toBeLessThan(100);
    expect(result.errors.rate).toBe(1);
  });

  it('a request unanswered past the timeout is a timeout, and the connection goes on', async () => {
    const server = await rawServer((_h, n) => (n % 2 === 0 ? { bytes: '' } : { bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' }));
    try {
      const { result } = await startTrial(server.url, scenario({ connections: 1, timeoutMs: 100 }), 700).done;
      expect(result.errors.timeouts).toBeGreaterThanOrEqual(3);
      expect(result.ok).toBeGreaterThanOrEqual(3);
    } finally {
      await server.close();
    }
  });
});

describe('the open model', () => {
  it('sends evenly: the recorded send times are one every 1/rate, not each second at once', async () => {
    const server = await rawServer(() => ({ bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' }));
    try {
      // 200 req/s over 20 connections for 2 s: a send due every 5 ms.
      const run = startTrial(server.url, scenario({ connections: 20, rate: 200 }), 2000, { logSends: true });
      const { result, sendLog } = await run.done;
      const sends = sendLog!;
      expect(sends.length).toBeGreaterThanOrEqual(395);
      expect(result.pacing).toMatchObject({ arrival: 'uniform', offered: 200, late: 0, dropped: 0 });
      // Per 200 ms window: 40 sends due. A per-second burst would put 200 in the first window.
      const windows = Array.from({ length: 10 }, (_, i) => sends.filter((t) => t >= i * 200 && t < (i + 1) * 200).length);
      for (const n of windows) {
        expect(n, JSON.stringify(windows)).toBeGreaterThanOrEqual(28);
        expect(n, JSON.stringify(windows)).toBeLessThanOrEqual(52);
      }
      // The median gap between sends is the schedule's 5 ms.
      const gaps = sends.slice(1).map((t, i) => t - sends[i]!);
      const sorted = [...gaps].sort((a, b) => a - b);
      expect(sorted[sorted.length >> 1]).toBeGreaterThan(3);
      expect(sorted[sorted.length >> 1]).toBeLessThan(7);
      expect(result.connectionsServed).toBe(20);
    } finally {
      await server.close();
    }
  });

  it('a rate above what the service answers reports late and dropped sends, and counts the wait in latency', async () => {
    // Each response takes 20 ms, one connection: at most 50 answers/s against 200 offered.
    const slow = await rawServerSlow(20);
    try {
      const { result } = await startTrial(slow.url, scenario({ connections: 1, rate: 200 }), 1000).done;
      const p = result.pacing!;
      expect(p.intended).toBeGreaterThanOrEqual(195);
      expect(p.late).toBeGreaterThan(100);
      expect(p.dropped).toBeGreaterThan(100);
      expect(p.achievedRate).toBeLessThan(80);
      expect(result.rps).toBeLessThan(80);
      // The waits are in the figures: p99 far above the 20 ms the server takes per answer.
      expect(result.latency.p99!).toBeGreaterThan(200);
    } finally {
      await slow.close();
    }
  });

  it('the report says so when a scenario sent late', async () => {
    const dir = tempDir();
    const o = await runGate({
      config: writeConfig(dir, demoConfig({ connections: 2, rate: 3000, trials: 1, duration: '1s', env: { WORK_ITERATIONS: 2000000 } })),
      outDir: join(dir, 'out'),
    });
    const s = o.result.scenarios[0]!;
    expect(s.summary.pacing!.late).toBeGreaterThan(0);
    expect(o.report).toMatch(/found no free connection when due and waited/);
    expect(o.report).toMatch(/Open-model schedule \(evenly spaced\) \| [\d,]+ of [\d,]+ sends/);
  }, 60_000);
});

/** A keep-alive server that answers each request `ms` later. */
async function rawServerSlow(ms: number): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => setTimeout(() => res.end('ok'), ms));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
