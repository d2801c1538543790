// One trial: `connections` HTTP/1.1 connections held open for a fixed time, every response's
// latency recorded at µs resolution into our own histograms (overall and per step).
// Closed model: each connection sends its next request when the last one is answered.
// Open model (`rate`): requests are due on a schedule (evenly spaced, or Poisson) and go to the
// connection idle longest; a request with no idle connection waits, and its latency then runs
// from the time it was due, so a slow service cannot hide the requests it held back. A request
// that waits longer than the timeout is a timeout.
//
// The rules (docs/load-engine.md): 1xx are interim and never counted; a step's expected statuses
// (default: 2xx and 3xx, redirects not followed) are successes, others are errors; req/s counts
// successes (the total is beside it). At the window's end no request is sent any more; those in
// flight get a short drain to be answered (counted: they were sent in the window), and what is
// still unanswered then is reported as unfinished, or as a timeout when older than `timeout`.
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ScenarioConfig } from '../config/types.js';
import type { ConnectionFigures, ErrorCounts, PacingFigures, StepFigures, TrialResult } from '../contract/result.js';
import { Connection, type ConnectionEvents, type WireRequest } from './connection.js';
import { target } from './target.js';
import { encodeHistogram, newHistogram, recordMs, summarize, type Histogram } from './histogram.js';
import { DueQueue, schedule } from './pacing.js';
import { buildRequests, RequestPlan } from './requests.js';

export interface TrialLive {
  responses: number;
  ok: number;
  errors: number;
  elapsedMs: number;
}

export interface TrialRun {
  /** Settles with the trial's figures (also after stop()); rejects on an internal error. */
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
/** How long requests in flight at the window's end may take to be answered, at most. */
export const DRAIN_MAX_MS = 2000;
/** Distinct error reasons kept per trial (the rest are counted under their kind only). */
const MAX_REASONS = 20;

export interface TrialOptions {
  /** Keep the (relative, ms) time of every send, up to 100 000: for checking the pacing. */
  logSends?: boolean;
  /** Seed of a Poisson schedule; a fresh random one per trial by default (trials are independent samples). */
  seed?: number;
}

/** A fresh seed for one trial's Poisson schedule. */
export function newSeed(): number {
  return randomInt(1, 2 ** 31 - 1);
}

export function startTrial(baseUrl: string, scenario: ScenarioConfig, durationMs: number, options: TrialOptions = {}): TrialRun {
  const to = target(baseUrl, scenario);
  const plan = new RequestPlan(buildRequests(scenario.steps), scenario.steps, to.hostHeader, to.pathPrefix);
  const steps = scenario.steps;
  const lastStep = steps.length - 1;
  const histogram = newHistogram();
  const stepHistograms = steps.map(() => newHistogram());
  const handshakes = newHistogram();
  const lag = newHistogram();
  const stepCounts = steps.map(() => ({ requests: 0, ok: 0, errors: 0 }));
  const statusCodes: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  const sendLog: number[] = [];
  let responses = 0;
  let ok = 0;
  let non2xx = 0;
  let timeouts = 0;
  let connection = 0;
  let workflowErrors = 0;
  let unfinished = 0;
  let workflows = 0;
  let opened = 0;
  let closedByServer = 0;
  /** Requests are being sent (the window is open). */
  let running = false;
  /** The window closed; requests in flight are being answered. */
  let draining = false;
  let windowMs = 0;
  let finishedAt = 0;
  let t0 = performance.now();
  let startedAt = new Date();

  // Open model state.
  const open = scenario.rate !== undefined && scenario.rate > 0;
  const idle: Connection[] = [];
  const waiting = new DueQueue();
  let intended = 0;
  let late = 0;
  let expired = 0;
  const seed = options.seed ?? newSeed();

  const counting = (): boolean => running || draining;
  const because = (reason: string): void => {
    if (reason in reasons || Object.keys(reasons).length < MAX_REASONS) reasons[reason] = (reasons[reason] ?? 0) + 1;
  };
  const restart = (c: Connection): void => {
    c.step = 0;
    c.context = {};
  };

  /** The next request of a connection's workflow (restarting it when a step cannot be built). */
  const nextRequest = (c: Connection): WireRequest | null => {
    let req = plan.build(c.step, c.context);
    if (req && 'error' in req) {
      // A captured value that cannot go on the wire: a workflow error, never sent.
      if (counting()) {
        workflowErrors++;
        stepCounts[c.step]!.errors++;
        because(req.error);
      }
      req = null;
    }
    if (!req) {
      restart(c);
      const first = plan.build(0, c.context);
      return first && !('error' in first) ? first : null;
    }
    return req;
  };

  const send = (c: Connection, origin?: number): void => {
    const req = nextRequest(c);
    if (!req) return;
    if (options.logSends && sendLog.length < SEND_LOG_MAX) sendLog.push(performance.now() - t0);
    c.send(req, origin);
  };

  /** Open model: requests that waited longer than the timeout for a connection are timeouts. */
  const expire = (now: number): void => {
    let due = waiting.peek();
    while (due !== undefined && now - due > scenario.timeoutMs) {
      waiting.shift();
      expired++;
      timeouts++;
      because(`waited longer than ${scenario.timeoutMs} ms for a free connection`);
      due = waiting.peek();
    }
  };

  /** Open model: a free connection takes the oldest waiting request, if any. */
  const takeWaiting = (c: Connection): boolean => {
    expire(performance.now());
    const due = waiting.shift();
    if (due === undefined) return false;
    send(c, due);
    return true;
  };

  const events: ConnectionEvents = {
    response(c, status, body, origin, end) {
      if (!counting()) return;
      const step = c.step;
      responses++;
      const counts = stepCounts[step]!;
      counts.requests++;
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
      plan.onResponse(step, status, body, c.context);
      if (!plan.success(step, status)) {
        non2xx++;
        counts.errors++;
        c.context.failed = true;
      } else if (c.context.error) {
        // Answered, but the workflow cannot go on (a capture missing): a workflow error.
        workflowErrors++;
        counts.errors++;
        because(c.context.error);
      } else {
        ok++;
        counts.ok++;
        c.served = true;
        recordMs(histogram, end - origin);
        if (scenario.kind === 'workflow') recordMs(stepHistograms[step]!, end - origin);
        if (step === lastStep && !c.context.failed && scenario.kind === 'workflow') workflows++;
      }
      if (c.context.failed || step === lastStep) restart(c);
      else c.step = step + 1;
      if (draining) drained();
    },
    failure(c, kind, reason) {
      if (!counting()) return;
      if (kind === 'timeout') timeouts++;
      else connection++;
      because(reason);
      stepCounts[c.step]!.errors++;
      restart(c);
      if (draining) return drained();
      // Closed model: the connection's user tries again at once (on the new socket, once it is up).
      if (!open) send(c);
      else takeWaiting(c);
    },
    connected(_c, ms) {
      opened++;
      recordMs(handshakes, ms);
    },
    idle(c) {
      if (!running) return;
      if (!open) send(c);
      else if (!takeWaiting(c)) idle.push(c);
    },
    serverClosed() {
      if (counting()) closedByServer++;
    },
    internal(err) {
      fail(err);
    },
  };

  const conns = Array.from({ length: scenario.connections }, () => new Connection(to, events));
  let pacer: NodeJS.Timeout | null = null;
  let sweeper: NodeJS.Timeout | null = null;
  let ender: NodeJS.Timeout | null = null;
  let drainer: NodeJS.Timeout | null = null;
  let connectWait: NodeJS.Timeout | null = null;
  let finish: () => void = () => {};
  let fail: (err: unknown) => void = () => {};
  /** Runs a timer callback; a throw is perfgate's own fault and ends the trial. */
  const guarded =
    (fn: () => void): (() => void) =>
    () => {
      try {
        fn();
      } catch (err) {
        fail(err);
      }
    };

  // Open model: every due request goes to the connection idle longest, or one that is free but
  // not connected (it waits for the handshake, and a failed handshake is its error), or waits.
  const gaps = open ? schedule(scenario.rate!, scenario.arrival ?? 'uniform', seed) : null;
  let nextDue = 0;
  const end = (): number => t0 + durationMs;
  const pace = (): void => {
    pacer = null;
    if (!running) return;
    const now = performance.now();
    expire(now);
    while (nextDue <= now && nextDue < end()) {
      intended++;
      let c = idle.shift();
      while (c && !c.isIdle) c = idle.shift();
      if (c) {
        // Sent now: the generator's own timer lag is not the service's latency; it is reported.
        recordMs(lag, now - nextDue);
        send(c);
      } else if (!waiting.length && (c = conns.find((x) => x.isFree))) {
        send(c, nextDue);
      } else {
        late++;
        waiting.push(nextDue);
      }
      nextDue += gaps!.nextGap();
    }
    if (nextDue < end()) pacer = setTimeout(guarded(pace), Math.max(0, nextDue - performance.now()));
  };

  const sweep = (): void => {
    const now = performance.now();
    for (const c of conns) {
      const since = c.inFlightSince;
      if (since !== null && now - since > scenario.timeoutMs) c.timeout(scenario.timeoutMs);
    }
    if (open && running) expire(now);
  };

  const begin = (): void => {
    if (connectWait) clearInterval(connectWait);
    connectWait = null;
    if (finishedAt) return;
    running = true;
    t0 = performance.now();
    startedAt = new Date();
    sweeper = setInterval(guarded(sweep), Math.min(100, Math.max(10, scenario.timeoutMs / 10)));
    ender = setTimeout(guarded(closeWindow), durationMs);
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

  /** The window ends: nothing more is sent; what is in flight gets up to the drain to be answered. */
  function closeWindow(): void {
    if (!running) return;
    running = false;
    draining = true;
    windowMs = performance.now() - t0;
    if (pacer) clearTimeout(pacer);
    pacer = null;
    for (const c of conns) c.abandonPending();
    if (!conns.some((c) => c.inFlightSince !== null)) return finish();
    drainer = setTimeout(
      guarded(() => finish()),
      Math.min(scenario.timeoutMs, DRAIN_MAX_MS),
    );
  }

  /** During the drain: finished once nothing is in flight. */
  function drained(): void {
    for (const c of conns) c.abandonPending();
    if (!conns.some((c) => c.inFlightSince !== null)) finish();
  }

  const done = new Promise<TrialData>((resolve, reject) => {
    const stopAll = (): number => {
      finishedAt = performance.now();
      const counted = running || draining;
      const ms = draining ? windowMs : running ? finishedAt - t0 : 0;
      if (counted) {
        // Still unanswered: a timeout when older than the timeout, else unfinished.
        for (const c of conns) {
          const since = c.inFlightSince;
          if (since === null) continue;
          if (finishedAt - since > scenario.timeoutMs) {
            timeouts++;
            because(`no response within ${scenario.timeoutMs} ms`);
          } else unfinished++;
        }
      }
      running = false;
      draining = false;
      for (const t of [pacer, ender, drainer]) if (t) clearTimeout(t);
      if (sweeper) clearInterval(sweeper);
      if (connectWait) clearInterval(connectWait);
      for (const c of conns) c.close();
      return ms;
    };
    finish = () => {
      if (finishedAt) return;
      const ms = stopAll();
      try {
        resolve(collect(ms));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    fail = (err) => {
      if (finishedAt) return;
      stopAll();
      const e = err instanceof Error ? err : new Error(String(err));
      reject(Object.assign(new Error(`internal error in the load engine: ${e.message}`), { cause: e, internal: true }));
    };
  });

  // Open every connection, then start the clock (or after CONNECT_PHASE_MS, whichever is first).
  const connectStart = performance.now();
  try {
    for (const c of conns) c.open();
  } catch (err) {
    fail(err);
  }
  connectWait = setInterval(
    guarded(() => {
      if (conns.every((c) => c.isIdle) || performance.now() - connectStart > Math.min(CONNECT_PHASE_MS, durationMs)) begin();
    }),
    5,
  );

  function collect(ms: number): TrialData {
    const total = non2xx + timeouts + connection + workflowErrors;
    // A workflow error comes after a response (its capture failed) or instead of a request (its value could not be sent).
    const attempts = responses + timeouts + connection;
    const errors: ErrorCounts = {
      total,
      non2xx,
      timeouts,
      connection,
      workflow: workflowErrors,
      rate: attempts > 0 ? Math.min(1, total / attempts) : 0,
      ...(Object.keys(reasons).length ? { reasons } : {}),
    };
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
    const dropped = waiting.length;
    const pacing: PacingFigures | undefined = open
      ? {
          arrival: scenario.arrival ?? 'uniform',
          offered: scenario.rate!,
          intended,
          sent: intended - dropped - expired,
          late,
          dropped,
          expired,
          achievedRate: ms > 0 ? ((intended - dropped - expired) * 1000) / ms : 0,
          lagP99Ms: summarize(lag).p99,
          ...(scenario.arrival === 'poisson' ? { seed } : {}),
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
        rps: ms > 0 ? (ok * 1000) / ms : 0,
        unfinished,
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
      errors: non2xx + timeouts + connection + workflowErrors,
      elapsedMs: running ? performance.now() - t0 : draining ? windowMs : 0,
    }),
  };
}
