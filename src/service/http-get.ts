import http from 'node:http';
import https from 'node:https';

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
    const req = lib.get(url, { agent: false, timeout: timeoutMs }, (res) => {
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
        error: (err as NodeJS.ErrnoException).code ?? err.message,
      }),
    );
  });
}
