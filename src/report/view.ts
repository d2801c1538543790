// RunResult → the report's view model: every string in it is display-ready and Markdown-safe,
// so a template (ours or a user's) cannot forget to escape. Pure: no I/O, no clock.
import { formatMs, formatNumber, formatPercent, formatValue } from '../analysis/format.js';
import type { Unit } from '../analysis/expression.js';
import { formatBytes, formatDuration } from '../config/units.js';
import type {
  AbOutcome,
  AbResult,
  ComparedMetric,
  Comparison,
  Outcome,
  RegressionAnalysis,
  RunResult,
  ScenarioResult,
  ServiceWindow,
  TargetResult,
} from '../result.js';
import { mermaidTrend } from './chart.js';
import { internalsView, type InternalsView } from './internals.js';
import { loadFigureRows, loadFindings } from './load-findings.js';
import { code, codeBlock, md } from './markdown.js';

export interface ReportView {
  title: string;
  date: string;
  name: string;
  passed: boolean;
  statusLine: string;
  readinessLine: string;
  summary: string[];
  failure: { heading: string; message: string; logTail: string | null } | null;
  targets: {
    metric: string;
    target: string;
    measured: string;
    status: string;
    notes: string;
  }[];
  noTargets: boolean;
  scenarios: ScenarioView[];
  /** Configured scenarios that never started. */
  notRun: string[];
  service: { rows: { label: string; value: string }[] };
  /** Memory growth, stress-ramp capacity and the service's own metrics; null when none apply. */
  internals: InternalsView | null;
  /** Where the figures come from when perfgate did not measure them in one process: shards, or another tool. */
  provenance: { heading: string; lines: string[]; rows: { label: string; value: string }[] } | null;
  configuration: { rows: { label: string; value: string }[] };
  regression: RegressionView | null;
  ab: AbView | null;
  history: string | null;
  checklist: { done: boolean; text: string }[];
  recommendations: string[];
  files: { label: string; path: string }[];
  footer: string;
}

interface AbView {
  intro: string;
  rows: { scenario: string; metric: string; base: string; head: string; change: string; ci: string; p: string; outcome: string }[];
  findings: string[];
  method: string;
}

interface RegressionView {
  /** A Mermaid xychart block of the main scenario's p95 over the baseline and this run, or null. */
  chart: string | null;
  intro: string;
  insufficient: string | null;
  rows: {
    scenario: string;
    metric: string;
    baseline: string;
    current: string;
    change: string;
    band: string;
    p: string;
    mde: string;
    outcome: string;
  }[];
  baselineRuns: string[];
  warnings: string[];
  method: string;
}

interface ScenarioView {
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

const STATUS = {
  pass: '✅ MET',
  fail: '❌ BREACHED',
  unmeasured: '❓ NOT MEASURED',
} as const;

export function buildView(run: RunResult): ReportView {
  const passed = run.verdict === 'pass';
  const date = run.startedAt.slice(0, 10);
  const breached = run.targets.filter((t) => t.status === 'fail');
  const unmeasured = run.targets.filter((t) => t.status === 'unmeasured');
  return {
    title: `${md(run.name)}: Performance Gate Report`,
    date,
    name: md(run.name),
    passed,
    statusLine: passed ? `✅ **PASSED**: ${md(run.reason)}` : `❌ **FAILED**: ${md(run.reason)}`,
    readinessLine: passed
      ? run.targets.length
        ? '**READY**: every target was measured in this run and met.'
        : '**NOT ASSESSED**: no targets are configured, so this run only measured.'
      : '**NOT READY**: see the breached or unmeasured targets below.',
    summary: executiveSummary(run, breached, unmeasured),
    failure: run.failure
      ? {
          heading: failureHeading(run.failure.kind),
          message: md(run.failure.message),
          logTail: run.failure.logTail.length ? codeBlock(run.failure.logTail.join('\n'), 'text') : null,
        }
      : null,
    targets: run.targets.map((t) => ({
      metric: md(t.name) + (t.scenario ? ` (${md(t.scenario)})` : ''),
      target: code(t.expr),
      measured: t.measured === null ? 'not measured' : md(formatValue(t.measured, t.unit)),
      status: STATUS[t.status],
      notes: md(t.note) || ' ',
    })),
    noTargets: run.targets.length === 0,
    scenarios: run.scenarios.map((s) => scenarioView(s, run.source?.tool)),
    notRun: run.config.scenarios.filter((n) => !run.scenarios.some((s) => s.name === n)).map(md),
    service: { rows: serviceRows(run) },
    internals: internalsView(run),
    provenance: provenanceView(run),
    configuration: { rows: configurationRows(run) },
    regression: run.regression ? { ...regressionView(run.regression, unitsOf(run)), chart: mermaidTrend(run) } : null,
    ab: run.ab ? abView(run.ab, unitsOf(run)) : null,
    history: run.history
      ? `${md(run.history.store)}: ${md(run.history.reason)}${run.history.location ? ` (${code(run.history.location)})` : ''}` +
        (run.history.dashboard ? `. Trend dashboard: ${code(run.history.dashboard)} (serve the branch with GitHub Pages to browse it)` : '')
      : null,
    checklist: checklist(run),
    recommendations: recommendations(run, breached, unmeasured),
    files: [
      { label: 'Result (JSON)', path: code(run.files.result) },
      { label: 'This report', path: code(run.files.report) },
      ...(run.files.serviceLog ? [{ label: 'Service log', path: code(run.files.serviceLog) }] : []),
    ],
    footer: run.source
      ? `perfgate ${md(run.environment.perfgate)} · the figures in this report were imported from ${md(run.source.tool)}'s output; perfgate measured none of them`
      : `perfgate ${md(run.environment.perfgate)} · every figure in this report was measured in this run`,
  };
}

function provenanceView(run: RunResult): ReportView['provenance'] {
  if (run.source) {
    const s = run.source;
    return {
      heading: `Imported from ${md(s.tool)}`,
      lines: [
        `The figures come from ${code(s.file)}, written by ${md(s.tool)}; perfgate read them and measured nothing itself. An import is one trial: history compares it as a run of one trial.`,
        ...s.notes.map((n) => `Note: ${md(n)}.`),
      ],
      rows: [
        { label: 'Provided by the file', value: s.provides.map(md).join('; ') },
        { label: 'Not in the file (❓)', value: s.missing.map(md).join('; ') },
      ],
    };
  }
  if (run.shards) {
    const sh = run.shards;
    const worst = sh.trials.reduce<(typeof sh.trials)[number] | undefined>(
      (a, t) => (!a || t.overlapMs / t.shortestMs < a.overlapMs / a.shortestMs ? t : a),
      undefined,
    );
    return {
      heading: `Merged from ${sh.count} shards`,
      lines: [
        `Each shard sent its share of every scenario's connections and rate from its own machine; each trial's histograms were added exactly (not percentiles averaged) and counts summed. ` +
          `A merged percentile is the percentile of all responses of the trial, from every machine.`,
        worst
          ? `The shards loaded together for at least ${formatNumber((100 * worst.overlapMs) / Math.max(1, worst.shortestMs), 1)} % of each trial (lowest: trial ${worst.trial + 1} of "${md(worst.scenario)}", ${formatNumber(worst.overlapMs, 0)} of ${formatNumber(worst.shortestMs, 0)} ms).`
          : '',
        ...sh.warnings.map((w) => `⚠️ ${md(w)}`),
      ].filter(Boolean),
      rows: [{ label: 'Shard files', value: sh.files.map(code).join(', ') }],
    };
  }
  return null;
}

function failureHeading(kind: string): string {
  switch (kind) {
    case 'never-ready':
      return 'The service never became ready';
    case 'spawn-failed':
      return 'The service could not be started';
    case 'crashed':
      return 'The service crashed during load';
    case 'aborted':
      return 'The run was interrupted';
    default:
      return 'The load could not be sent';
  }
}

function executiveSummary(run: RunResult, breached: TargetResult[], unmeasured: TargetResult[]): string[] {
  const out: string[] = [];
  const measured = run.scenarios.filter((s) => s.trials.length);
  const requests = measured.reduce((a, s) => a + s.summary.requests, 0);
  const seconds = measured.reduce((a, s) => a + s.summary.durationMs, 0) / 1000;
  if (run.failure?.kind === 'never-ready' || run.failure?.kind === 'spawn-failed') {
    out.push(`${md(run.failure.message)}. No load was sent, so no target could be measured.`);
  } else if (measured.length && run.source) {
    out.push(
      `Imported from ${md(run.source.tool)}'s output ${code(run.source.file)}: ${formatNumber(requests, 0)} requests in ${formatNumber(seconds, 1)} s. ` +
        `perfgate did not send this load; it checked ${run.targets.length} target${run.targets.length === 1 ? '' : 's'} on what ${md(run.source.tool)} reported, and figures it does not report are ❓.`,
    );
  } else if (measured.length) {
    const from = run.shards ? ` from ${run.shards.count} machines (shards, merged)` : '';
    out.push(
      `perfgate sent ${formatNumber(requests, 0)} requests${from} to ${code(run.service.url)} in ${measured.length} scenario${measured.length === 1 ? '' : 's'} ` +
        `(${formatNumber(seconds, 1)} s of measured load) and checked ${run.targets.length} target${run.targets.length === 1 ? '' : 's'}.`,
    );
  }
  if (run.failure?.kind === 'crashed') {
    out.push(
      `**The service crashed** during ${run.failure.scenario ? `"${md(run.failure.scenario)}"` : 'the load'} (${md(run.failure.message)}); the log tail is below.`,
    );
  }
  if (run.failure?.kind === 'aborted')
    out.push(`**The run was interrupted** (${md(run.failure.message)}); the figures cover only what ran.`);
  if (breached.length) {
    const list = breached.map(
      (t) =>
        `${md(t.name)}${t.scenario ? ` in "${md(t.scenario)}"` : ''} (${t.measured === null ? '?' : md(formatValue(t.measured, t.unit))} against ${code(t.expr)})`,
    );
    out.push(`**${breached.length} of ${run.targets.length} targets breached**: ${list.join('; ')}.`);
  }
  if (unmeasured.length) {
    out.push(
      `**${unmeasured.length} target${unmeasured.length === 1 ? ' was' : 's were'} not measured** and ${unmeasured.length === 1 ? 'counts' : 'count'} as failed: ${unmeasured.map((t) => md(t.name)).join(', ')}.`,
    );
  }
  if (run.verdict === 'pass' && run.targets.length) {
    out.push(`All ${run.targets.length} targets were measured and met. ${slowestSentence(run)}`.trim());
  }
  if (run.verdict === 'pass' && !run.targets.length) out.push('No targets are configured, so this run passes without checking anything.');
  out.push(...regressionSentences(run));
  out.push(...abSentences(run));
  out.push(run.verdict === 'pass' ? 'The gate passes.' : '**The gate fails.**');
  return out;
}

/** A latency, or – where the tool that measured it did not report it (imported runs). */
function ms(v: number | null): string {
  return v === null ? '–' : formatMs(v);
}

function slowestSentence(run: RunResult): string {
  const withLatency = run.scenarios.filter((s) => (s.summary.latency.count ?? 0) > 0 && s.summary.latency.p95 !== null);
  if (!withLatency.length) return '';
  const slowest = withLatency.reduce((a, s) => (s.summary.latency.p95! > a.summary.latency.p95! ? s : a));
  return `The highest p95 was ${formatMs(slowest.summary.latency.p95!)} in "${md(slowest.name)}".`;
}

function scenarioView(s: ScenarioResult, importedFrom?: string): ScenarioView {
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
    { label: 'Requests (responses)', value: formatNumber(sum.requests, 0) },
    { label: 'Throughput', value: `${formatNumber(sum.rps, 1)} req/s` },
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
      value: `${formatNumber(sum.errors.total, 0)} (${formatPercent(sum.errors.rate)}): ${sum.errors.non2xx} non-2xx, ${sum.errors.timeouts} timeouts, ${sum.errors.connection} connection errors`,
    },
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

function windowFigures(w: ServiceWindow): { label: string; value: string }[] {
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

function serviceRows(run: RunResult): { label: string; value: string }[] {
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
  if (s.mode === 'external')
    rows.push({
      label: 'CPU and memory',
      value: 'not measured: perfgate cannot see the processes of an external target',
    });
  return rows;
}

function configurationRows(run: RunResult): { label: string; value: string }[] {
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

function checklist(run: RunResult): { done: boolean; text: string }[] {
  const items: { done: boolean; text: string }[] = [];
  const s = run.service;
  if (run.source) {
    // perfgate neither started the service nor sent the load: nothing to tick for either.
    items.push({ done: false, text: `Measured by perfgate (this run was imported from ${md(run.source.tool)})` });
  } else {
    items.push({
      done: s.readyMs !== null,
      text: s.readyMs !== null ? `Service became ready (after ${formatMs(s.readyMs)})` : 'Service became ready',
    });
    const configured = run.config.scenarios.length;
    const completed = run.scenarios.filter((x) => x.trials.length && !x.interrupted).length;
    items.push({
      done: completed === configured && !run.failure,
      text: `All ${configured} load scenario${configured === 1 ? '' : 's'} completed without a crash${completed < configured ? ` (${completed} did)` : ''}`,
    });
  }
  for (const t of run.targets) {
    const measured = t.measured === null ? 'not measured' : `measured ${formatValue(t.measured, t.unit)}`;
    items.push({
      done: t.status === 'pass',
      text: `${md(t.name)}${t.scenario ? ` (${md(t.scenario)})` : ''}: ${code(t.expr)}, ${md(measured)}`,
    });
  }
  const r = run.regression;
  if (run.ab) {
    items.push({
      done: run.ab.counts.regression === 0 && run.ab.counts.inconclusive === 0 && run.ab.comparisons.length > 0,
      text: `No regression against the base build (A/B, ${run.ab.trialsPerSide} trials per side${run.ab.counts.inconclusive ? `, ${run.ab.counts.inconclusive} comparisons inconclusive` : ''})`,
    });
  } else if (!r) items.push({ done: false, text: 'Compared against history for regressions (history is off for this run)' });
  else {
    const compared = r.comparisons.length - r.counts['insufficient baseline'];
    items.push({
      done: compared > 0 && r.counts.regression === 0 && r.counts['insufficient baseline'] === 0,
      text:
        compared === 0
          ? `Compared against history: not possible yet (insufficient baseline, ${r.minRuns} comparable runs needed)`
          : `No regression against a baseline of ${r.baseline.length} stored runs (${compared} comparisons${r.counts['insufficient baseline'] ? `, ${r.counts['insufficient baseline']} without baseline` : ''})`,
    });
  }
  return items;
}

function recommendations(run: RunResult, breached: TargetResult[], unmeasured: TargetResult[]): string[] {
  const out: string[] = [];
  const f = run.failure;
  if (f?.kind === 'never-ready' || f?.kind === 'spawn-failed') {
    out.push(
      'Start the service by hand with the same command and check it answers the readiness check (`service.ready`) within its timeout; the log tail above shows how far it got.',
    );
  }
  if (f?.kind === 'crashed')
    out.push(`Find why the service exited under load (${md(f.message)}): the log tail above and the full service log hold its last words.`);
  for (const t of breached) {
    const where = t.scenario ? `"${md(t.scenario)}"` : 'the run';
    const s = run.scenarios.find((x) => x.name === t.scenario);
    switch (t.metric) {
      case 'rate(errors)':
      case 'errors': {
        const codes = Object.entries((s ?? run.scenarios[0])?.summary.statusCodes ?? {})
          .filter(([c]) => !c.startsWith('2'))
          .map(([c, n]) => `${n}× ${c}`)
          .join(', ');
        out.push(
          `Errors in ${where} exceed the target${codes ? ` (${md(codes)})` : ''}: look for the first failures in the service log and fix the cause before tuning anything else.`,
        );
        break;
      }
      case 'connections':
        out.push(
          `The service did not sustain the connection target in ${where}: check its connection limits (backlog, max connections, open files) and the errors listed for that scenario.`,
        );
        break;
      case 'rps':
      case 'workflows_per_s':
        out.push(
          `Throughput in ${where} is below the target: compare service CPU with the per-step latencies to see whether the service or a single step is the bottleneck.`,
        );
        break;
      case 'uptime':
        out.push(
          'The health endpoint missed probes during load: a health check that shares the event loop with the API goes dark under load; keep it cheap and check what blocks the loop.',
        );
        break;
      case 'memory.peak':
      case 'memory.mean':
        out.push(
          'Service memory is above the target: take a heap snapshot under load and look for caches or buffers that grow with traffic.',
        );
        break;
      case 'cpu.mean':
      case 'cpu.peak':
        out.push(
          'Service CPU is above the target: profile the service under this load (e.g. `node --cpu-prof`) and look at the hottest functions.',
        );
        break;
      default: {
        const slowStep = s?.summary.steps?.reduce((a, b) => (b.latency.p95 > a.latency.p95 ? b : a));
        out.push(
          `Latency target ${code(t.expr)} missed in ${where}${slowStep ? `; the slowest step is "${md(slowStep.name)}" (p95 ${formatMs(slowStep.latency.p95)})` : ''}: profile that path under load before raising the target.`,
        );
      }
    }
  }
  for (const t of unmeasured) out.push(`Make "${md(t.name)}" measurable: ${md(t.note)}.`);
  for (const c of run.regression?.comparisons.filter((x) => x.outcome === 'regression') ?? []) {
    const last = run.regression!.baseline[run.regression!.baseline.length - 1];
    out.push(
      `${metricLabel(c.metric)} of "${md(c.scenario)}" regressed (${changeText(c)}): look at what changed between ${last?.sha ? code(last.sha.slice(0, 7)) : 'the last baseline run'} and ${run.git?.sha ? code(run.git.sha.slice(0, 7)) : 'this run'}, and profile that scenario under load.`,
    );
  }
  for (const c of run.ab?.comparisons.filter((x) => x.outcome === 'regression') ?? []) {
    out.push(`${md(c.sentence)} Compare the two builds' code on that path and profile it under this scenario's load.`);
  }
  if (run.ab?.counts.inconclusive) {
    out.push(
      'Some A/B comparisons stayed inconclusive: raise ab.max-trials or the budget, or run `perfgate calibrate` to see how many trials δ needs on this machine.',
    );
  }
  if (
    run.regression &&
    run.regression.comparisons.length &&
    run.regression.comparisons.every((c) => c.outcome === 'insufficient baseline')
  ) {
    out.push(
      `Build up history: runs of the default branch are saved automatically; ${run.regression.minRuns} comparable runs are needed before regressions can be proven.`,
    );
  }
  if (!out.length) {
    out.push('No action needed.');
    if (!run.regression && !run.ab)
      out.push('This run was checked against absolute targets only: a slowdown that stays inside them is not flagged without history.');
  }
  return out;
}

const METRIC_LABELS: Partial<Record<ComparedMetric, string>> = {
  p50: 'p50 latency',
  p95: 'p95 latency',
  p99: 'p99 latency',
  rps: 'Throughput',
  workflows_per_s: 'Workflows/s',
  errors: 'Error rate',
  capacity: 'Capacity',
  'memory.growth': 'Memory growth',
};

function metricLabel(m: ComparedMetric): string {
  return METRIC_LABELS[m] ?? m;
}

const OUTCOME: Record<Outcome, string> = {
  regression: '🔴 regression',
  improvement: '🟢 improvement',
  unchanged: '⚪ unchanged',
  inconclusive: '🟡 inconclusive',
  'insufficient baseline': '❓ insufficient baseline',
};

function pct(f: number, digits = 1): string {
  return `${f >= 0 ? '+' : '−'}${formatNumber(Math.abs(f * 100), digits)} %`;
}

type Units = (metric: ComparedMetric) => Unit;

/** The unit of each compared metric: built-ins by name, service metrics as defined. */
function unitsOf(run: Pick<RunResult, 'metrics'>): Units {
  const defined = new Map((run.metrics?.definitions ?? []).map((d) => [d.name, d.unit as Unit]));
  return (m) => {
    if (m === 'errors') return 'fraction';
    if (m === 'rps' || m === 'workflows_per_s' || m === 'capacity') return 'per-second';
    if (m === 'memory.growth') return 'bytes-per-minute';
    return defined.get(m) ?? 'ms';
  };
}

/** A signed change on the metric's own scale (errors and shares: percentage points; memory growth: MB/min). */
function absoluteChange(metric: ComparedMetric, f: number, scale?: 'abs'): string | null {
  if (metric === 'errors' || scale === 'abs') return `${f >= 0 ? '+' : '−'}${formatNumber(Math.abs(f * 100), 2)} pp`;
  if (metric === 'memory.growth') return `${f >= 0 ? '+' : '−'}${formatValue(Math.abs(f), 'bytes-per-minute')}`;
  return null;
}

/** The change, signed so that + is worse for every metric. */
function changeText(c: Comparison): string {
  if (c.change === null) return 'no baseline';
  const abs = absoluteChange(c.metric, c.change, c.scale);
  if (abs) return abs;
  const word = c.change > 0 ? 'worse' : c.change < 0 ? 'better' : '';
  return `${pct(c.change)}${word ? ` ${word}` : ''}`;
}

function valueText(unit: Unit, v: number | null): string {
  if (v === null) return '–';
  return formatValue(v, unit);
}

function pText(p: number | null): string {
  if (p === null) return '–';
  if (p < 0.0001) return '< 0.0001';
  return formatNumber(p, 4);
}

function regressionView(r: RegressionAnalysis, units: Units): Omit<RegressionView, 'chart'> {
  const compared = r.comparisons.length - r.counts['insufficient baseline'];
  const first = r.baseline[0];
  const last = r.baseline[r.baseline.length - 1];
  const ref = (b: { sha: string | null; id: string }): string => (b.sha ? code(b.sha.slice(0, 7)) : md(b.id));
  const span = first && last ? ` (${ref(first)} … ${ref(last)}, ${md(first.savedAt.slice(0, 10))} … ${md(last.savedAt.slice(0, 10))})` : '';
  const intro =
    `Compared with ${r.baseline.length} stored run${r.baseline.length === 1 ? '' : 's'} of the same config and runner class from the default branch${span}: ` +
    `the last ${r.window} at most, cut after the latest change point. Store: ${md(r.store)}. ` +
    `Of ${r.candidates.total} stored runs, ${r.candidates.sameConfig} have this config, ${r.candidates.sameRunner} of those this runner class, and ${r.candidates.defaultBranch} of those come from the default branch.`;
  let insufficient: string | null = null;
  if (r.counts['insufficient baseline'] && compared === 0) {
    const effect =
      r.onMissingBaseline === 'fail'
        ? 'With on-missing-baseline: fail, **the gate fails**.'
        : r.onMissingBaseline === 'warn'
          ? 'The gate does not fail on it (on-missing-baseline: warn), but no regression can be caught until the baseline exists.'
          : 'The gate passes on it (on-missing-baseline: pass).';
    insufficient = `**Insufficient baseline**: fewer than ${r.minRuns} comparable runs are stored, so this run could not be compared with history. ${effect}`;
  } else if (r.counts['insufficient baseline']) {
    const n = r.counts['insufficient baseline'];
    insufficient = `${n} comparison${n === 1 ? ' has' : 's have'} an insufficient baseline (marked ❓).`;
  }
  return {
    intro,
    insufficient,
    rows: r.comparisons.map((c) => ({
      scenario: md(c.scenario),
      metric: metricLabel(c.metric),
      baseline: valueText(units(c.metric), c.baseline) + (c.runs ? ` (${c.runs} runs)` : ''),
      current: valueText(units(c.metric), c.current),
      change: changeText(c),
      band: c.band
        ? `${absoluteChange(c.metric, c.band[0], c.scale) ?? pct(c.band[0])} … ${absoluteChange(c.metric, c.band[1], c.scale) ?? pct(c.band[1])}`
        : '–',
      p: c.p === null ? '–' : `${pText(c.p)} / ${pText(c.pAdjusted)}`,
      mde: c.mde === null ? '–' : (absoluteChange(c.metric, c.mde, c.scale) ?? pct(c.mde)),
      outcome: OUTCOME[c.outcome] + (c.note ? ` (${md(c.note)})` : ''),
    })),
    baselineRuns: r.baseline.map(
      (b) => `${md(b.id)}${b.sha ? ` ${code(b.sha.slice(0, 7))}` : ''}${b.branch ? ` on ${md(b.branch)}` : ''}, saved ${md(b.savedAt)}`,
    ),
    warnings: r.warnings.map(md),
    method:
      'Per stored run, the median over its trials on the log scale; centre = median of the baseline runs, spread = 1.4826·MAD (at least the standard error of this run’s own trials); ' +
      `t = (this run − centre − δ) / (spread·√(1 + 1/N)), a one-sided test that the change exceeds δ (${deltaText(r)}), p from Student-t with N − 1 degrees of freedom, Holm-adjusted over all ${compared} comparisons at α = ${r.alpha}: ` +
      'a regression is a change significantly larger than δ. Error rates use a one-sided two-proportion test, and errors where the baseline had none count once they reach δ. ' +
      'Shares read from the service (defined metrics in percent) and memory growth are compared the same way on their own scale, their δ in percentage points or MB/min; a stress ramp’s capacity is one value per run. ' +
      '“Unchanged” means the 95 % band lies within ±δ; MDE is the smallest worsening this run could have flagged. Change and band are signed so that + is worse for every metric.',
  };
}

function deltaText(r: RegressionAnalysis): string {
  const seen = new Map<ComparedMetric, Comparison>();
  for (const c of r.comparisons) seen.set(c.metric, c);
  return [...seen].map(([m, c]) => `${m} ${absoluteChange(m, c.delta, c.scale) ?? `${formatNumber(c.delta * 100, 1)} %`}`).join(', ');
}

function regressionSentences(run: RunResult): string[] {
  const r = run.regression;
  if (!r) return [];
  const out: string[] = [];
  const regressions = r.comparisons.filter((c) => c.outcome === 'regression');
  const improvements = r.comparisons.filter((c) => c.outcome === 'improvement');
  const compared = r.comparisons.length - r.counts['insufficient baseline'];
  if (regressions.length) {
    const list = regressions.map(
      (c) => `${metricLabel(c.metric)} of "${md(c.scenario)}" ${changeText(c)} (adjusted p ${pText(c.pAdjusted)})`,
    );
    out.push(`**${regressions.length} regression${regressions.length === 1 ? '' : 's'} proven against history**: ${list.join('; ')}.`);
  } else if (compared > 0) {
    out.push(`Compared with ${r.baseline.length} stored runs, no regression was found in ${compared} comparisons.`);
  }
  if (improvements.length)
    out.push(`Improved: ${improvements.map((c) => `${metricLabel(c.metric)} of "${md(c.scenario)}" ${changeText(c)}`).join('; ')}.`);
  if (compared === 0 && r.comparisons.length) {
    out.push(`**Insufficient baseline**: this run could not be compared with history (fewer than ${r.minRuns} comparable runs stored).`);
  }
  return out;
}

const AB_OUTCOME: Record<AbOutcome, string> = {
  regression: '🔴 regression',
  improvement: '🟢 improvement',
  'confident pass': '✅ confident pass',
  inconclusive: '🟡 inconclusive',
};

function abView(ab: AbResult, units: Units): AbView {
  const levelPct = `${formatNumber((1 - 2 * ab.alphaPerLook) * 100, 2)} %`;
  const errorsChange = (f: number): string => `${f >= 0 ? '+' : '−'}${formatNumber(Math.abs(f * 100), 2)} pp`;
  return {
    intro:
      `The base build and this build were measured on the same machine, one at a time, in interleaved blocks (${md(ab.order.slice(0, 40))}${ab.order.length > 40 ? '…' : ''}): ` +
      `${ab.trialsPerSide} trials per side of every scenario, each service start warmed up first. Looks were planned at ${ab.looks.join(', ')} trials per side; ` +
      `α = ${ab.alpha} is split over those ${ab.looks.length} looks (${formatNumber(ab.alphaPerLook, 4)} each), so sampling more while undecided does not add false alarms. ` +
      `Sampling stopped because ${md(ab.stoppedBecause)}.`,
    rows: ab.comparisons.map((c) => ({
      scenario: md(c.scenario),
      metric: metricLabel(c.metric),
      base: formatValue(c.base, units(c.metric)),
      head: formatValue(c.head, units(c.metric)),
      change: c.metric === 'errors' || c.scale === 'abs' ? errorsChange(c.change) : pct(c.change),
      ci:
        c.metric === 'errors' || c.scale === 'abs'
          ? `${errorsChange(c.ci[0])} … ${errorsChange(c.ci[1])}`
          : `${pct(c.ci[0])} … ${pct(c.ci[1])}`,
      p: `${pText(c.p)} / ${pText(c.pAdjusted)}`,
      outcome: AB_OUTCOME[c.outcome],
    })),
    findings: ab.comparisons
      .filter((c) => c.outcome === 'regression' || c.outcome === 'improvement')
      .map((c) => `${AB_OUTCOME[c.outcome]}: ${md(c.sentence)}`),
    method:
      `Per scenario and metric: the trials' values on the log scale, a one-sided Mann–Whitney U test (exact for small samples without ties), the Hodges–Lehmann estimate of the change with a Moses interval at ${levelPct} (the level of one look), ` +
      `Holm's correction over all ${ab.comparisons.length} comparisons. A regression needs adjusted p ≤ ${formatNumber(ab.alphaPerLook, 4)} and a change of at least δ; ` +
      `a confident pass means the interval's upper end is below δ. Change and interval are signed so that + is worse for every metric.`,
  };
}

function abSentences(run: RunResult): string[] {
  const ab = run.ab;
  if (!ab) return [];
  const out: string[] = [];
  const regressions = ab.comparisons.filter((c) => c.outcome === 'regression');
  if (regressions.length)
    out.push(
      `**${regressions.length} regression${regressions.length === 1 ? '' : 's'} against the base build**: ${regressions.map((c) => md(c.sentence)).join(' ')}`,
    );
  else out.push(`Against the base build measured alongside it (${ab.trialsPerSide} trials per side), no regression was found.`);
  const improvements = ab.comparisons.filter((c) => c.outcome === 'improvement');
  if (improvements.length) out.push(`Improved: ${improvements.map((c) => md(c.sentence)).join(' ')}`);
  if (ab.counts.inconclusive)
    out.push(
      `${ab.counts.inconclusive} comparison${ab.counts.inconclusive === 1 ? ' is' : 's are'} still inconclusive: ${md(ab.stoppedBecause)}.`,
    );
  return out;
}
