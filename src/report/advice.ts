// The checklist (ticked only for measured passes) and the recommendations drawn from what failed.
import { formatMs, formatValue } from '../analysis/format.js';
import { gatingOf } from '../analysis/compared-metrics.js';
import type { RunResult, TargetResult } from '../contract/result.js';
import { code, md } from './markdown.js';
import { changeText, metricLabel } from './comparison-view.js';

export function checklist(run: RunResult): { done: boolean; text: string }[] {
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
    const compared = gatingOf(r.comparisons).length - r.counts['insufficient baseline'];
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

export function recommendations(run: RunResult, breached: TargetResult[], unmeasured: TargetResult[]): string[] {
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
  for (const c of gatingOf(run.regression?.comparisons ?? []).filter((x) => x.outcome === 'regression')) {
    const last = run.regression!.baseline[run.regression!.baseline.length - 1];
    out.push(
      `${metricLabel(c.metric)} of "${md(c.scenario)}" regressed (${changeText(c)}): look at what changed between ${last?.sha ? code(last.sha.slice(0, 7)) : 'the last baseline run'} and ${run.git?.sha ? code(run.git.sha.slice(0, 7)) : 'this run'}, and profile that scenario under load.`,
    );
  }
  for (const c of gatingOf(run.ab?.comparisons ?? []).filter((x) => x.outcome === 'regression')) {
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
