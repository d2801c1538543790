import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { TlsSettings } from '../config/types.js';
import { tlsHint } from '../util/http-syntax.js';

/** TLS settings by origin (https://host:port): readiness, the uptime probe and scraping use the load's. */
const tlsByOrigin = new Map<string, TlsSettings>();

/** Makes every GET to this service's origin verify its certificate as `settings` say. */
export function useTls(baseUrl: string, settings: TlsSettings | undefined): void {
  const origin = new URL(baseUrl).origin;
  if (settings) tlsByOrigin.set(origin, settings);
  else tlsByOrigin.delete(origin);
}

function tlsOptions(url: string): https.RequestOptions {
  if (!url.startsWith('https:')) return {};
  const t = tlsByOrigin.get(new URL(url).origin);
  if (!t) return {};
  return { rejectUnauthorized: !t.insecure, ...(t.ca ? { ca: [...tls.rootCertificates, t.ca] } : {}) };
}

export interface GetResult {
  ok: boolean;
  status?: number;
  error?: string;
  ms: number;
}

/** One GET with a hard timeout and no connection reuse; never throws. */
export function httpGet(url: string, timeoutMs: number): Promise<GetResult> {
  const started = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - started) / 1e6;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: Omit<GetResult, 'ms'>): void => {
      if (settled) return;
      settled = true;
      resolve({ ...r, ms: elapsed() });
    };
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { agent: false, timeout: timeoutMs, ...tlsOptions(url) }, (res) => {
      res.resume();
      res.on('end', () =>
        settle({
          ok: (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300,
          status: res.statusCode,
        }),
      );
      res.on('error', (err) => settle({ ok: false, error: err.message }));
    });
    req.on('timeout', () => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    req.on('error', (err) =>
      settle({
        ok: false,
        error: tlsHint((err as NodeJS.ErrnoException).code ?? err.message),
      }),
    );
  });
}

export interface GetTextResult {
  status?: number;
  body?: string;
  error?: string;
  ms: number;
}

/** One GET that keeps the body (up to maxBytes), with a hard timeout over the whole exchange; never throws. */
export function httpGetText(url: string, timeoutMs: number, maxBytes: number): Promise<GetTextResult> {
  const started = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - started) / 1e6;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: Omit<GetTextResult, 'ms'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, ms: elapsed() });
    };
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { agent: false, headers: { accept: 'text/plain' }, ...tlsOptions(url) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          settle({ error: `the answer is larger than ${Math.round(maxBytes / 1048576)} MB` });
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => settle({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => settle({ error: err.message }));
    });
    const timer = setTimeout(() => {
      settle({ error: `no complete answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => settle({ error: tlsHint((err as NodeJS.ErrnoException).code ?? err.message) }));
  });
}
