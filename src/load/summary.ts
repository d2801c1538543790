// Trials → one scenario summary: counts added, histograms merged exactly (never percentiles
// averaged), connection and pacing figures summed. Pure.
import type { ConnectionFigures, PacingFigures, ScenarioResult, StepFigures, TrialResult } from '../contract/result.js';
import { decodeHistogram, encodeHistogram, mergeHistograms, summarize, type Histogram } from './histogram.js';

export function summarizeTrials(trials: TrialResult[], histograms?: Histogram[]): ScenarioResult['summary'] {
  const merged = mergeHistograms(histograms ?? trials.map((t) => decodeHistogram(t.histogram)));
  const sum = (f: (t: TrialResult) => number): number => trials.reduce((acc, t) => acc + f(t), 0);
  const durationMs = sum((t) => t.durationMs);
  const requests = sum((t) => t.requests);
  const total = sum((t) => t.errors.total);
  const timeouts = sum((t) => t.errors.timeouts);
  const connection = sum((t) => t.errors.connection);
  const workflow = sum((t) => t.errors.workflow ?? 0);
  const ok = sum((t) => t.ok);
  const attempts = requests + timeouts + connection;
  const reasons = addReasons(trials);
  const unfinished = sum((t) => t.unfinished ?? 0);
  const statusCodes: Record<string, number> = {};
  for (const t of trials) for (const [code, n] of Object.entries(t.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  const summary: ScenarioResult['summary'] = {
    durationMs,
    requests,
    ok,
    rps: durationMs > 0 ? (ok * 1000) / durationMs : 0,
    ...(unfinished ? { unfinished } : {}),
    latency: summarize(merged),
    errors: {
      total,
      non2xx: sum((t) => t.errors.non2xx),
      timeouts,
      connection,
      ...(workflow ? { workflow } : {}),
      rate: attempts > 0 ? Math.min(1, total / attempts) : 0,
      ...(reasons ? { reasons } : {}),
    },
    connectionsServed: trials.length ? Math.min(...trials.map((t) => t.connectionsServed)) : 0,
    statusCodes,
    histogram: encodeHistogram(merged),
  };
  if (trials.some((t) => t.workflows)) {
    const completed = sum((t) => t.workflows?.completed ?? 0);
    summary.workflows = {
      completed,
      perSecond: durationMs > 0 ? (completed * 1000) / durationMs : 0,
    };
  }
  const cpu = trials.filter((t) => t.serviceCpu);
  if (cpu.length === trials.length && cpu.length) {
    const ns = cpu.reduce((a, t) => a + t.serviceCpu!.ns, 0);
    summary.serviceCpu = {
      ns,
      perRequestUs: requests > 0 ? ns / 1000 / requests : null,
      source: cpu.some((t) => t.serviceCpu!.source === 'stat')
        ? 'stat'
        : cpu.every((t) => t.serviceCpu!.source === 'cgroup')
          ? 'cgroup'
          : 'schedstat',
    };
  }
  const deps = trials.filter((t) => t.dependencyCpu);
  if (deps.length === trials.length && deps.length) {
    const byName: Record<string, number> = {};
    for (const t of deps) for (const [name, ns] of Object.entries(t.dependencyCpu!.byName)) byName[name] = (byName[name] ?? 0) + ns;
    const ns = deps.reduce((a, t) => a + t.dependencyCpu!.ns, 0);
    summary.dependencyCpu = { ns, perRequestUs: requests > 0 ? ns / 1000 / requests : null, byName };
  }
  const connections = sumConnections(trials);
  if (connections) summary.connections = connections;
  const pacing = sumPacing(trials, durationMs);
  if (pacing) summary.pacing = pacing;
  const first = trials[0]?.steps;
  if (first) {
    summary.steps = first.map((step, i): StepFigures => {
      const parts = trials.map((t) => t.steps![i]!);
      const h = mergeHistograms(parts.map((p) => decodeHistogram(p.histogram)));
      return {
        name: step.name,
        method: step.method,
        path: step.path,
        requests: parts.reduce((a, p) => a + p.requests, 0),
        ok: parts.reduce((a, p) => a + p.ok, 0),
        errors: parts.reduce((a, p) => a + p.errors, 0),
        latency: summarize(h),
        histogram: encodeHistogram(h),
      };
    });
  }
  return summary;
}

/** Error reasons added up over trials (at most 20 distinct, the most frequent kept), or undefined. */
function addReasons(trials: TrialResult[]): Record<string, number> | undefined {
  const all: Record<string, number> = {};
  for (const t of trials) for (const [why, n] of Object.entries(t.errors.reasons ?? {})) all[why] = (all[why] ?? 0) + n;
  const top = Object.entries(all)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 20);
  return top.length ? Object.fromEntries(top) : undefined;
}

/** Connection figures added up (handshake histograms merged), or undefined when no trial has them. */
function sumConnections(trials: TrialResult[]): ConnectionFigures | undefined {
  const parts = trials.map((t) => t.connections).filter((c): c is ConnectionFigures => c !== undefined);
  if (!parts.length) return undefined;
  const h = mergeHistograms(parts.map((c) => decodeHistogram(c.handshakeHistogram)));
  return {
    opened: parts.reduce((a, c) => a + c.opened, 0),
    closedByServer: parts.reduce((a, c) => a + c.closedByServer, 0),
    handshake: summarize(h),
    handshakeHistogram: encodeHistogram(h),
  };
}

/** The open model's schedule over several trials (or parallel parts): counts add up. */
function sumPacing(trials: TrialResult[], durationMs: number): PacingFigures | undefined {
  const parts = trials.map((t) => t.pacing).filter((p): p is PacingFigures => p !== undefined);
  if (!parts.length) return undefined;
  const sent = parts.reduce((a, p) => a + p.sent, 0);
  return {
    arrival: parts[0]!.arrival,
    offered: parts[0]!.offered,
    intended: parts.reduce((a, p) => a + p.intended, 0),
    sent,
    late: parts.reduce((a, p) => a + p.late, 0),
    dropped: parts.reduce((a, p) => a + p.dropped, 0),
    ...(parts.some((p) => p.expired !== undefined) ? { expired: parts.reduce((a, p) => a + (p.expired ?? 0), 0) } : {}),
    achievedRate: durationMs > 0 ? (sent * 1000) / durationMs : 0,
    lagP99Ms: Math.max(...parts.map((p) => p.lagP99Ms)),
  };
}
