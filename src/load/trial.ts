// One trial: an in-process autocannon instance for a fixed time, every response's latency
// recorded at µs resolution into our own histograms (overall and per step).
import autocannon from 'autocannon';
import type { ScenarioConfig } from '../config/types.js';
import type { ErrorCounts, StepFigures, TrialResult } from '../result.js';
import { encodeHistogram, newHistogram, recordMs, summarize, type Histogram } from './histogram.js';
import { buildRequests, type StepRequest, type WorkflowContext } from './requests.js';

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
}

interface AutocannonClient {
  requestIterator: { currentRequest: StepRequest; context: WorkflowContext };
}

export function startTrial(baseUrl: string, scenario: ScenarioConfig, durationMs: number): TrialRun {
  const steps = scenario.steps;
  const histogram = newHistogram();
  const stepHistograms = steps.map(() => newHistogram());
  const stepCounts = steps.map(() => ({ requests: 0, ok: 0, errors: 0 }));
  const statusCodes: Record<string, number> = {};
  const served = new Set<AutocannonClient>();
  // Open model: each connection should send every connections/rate seconds.
  const expectedIntervalMs = scenario.rate ? (1000 * scenario.connections) / scenario.rate : undefined;
  const lastStep = steps.length - 1;
  let responses = 0;
  let ok = 0;
  let non2xx = 0;
  let timeouts = 0;
  let connection = 0;
  let workflows = 0;
  const startedAt = new Date();
  const t0 = process.hrtime.bigint();
  const elapsedMs = (): number => Number(process.hrtime.bigint() - t0) / 1e6;

  let finished: (err: Error | null) => void = () => {};
  const instance = autocannon(
    {
      url: baseUrl,
      connections: scenario.connections,
      duration: durationMs / 1000,
      timeout: scenario.timeoutMs / 1000,
      pipelining: 1,
      sampleInt: 50, // autocannon only notices the end of the run at a sample tick
      overallRate: scenario.rate,
      requests: buildRequests(steps) as unknown as autocannon.Request[],
    } as autocannon.Options,
    (err) => finished(err ?? null),
  );

  const events = instance as unknown as NodeJS.EventEmitter;
  events.on('response', (client: AutocannonClient, statusCode: number, _bytes: number, responseTime: number) => {
    responses++;
    const step = client.requestIterator.currentRequest.stepIndex ?? 0;
    const counts = stepCounts[step]!;
    counts.requests++;
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) {
      ok++;
      counts.ok++;
      served.add(client);
      recordMs(histogram, responseTime, expectedIntervalMs);
      recordMs(stepHistograms[step]!, responseTime, expectedIntervalMs);
      if (scenario.kind === 'workflow' && step === lastStep && !client.requestIterator.context.failed) workflows++;
    } else {
      non2xx++;
      counts.errors++;
    }
  });
  events.on('reqError', (err: Error) => {
    if (/timed out/.test(err.message)) timeouts++;
    else connection++;
  });

  const done = new Promise<TrialData>((resolve, reject) => {
    finished = (err) => {
      if (err) {
        reject(err);
        return;
      }
      const ms = elapsedMs();
      const total = non2xx + timeouts + connection;
      const errors: ErrorCounts = {
        total,
        non2xx,
        timeouts,
        connection,
        rate: responses + timeouts + connection > 0 ? total / (responses + timeouts + connection) : 0,
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
      resolve({
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
          connectionsServed: served.size,
          statusCodes,
          ...(scenario.kind === 'workflow'
            ? {
                workflows: {
                  completed: workflows,
                  perSecond: ms > 0 ? (workflows * 1000) / ms : 0,
                },
              }
            : {}),
          ...(stepFigures ? { steps: stepFigures } : {}),
          histogram: encodeHistogram(histogram),
        },
      });
    };
  });

  return {
    done,
    stop: () => instance.stop(),
    live: () => ({
      responses,
      ok,
      errors: non2xx + timeouts + connection,
      elapsedMs: elapsedMs(),
    }),
  };
}
