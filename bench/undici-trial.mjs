// The candidate wire layer: undici (Node's own HTTP client: llhttp, TLS, timeouts, header
// validation) behind the same TrialRun contract as src/load/trial.ts, closed model: one
// `Client` per connection with pipelining 1 (one request at a time, as perfgate's own engine),
// latency from dispatch to the end of the response body into the same µs HdrHistograms.
// Used by bench/ceiling.mjs to decide the wire layer by numbers; not shipped.
import { performance } from 'node:perf_hooks';
import { Client } from 'undici-v7';
import { encodeHistogram, newHistogram, recordMs, summarize } from '../build/load/histogram.js';

/** startTrial's contract: { done, stop, live } for a closed-model request scenario. */
export function startUndiciTrial(baseUrl, scenario, durationMs, options = {}) {
  const url = new URL(baseUrl);
  const step = scenario.steps[0];
  const histogram = newHistogram();
  const statusCodes = {};
  const reasons = {};
  let responses = 0;
  let ok = 0;
  let non2xx = 0;
  let timeouts = 0;
  let connection = 0;
  let running = true;
  const t0 = performance.now();
  const clients = Array.from(
    { length: scenario.connections },
    () =>
      new Client(url.origin, {
        pipelining: 1,
        headersTimeout: scenario.timeoutMs,
        bodyTimeout: scenario.timeoutMs,
        connectTimeout: scenario.connectTimeoutMs ?? scenario.timeoutMs,
        ...(options.maxHeaderSize ? { maxHeaderSize: options.maxHeaderSize } : {}),
        ...(scenario.tls
          ? { connect: { rejectUnauthorized: !scenario.tls.insecure, ...(scenario.tls.ca ? { ca: scenario.tls.ca } : {}) } }
          : {}),
      }),
  );
  const path = url.pathname.replace(/\/+$/, '') + step.path;
  const loop = async (client) => {
    while (running) {
      const started = performance.now();
      try {
        const res = await client.request({ method: step.method, path, headers: step.headers, body: step.body });
        // The body read to its end, as perfgate's engine reads every response whole.
        // eslint-disable-next-line @typescript-eslint/no-unused-vars
        for await (const _chunk of res.body);
        responses++;
        statusCodes[res.statusCode] = (statusCodes[res.statusCode] ?? 0) + 1;
        if (res.statusCode >= 200 && res.statusCode < 400) {
          ok++;
          recordMs(histogram, performance.now() - started);
        } else non2xx++;
      } catch (err) {
        if (!running) break;
        const code = err.code ?? err.message;
        reasons[code] = (reasons[code] ?? 0) + 1;
        if (/TIMEOUT/.test(code)) timeouts++;
        else connection++;
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  };
  let finish;
  const ended = new Promise((r) => (finish = r));
  const timer = setTimeout(() => finish(), durationMs);
  const done = (async () => {
    const loops = clients.map(loop);
    await ended;
    clearTimeout(timer);
    const ms = performance.now() - t0;
    running = false;
    await Promise.allSettled(loops);
    await Promise.allSettled(clients.map((c) => c.destroy()));
    const total = non2xx + timeouts + connection;
    const attempts = responses + timeouts + connection;
    return {
      histogram,
      stepHistograms: [],
      result: {
        startedAt: new Date(Date.now() - ms).toISOString(),
        durationMs: ms,
        requests: responses,
        ok,
        rps: (ok * 1000) / ms,
        latency: summarize(histogram),
        errors: { total, non2xx, timeouts, connection, rate: attempts ? total / attempts : 0, reasons },
        connectionsServed: 0,
        statusCodes,
        histogram: encodeHistogram(histogram),
      },
    };
  })();
  return {
    done,
    stop: () => finish(),
    live: () => ({ responses, ok, errors: non2xx + timeouts + connection, elapsedMs: performance.now() - t0 }),
  };
}
