// One trial: `connections` HTTP/1.1 connections held open for a fixed time, every response's
// latency recorded at µs resolution into our own histograms (overall and per step).
// Closed model: each connection sends its next request when the last one is answered.
// Open model (`rate`): requests are due on a schedule (evenly spaced, or Poisson) and go to the
// connection idle longest; a request with no idle connection waits, and its latency then runs
// from the time it was due, so a slow service cannot hide the requests it held back.
import { performance } from 'node:perf_hooks';
import type { ScenarioConfig } from '../config/types.js';
import type { ConnectionFigures, ErrorCounts, PacingFigures, StepFigures, TrialResult } from '../contract/result.js';
import { Connection, type ConnectionEvents, type Target } from './connection.js';
import { encodeHistogram, newHistogram, recordMs, summarize, type Histogram } from './histogram.js';
import { schedule } from './pacing.js';
import { buildRequests, RequestPlan } from './requests.js';

export interface TrialLive {
  responses: number;
  ok: number;
  errors: number;
  elapsedMs: number;
}

export interface TrialRun {
  /** Settles with the trial's figures (also after stop()). */
  done: Promise<TrialData>;
  stop(): void;
  live(): TrialLive;
}

export interface TrialData {
  result: Omit<TrialResult, 'index'>;
  histogram: Histogram;
  stepHistograms: Histogram[];
  /** With `logSends`: when each request was sent (ms after the trial's start). */
  sendLog?: number[];
}

/** How long the connections may take to open before the clock starts anyway. */
const CONNECT_PHASE_MS = 5000;
/** Send timestamps kept for inspection (tests, benchmarks), at most. */
const SEND_LOG_MAX = 100_000;

export interface TrialOptions {
  /** Keep the (relative, ms) time of every send, up to 100 000: for checking the pacing. */
  logSends?: boolean;
  /** Seed of a Poisson schedule (parallel parts use different ones). */
  seed?: number;
}

export function target(baseUrl: string): Target {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:') throw new Error(`perfgate loads http:// services (got ${url.protocol})`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { host, port: Number(url.port || 80), hostHeader: url.host };
}

export function startTrial(baseUrl: string, scenario: ScenarioConfig, durationMs: number, options: TrialOptions = {}): TrialRun {
  const to = target(baseUrl);
  const plan = new RequestPlan(buildRequests(scenario.steps), scenario.steps, to.hostHeader);
  const steps = scenario.steps;
  const lastStep = steps.length - 1;
  const histogram = newHistogram();
  const stepHistograms = steps.map(() => newHistogram());
  const handshakes = newHistogram();
  const lag = newHistogram();
  const stepCounts = steps.map(() => ({ requests: 0, ok: 0, errors: 0 }));
  const statusCodes: Record<string, number> = {};
  const sendLog: number[] = [];
  let responses = 0;
  let ok = 0;
  let non2xx = 0;
  let timeouts = 0;
  let connection = 0;
  let workflows = 0;
  let opened = 0;
  let closedByServer = 0;
  let running = false;
  let finishedAt = 0;
  let t0 = performance.now();
  let startedAt = new Date();

  // Open model state.
  const open = scenario.rate !== undefined && scenario.rate > 0;
  const idle: Connection[] = [];
  const waiting: number[] = [];
  let intended = 0;
  let late = 0;

  /** The next request of a connection's workflow (restarting it when a step cannot be built). */
  const nextRequest = (c: Connection): ReturnType<RequestPlan['build']> => {
    let req = plan.build(c.step, c.context);
    if (!req) {
      c.step = 0;
      c.context = {};
      req = plan.build(0, c.context);
    }
    return req;
  };

  const send = (c: Connection, origin?: number): void => {
    const req = nextRequest(c);
    if (!req) return;
    if (options.logSends && sendLog.length < SEND_LOG_MAX) sendLog.push(performance.now() - t0);
    c.send(req, origin);
  };

  const restart = (c: Connection): void => {
    c.step = 0;
    c.context = {};
  };

  const events: ConnectionEvents = {
    response(c, status, body, origin, end) {
      if (!running) return;
      const step = c.step;
      responses++;
      const counts = stepCounts[step]!;
      counts.requests++;
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
      plan.onResponse(step, status, body, c.context);
      if (status >= 200 && status < 300) {
        ok++;
        counts.ok++;
        c.served = true;
        recordMs(histogram, end - origin);
        if (scenario.kind === 'workflow') recordMs(stepHistograms[step]!, end - origin);
        if (step === lastStep && !c.context.failed && scenario.kind === 'workflow') workflows++;
      } else {
        non2xx++;
        counts.errors++;
        c.context.failed = true;
      }
      if (c.context.failed || step === lastStep) restart(c);
      else c.step = step + 1;
    },
    failure(c, kind) {
      if (!running) return;
      if (kind === 'timeout') timeouts++;
      else connection++;
      stepCounts[c.step]!.errors++;
      restart(c);
      // Closed model: the connection's user tries again at once (on the new socket, once it is up).
      if (!open) send(c);
    },
    connected(_c, ms) {
      opened++;
      recordMs(handshakes, ms);
    },
    idle(c) {
      if (!running) return;
      if (!open) {
        send(c);
        return;
      }
      const due = waiting.shift();
      if (due !== undefined) send(c, due);
      else idle.push(c);
    },
    serverClosed() {
      if (running) closedByServer++;
    },
  };

  const conns = Array.from({ length: scenario.connections }, () => new Connection(to, events));
  let pacer: NodeJS.Timeout | null = null;
  let sweeper: NodeJS.Timeout | null = null;
  let ender: NodeJS.Timeout | null = null;
  let connectWait: NodeJS.Timeout | null = null;
  let finish: () => void = () => {};

  // Open model: every due request goes to the connection idle longest, or waits for one.
  const gaps = open ? schedule(scenario.rate!, scenario.arrival ?? 'uniform', options.seed) : null;
  let nextDue = 0;
  const end = (): number => t0 + durationMs;
  const pace = (): void => {
    pacer = null;
    if (!running) return;
    const now = performance.now();
    while (nextDue <= now && nextDue < end()) {
      intended++;
      let c = idle.shift();
      while (c && !c.isIdle) c = idle.shift();
      if (c) {
        // Sent now: the generator's own timer lag is not the service's latency; it is reported.
        recordMs(lag, now - nextDue);
        send(c);
      } else {
        late++;
        waiting.push(nextDue);
      }
      nextDue += gaps!.nextGap();
    }
    if (nextDue < end()) pacer = setTimeout(pace, Math.max(0, nextDue - performance.now()));
  };

  const sweep = (): void => {
    const now = performance.now();
    for (const c of conns) {
      const since = c.inFlightSince;
      if (since !== null && now - since > scenario.timeoutMs) c.timeout();
    }
  };

  const begin = (): void => {
    if (connectWait) clearInterval(connectWait);
    connectWait = null;
    if (finishedAt) return;
    running = true;
    t0 = performance.now();
    startedAt = new Date();
    sweeper = setInterval(sweep, Math.min(100, Math.max(10, scenario.timeoutMs / 10)));
    ender = setTimeout(() => finish(), durationMs);
    if (open) {
      nextDue = t0;
      for (const c of conns) if (c.isIdle) idle.push(c);
      pace();
    } else {
      // Every connection gets its first request now: on one still connecting (or refused and
      // backing off) it waits for the handshake, and a failed handshake counts as its error.
      for (const c of conns) send(c);
    }
  };

  const done = new Promise<TrialData>((resolve) => {
    finish = () => {
      if (finishedAt) return;
      finishedAt = performance.now();
      const wasRunning = running;
      running = false;
      for (const t of [pacer, ender]) if (t) clearTimeout(t);
      if (sweeper) clearInterval(sweeper);
      if (connectWait) clearInterval(connectWait);
      for (const c of conns) c.close();
      const ms = wasRunning ? finishedAt - t0 : 0;
      resolve(collect(ms));
    };
  });

  // Open every connection, then start the clock (or after CONNECT_PHASE_MS, whichever is first).
  const connectStart = performance.now();
  for (const c of conns) c.open();
  connectWait = setInterval(() => {
    if (conns.every((c) => c.isIdle) || performance.now() - connectStart > Math.min(CONNECT_PHASE_MS, durationMs)) begin();
  }, 5);

  function collect(ms: number): TrialData {
    const total = non2xx + timeouts + connection;
    const attempts = responses + timeouts + connection;
    const errors: ErrorCounts = { total, non2xx, timeouts, connection, rate: attempts > 0 ? total / attempts : 0 };
    const stepFigures: StepFigures[] | undefined =
      scenario.kind === 'workflow'
        ? steps.map((s, i) => ({
            name: s.name,
            method: s.method,
            path: s.path,
            ...stepCounts[i]!,
            latency: summarize(stepHistograms[i]!),
            histogram: encodeHistogram(stepHistograms[i]!),
          }))
        : undefined;
    const connections: ConnectionFigures = {
      opened,
      closedByServer,
      handshake: summarize(handshakes),
      handshakeHistogram: encodeHistogram(handshakes),
    };
    const pacing: PacingFigures | undefined = open
      ? {
          arrival: scenario.arrival ?? 'uniform',
          offered: scenario.rate!,
          intended,
          sent: intended - waiting.length,
          late,
          dropped: waiting.length,
          achievedRate: ms > 0 ? ((intended - waiting.length) * 1000) / ms : 0,
          lagP99Ms: summarize(lag).p99,
        }
      : undefined;
    return {
      histogram,
      stepHistograms,
      result: {
        startedAt: startedAt.toISOString(),
        durationMs: Math.round(ms * 1000) / 1000,
        requests: responses,
        ok,
        rps: ms > 0 ? (responses * 1000) / ms : 0,
        latency: summarize(histogram),
        errors,
        connectionsServed: conns.filter((c) => c.served).length,
        statusCodes,
        ...(scenario.kind === 'workflow' ? { workflows: { completed: workflows, perSecond: ms > 0 ? (workflows * 1000) / ms : 0 } } : {}),
        ...(stepFigures ? { steps: stepFigures } : {}),
        histogram: encodeHistogram(histogram),
        connections,
        ...(pacing ? { pacing } : {}),
      },
      ...(options.logSends ? { sendLog } : {}),
    };
  }

  return {
    done,
    stop: () => finish(),
    live: () => ({
      responses,
      ok,
      errors: non2xx + timeouts + connection,
      elapsedMs: running ? performance.now() - t0 : 0,
    }),
  };
}
