// A scenario's section of the report, the service's resources and the test configuration.
import { formatMs, formatNumber, formatPercent } from '../analysis/format.js';
import { formatBytes, formatDuration } from '../config/units.js';
import type { RunResult, ScenarioResult, ServiceWindow } from '../contract/result.js';
import { loadFigureRows, loadFindings } from './load-findings.js';
import { code, md } from './markdown.js';

export interface ScenarioView {
  name: string;
  description: string;
  /** What the load engine noticed (connection closes, late sends). */
  findings: string[];
  interrupted: string | null;
  figures: { label: string; value: string }[];
  latency: {
    p50: string;
    p90: string;
    p95: string;
    p99: string;
    max: string;
    mean: string;
  };
  trials: {
    index: number;
    rps: string;
    p50: string;
    p95: string;
    p99: string;
    errors: string;
    extra: string;
  }[];
  hasWorkflow: boolean;
  steps: {
    name: string;
    request: string;
    requests: string;
    errors: string;
    p50: string;
    p95: string;
    p99: string;
  }[];
  statusCodes: string;
}

export function ms(v: number | null): string {
  return v === null ? '–' : formatMs(v);
}

export function slowestSentence(run: RunResult): string {
  const withLatency = run.scenarios.filter((s) => (s.summary.latency.count ?? 0) > 0 && s.summary.latency.p95 !== null);
  if (!withLatency.length) return '';
  const slowest = withLatency.reduce((a, s) => (s.summary.latency.p95! > a.summary.latency.p95! ? s : a));
  return `The highest p95 was ${formatMs(slowest.summary.latency.p95!)} in "${md(slowest.name)}".`;
}

export function scenarioView(s: ScenarioResult, importedFrom?: string): ScenarioView {
  const st = s.settings;
  const model = st.rate ? `open model at ${formatNumber(st.rate, 1)} req/s` : 'closed model (as fast as answers come)';
  const reqs = st.steps.map((x) => `${x.method} ${x.path}`);
  const description = importedFrom
    ? `Load sent by ${md(importedFrom)}${st.connections ? ` with up to ${st.connections} ${importedFrom === 'k6' ? 'VUs' : importedFrom === 'locust' ? 'users' : 'connections'}` : ''} for ${formatDuration(Math.round(st.durationMs))}, imported as one trial.`
    : `${s.kind === 'workflow' ? `Workflow of ${st.steps.length} steps (${md(reqs.join(' → '))})` : code(reqs[0] ?? '')}, ` +
      `${st.connections} connections, ${model}; warm-up ${formatDuration(st.warmupMs)}, ${st.trials} × ${formatDuration(st.durationMs)} trials.`;
  const sum = s.summary;
  const lat = sum.latency;
  const figures = [
    {
      label: 'Requests (responses)',
      value: `${formatNumber(sum.requests, 0)}${sum.unfinished ? `; ${formatNumber(sum.unfinished, 0)} still unanswered when a trial's drain ended (not counted)` : ''}`,
    },
    {
      label: 'Throughput (successful responses)',
      value: `${formatNumber(sum.rps, 1)} req/s (all responses: ${formatNumber(sum.durationMs > 0 ? (sum.requests * 1000) / sum.durationMs : 0, 1)} req/s)`,
    },
    ...(sum.workflows
      ? [
          {
            label: 'Completed workflows',
            value: `${formatNumber(sum.workflows.completed, 0)} (${formatNumber(sum.workflows.perSecond, 1)}/s)`,
          },
        ]
      : []),
    {
      label: 'Errors',
      value: `${formatNumber(sum.errors.total, 0)} (${formatPercent(sum.errors.rate)}): ${sum.errors.non2xx} unexpected statuses, ${sum.errors.timeouts} timeouts, ${sum.errors.connection} connection errors${sum.errors.workflow ? `, ${sum.errors.workflow} workflow errors` : ''}`,
    },
    ...Object.entries(sum.errors.reasons ?? {})
      .slice(0, 5)
      .map(([why, n]) => ({ label: `Error: ${md(why)}`, value: formatNumber(n, 0) })),
    ...(sum.serviceCpu && sum.serviceCpu.perRequestUs !== null
      ? [
          {
            label: 'Service CPU time per request (whole process tree)',
            value: `${formatNumber(sum.serviceCpu.perRequestUs, 1)} µs (${formatNumber(sum.serviceCpu.ns / 1e9, 2)} s of CPU over ${formatNumber(sum.requests, 0)} responses)`,
          },
        ]
      : []),
    ...(sum.dependencyCpu && sum.dependencyCpu.perRequestUs !== null
      ? [
          {
            label: "Its own dependencies' CPU time per request",
            value: `${formatNumber(sum.dependencyCpu.perRequestUs, 1)} µs (${Object.entries(sum.dependencyCpu.byName)
              .map(([name, ns]) => `${md(name)} ${formatNumber(ns / 1000 / Math.max(1, sum.requests), 1)} µs`)
              .join(', ')})`,
          },
        ]
      : []),
    ...(importedFrom
      ? []
      : [
          {
            label: 'Connections answered (fewest in a trial)',
            value: `${sum.connectionsServed} of ${st.connections}`,
          },
        ]),
    ...loadFigureRows(sum),
    ...windowFigures(s.service),
  ];
  return {
    name: md(s.name),
    description,
    findings: loadFindings(sum),
    interrupted: s.interrupted ? md(s.interrupted) : null,
    figures,
    latency: {
      p50: ms(lat.p50),
      p90: ms(lat.p90),
      p95: ms(lat.p95),
      p99: ms(lat.p99),
      max: ms(lat.max),
      mean: ms(lat.mean),
    },
    trials: s.trials.map((t) => ({
      index: t.index + 1,
      rps: formatNumber(t.rps, 1),
      p50: ms(t.latency.p50),
      p95: ms(t.latency.p95),
      p99: ms(t.latency.p99),
      errors: formatPercent(t.errors.rate),
      extra: t.workflows ? `${formatNumber(t.workflows.perSecond, 1)}/s` : '',
    })),
    hasWorkflow: s.kind === 'workflow',
    steps: (sum.steps ?? []).map((step) => ({
      name: md(step.name),
      request: code(`${step.method} ${step.path}`),
      requests: formatNumber(step.requests, 0),
      errors: formatNumber(step.errors, 0),
      p50: formatMs(step.latency.p50),
      p95: formatMs(step.latency.p95),
      p99: formatMs(step.latency.p99),
    })),
    statusCodes: Object.entries(sum.statusCodes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([c, n]) => `${md(c)}: ${formatNumber(n, 0)}`)
      .join(', '),
  };
}

export function windowFigures(w: ServiceWindow): { label: string; value: string }[] {
  const out: { label: string; value: string }[] = [];
  if (w.cpu)
    out.push({
      label: 'Service CPU (mean / peak, % of one core)',
      value: `${formatNumber(w.cpu.mean, 1)} % / ${formatNumber(w.cpu.peak, 1)} %`,
    });
  if (w.memory)
    out.push({
      label: 'Service memory (mean / peak RSS)',
      value: `${formatBytes(w.memory.mean)} / ${formatBytes(w.memory.peak)}`,
    });
  if (w.uptime)
    out.push({
      label: 'Uptime probe',
      value: `${formatPercent(w.uptime.ratio)} (${w.uptime.up}/${w.uptime.probes})`,
    });
  return out;
}

export function serviceRows(run: RunResult): { label: string; value: string }[] {
  const s = run.service;
  const rows = [
    {
      label: 'Mode',
      value: s.mode === 'managed' ? 'started and stopped by perfgate' : 'external target (already running)',
    },
    ...(s.command ? [{ label: 'Command', value: code(s.command) }] : []),
    { label: 'URL', value: code(s.url) },
    ...(run.source
      ? []
      : [
          {
            label: 'Ready after',
            value: s.readyMs === null ? 'never' : formatMs(s.readyMs),
          },
        ]),
    ...windowFigures(s),
  ];
  if (s.mode === 'managed') {
    rows.push({
      label: 'Exit',
      value: s.exit ? (s.exit.signal ? `stopped by ${md(s.exit.signal)}` : `exit code ${s.exit.code}`) : 'unknown',
    });
  }
  if (s.cpuTime) rows.push({ label: 'Service CPU time', value: md(s.cpuTime.note) });
  if (s.yardstick)
    rows.push({
      label: 'Yardstick',
      value: s.yardstick.ran
        ? `a fixed workload beside the service${s.yardstick.cpus ? ` on CPUs ${s.yardstick.cpus.join(', ')}` : ''}, one operation every ${s.yardstick.periodMs} ms; its CPU time per operation, per trial, in result.json${s.yardstick.note ? ` (${md(s.yardstick.note)})` : ''}`
        : `did not run: ${md(s.yardstick.note ?? 'unknown')}`,
    });
  if (s.mode === 'external')
    rows.push({
      label: 'CPU and memory',
      value: 'not measured: perfgate cannot see the processes of an external target',
    });
  return rows;
}

export function configurationRows(run: RunResult): { label: string; value: string }[] {
  const e = run.environment;
  return [
    { label: 'Config', value: code(run.config.file) },
    {
      label: 'Tools',
      value: run.source
        ? `${md(run.source.tool)} sent the load (its output ${code(run.source.file)} was imported); perfgate ${md(e.perfgate)} read it on Node.js ${md(e.node)}`
        : `perfgate ${md(e.perfgate)}, ${e.engine ? `${md(e.engine)} load engine` : `autocannon ${md(e.autocannon ?? 'unknown')}`} (in-process; latency from the request written to the response read, µs resolution; handshakes apart), Node.js ${md(e.node)}`,
    },
    {
      label: 'Machine',
      value: `${md(e.cpuModel)}, ${e.cores} cores, ${formatBytes(e.totalMemory)} RAM`,
    },
    {
      label: 'OS',
      value: `${md(e.os)} (${md(e.platform)}/${md(e.arch)})${e.ci ? ', CI' : ''}`,
    },
    { label: 'Started', value: md(run.startedAt) },
    { label: 'Wall time', value: formatDuration(Math.round(run.durationMs)) },
  ];
}
