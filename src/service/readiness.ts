// Waiting until the service can take load: an HTTP URL answering 2xx, a TCP port accepting,
// or a log line matching — whichever the config chose — within a timeout, while watching for exit.
import { connect } from 'node:net';
import type { ServiceConfig } from '../config/types.js';
import { serviceUrl } from '../config/service-url.js';
import { httpGet } from './http-get.js';
import type { ServiceProcess } from './process.js';

export type ReadyOutcome =
  | { ready: true; ms: number }
  | {
      ready: false;
      reason: 'timeout' | 'exited' | 'aborted';
      detail: string;
      ms: number;
    };

export async function waitReady(
  ready: ServiceConfig['ready'],
  baseUrl: string,
  service: ServiceProcess | undefined,
  signal?: AbortSignal,
): Promise<ReadyOutcome> {
  const started = Date.now();
  const elapsed = (): number => Date.now() - started;
  let last: string;
  let logMatched = false;
  const unsubscribe =
    ready.kind === 'log' && service
      ? service.log.onLine((line) => {
          if (ready.pattern.test(line.text)) logMatched = true;
        })
      : undefined;
  try {
    for (;;) {
      if (signal?.aborted)
        return {
          ready: false,
          reason: 'aborted',
          detail: 'interrupted',
          ms: elapsed(),
        };
      if (service?.exit) {
        const e = service.exit;
        return {
          ready: false,
          reason: 'exited',
          detail: e.error ? `could not start: ${e.error}` : `exited before it was ready (${describeExit(e)})`,
          ms: elapsed(),
        };
      }
      if (ready.kind === 'log') {
        if (logMatched) return { ready: true, ms: elapsed() };
        last = `no output line matched /${ready.pattern.source}/`;
      } else if (ready.kind === 'http') {
        const url = serviceUrl(baseUrl, ready.url);
        const r = await httpGet(url, 1000);
        if (r.ok) return { ready: true, ms: elapsed() };
        last = `GET ${url} → ${r.status ?? r.error}`;
      } else {
        const { hostname, port, protocol } = new URL(baseUrl);
        const p = Number(port || (protocol === 'https:' ? 443 : 80));
        const err = await tcpConnect(hostname.replace(/^\[|\]$/g, ''), p, 1000);
        if (!err) return { ready: true, ms: elapsed() };
        last = `TCP ${hostname}:${p} → ${err}`;
      }
      if (elapsed() >= ready.timeoutMs) {
        return {
          ready: false,
          reason: 'timeout',
          detail: `not ready after ${ready.timeoutMs} ms (last check: ${last})`,
          ms: elapsed(),
        };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    unsubscribe?.();
  }
}

export function describeExit(e: { code: number | null; signal: string | null }): string {
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}
