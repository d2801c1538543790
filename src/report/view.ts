// RunResult → the report's view model: every string in it is display-ready and Markdown-safe,
// so a template (ours or a user's) cannot forget to escape. Pure: no I/O, no clock.
import { formatNumber, formatValue } from '../analysis/format.js';
import { measuredText } from '../analysis/targets.js';
import type { RunResult, TargetResult } from '../contract/result.js';
import { mermaidTrend } from './chart.js';
import { internalsView, type InternalsView } from './internals.js';
import { profileLines } from './profile-view.js';
import { code, codeBlock, md } from './markdown.js';
import { type ScenarioView, configurationRows, scenarioView, serviceRows, slowestSentence } from './scenario-view.js';
import { checklist, recommendations } from './advice.js';
import { type AbView, abSentences, abView, unitsOf } from './comparison-view.js';
import { type RegressionView, regressionSentences, regressionView } from './history-view.js';

export interface ReportView {
  title: string;
  date: string;
  name: string;
  passed: boolean;
  statusLine: string;
  readinessLine: string;
  summary: string[];
  failure: { heading: string; message: string; logTail: string | null } | null;
  /** The base build could not be measured; the head was judged against history instead. */
  baseBuildFailure: { message: string; logTail: string | null; log: string | null } | null;
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
  /** Where the time went: the profiled trial's Markdown lines; null when the run was not profiled. */
  profile: { lines: string[] } | null;
  history: string | null;
  checklist: { done: boolean; text: string }[];
  recommendations: string[];
  files: { label: string; path: string }[];
  footer: string;
}

/** Met, although the value is past the limit: the limit is held against what the interval proves. */
export const NOT_PROVEN = '⚠️ MET: NOT PROVEN PAST LIMIT';

const STATUS = {
  pass: '✅ MET',
  fail: '❌ BREACHED',
  unmeasured: '❓ NOT MEASURED',
  unjudged: '❓ NOT JUDGED',
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
    baseBuildFailure: run.baseBuildFailure
      ? {
          message: md(run.baseBuildFailure.message),
          logTail: run.baseBuildFailure.logTail.length ? codeBlock(run.baseBuildFailure.logTail.join('\n'), 'text') : null,
          log: run.baseBuildFailure.log ? code(run.baseBuildFailure.log) : null,
        }
      : null,
    targets: run.targets.map((t) => ({
      metric: md(t.name) + (t.scenario ? ` (${md(t.scenario)})` : ''),
      target: code(t.expr),
      measured: t.measured === null ? 'not measured' : md(measuredText(t)) + (t.status === 'unjudged' ? ' (not judged)' : ''),
      status: t.interval?.notProven ? NOT_PROVEN : STATUS[t.status],
      notes: (md(t.note) || ' ') + (t.fix ? `; to judge it: ${md(t.fix)}` : ''),
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
    profile: run.profile ? { lines: profileLines(run.profile) } : null,
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
    case 'internal':
      return 'perfgate itself failed (a bug): no verdict on the service';
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
  if (run.failure?.kind === 'internal')
    out.push(
      `**perfgate itself failed** (a bug in perfgate, not a verdict on the service; exit code 3)${run.failure.scenario ? ` during "${md(run.failure.scenario)}"` : ''}: ${md(run.failure.message.split('\n')[0]!)}. The service and the load were stopped; the figures cover only what ran.`,
    );
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
