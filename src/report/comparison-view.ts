// The A/B section (tables, sentences), and how a change is written for it and for history mode
// (history-view.ts).
import { formatNumber, formatSeconds, formatValue, signedChange, signedRange, type ChangeOf } from '../analysis/format.js';
import type { Unit } from '../config/target-expr.js';
import type {
  AbComparison,
  AbOutcome,
  AbResult,
  BuiltinMetric,
  ComparedMetric,
  Comparison,
  Outcome,
  RunResult,
  ScenarioResult,
} from '../contract/result.js';
import { code, md } from './markdown.js';
import { gatingOf, notGating } from '../analysis/compared-metrics.js';
import { pct } from '../analysis/ab.js';
import { WHOLE_RUN } from '../analysis/regression.js';
import { calibrate } from '../analysis/calibration.js';
import { trialFigures, type TrialFigures } from '../contract/record.js';
import { normalQuantile } from '../stats/distributions.js';

export interface AbView {
  intro: string;
  rows: { scenario: string; metric: string; base: string; head: string; change: string; ci: string; p: string; outcome: string }[];
  findings: string[];
  method: string;
}

export const METRIC_LABELS: Partial<Record<ComparedMetric, string>> = {
  p50: 'p50 latency',
  p95: 'p95 latency',
  p99: 'p99 latency',
  rps: 'Throughput',
  workflows_per_s: 'Workflows/s',
  errors: 'Error rate',
  capacity: 'Capacity',
  'memory.growth': 'Memory growth',
  cpu_per_request: 'Service CPU per request',
  dependency_cpu_per_request: "Dependencies' CPU per request",
  system_cpu_per_request: 'System CPU per request',
  relative_cpu_per_request: 'Service CPU per request ÷ yardstick',
  memory_per_request: 'Memory growth per request',
};

export function metricLabel(m: ComparedMetric): string {
  return METRIC_LABELS[m] ?? m;
}

export const OUTCOME: Record<Outcome, string> = {
  regression: '🔴 regression',
  improvement: '🟢 improvement',
  'confident pass': '✅ confident pass',
  inconclusive: '🟡 inconclusive',
  'insufficient baseline': '❓ insufficient baseline',
};

export type Units = (metric: ComparedMetric) => Unit;

/** The unit of each compared metric: built-ins by name, service metrics as defined. */
export function unitsOf(run: Pick<RunResult, 'metrics'>): Units {
  const defined = new Map((run.metrics?.definitions ?? []).map((d) => [d.name, d.unit as Unit]));
  return (m) => {
    if (m === 'errors') return 'fraction';
    if (m === 'rps' || m === 'workflows_per_s' || m === 'capacity') return 'per-second';
    if (m === 'memory.growth') return 'bytes-per-minute';
    if (m === 'memory_per_request') return 'bytes-per-request';
    if (m === 'relative_cpu_per_request') return 'number';
    return defined.get(m) ?? 'ms';
  };
}

/** The change this run against the baseline, as a reader computes it, and whether that is worse or better. */
export function changeText(c: Comparison): string {
  if (c.change === null) return 'no baseline';
  const word = c.change > 0 ? 'worse' : c.change < 0 ? 'better' : '';
  return `${signedChange(c, c.change)}${word ? ` ${word}` : ''}`;
}

export function valueText(unit: Unit, v: number | null): string {
  if (v === null) return '–';
  return formatValue(v, unit);
}

export function pText(p: number | null): string {
  if (p === null) return '–';
  if (p < 0.0001) return '< 0.0001';
  return formatNumber(p, 4);
}

/** The outcome cell: a comparison outside regression.gate says so. */
export function outcomeCell(label: string, c: { gating?: boolean }): string {
  return c.gating === false ? `${label} · not gating` : label;
}

/**
 * "no regression larger than +10 % (upper bound +3.1 %)": what a confident pass rules out, in both
 * modes; for a figure that worsens downward, "no drop larger than −9.1 % (bound −2.9 %)".
 */
export function noRegressionText(c: ChangeOf & { delta: number }, upper: number): string {
  const [what, bound] = c.worse === 'down' ? ['drop', 'bound'] : ['regression', 'upper bound'];
  return `no ${what} larger than ${signedChange(c, c.delta)} (${bound} ${signedChange(c, upper)})`;
}

/** "p95, throughput and errors gate; p50 and p99 are reported only." */
export function gateSentence(comparisons: readonly { metric: ComparedMetric; gating?: boolean }[], from = 'regression.gate'): string {
  const names = (cs: readonly { metric: ComparedMetric }[]): string => [...new Set(cs.map((c) => metricLabel(c.metric)))].join(', ');
  const off = notGating(comparisons);
  if (!off.length) return '';
  return ` Gating (${md(from)}): ${md(names(gatingOf(comparisons)))}; reported but never failing the run: ${md(names(off))}.`;
}

export const AB_OUTCOME: Record<AbOutcome, string> = {
  regression: '🔴 regression',
  improvement: '🟢 improvement',
  'confident pass': '✅ confident pass',
  inconclusive: '🟡 inconclusive',
};

export function abView(ab: AbResult, units: Units): AbView {
  // The intervals are at a confident pass's level, β's when regression.beta sets it apart from α.
  const passPerLook = ab.beta === undefined ? ab.alphaPerLook : ab.beta / ab.looks.length;
  const levelPct = `${formatNumber((1 - 2 * passPerLook) * 100, 2)} %`;
  return {
    intro:
      (ab.base.commit
        ? `Base build: commit ${code(ab.base.commit.sha.slice(0, 7))} (${md(ab.base.commit.why)}), checked out and started by perfgate. `
        : '') +
      designSentence(ab) +
      (ab.design === 'duet'
        ? `${ab.trialsPerSide} pairs of trials of every scenario, each service warmed up after every start. Looks were planned at ${ab.looks.join(', ')} pairs; `
        : `${ab.trialsPerSide} trials per side of every scenario, each service warmed up after its start. Looks were planned at ${ab.looks.join(', ')} trials per side; `) +
      `α = ${ab.alpha} is split over those ${ab.looks.length} looks (${formatNumber(ab.alphaPerLook, 4)} each), so sampling more while undecided does not add false alarms. ` +
      (ab.beta === undefined
        ? ''
        : `A confident pass is judged at β = ${ab.beta} (${formatNumber(passPerLook, 4)} each look): a change of exactly δ ends as one in at most that share of runs. `) +
      `Sampling stopped because ${md(ab.stoppedBecause)}.` +
      gateSentence(ab.comparisons, ab.gateFrom) +
      notGatingSentence(ab) +
      leanSentence(ab) +
      leftOutSentence(ab.leftOut) +
      targetsSentence(ab),
    rows: ab.comparisons.map((c) => ({
      scenario: md(c.scenario),
      metric: metricLabel(c.metric),
      base: formatValue(c.base, units(c.metric)),
      head: formatValue(c.head, units(c.metric)),
      change: signedChange(c, c.change),
      ci: signedRange(c, c.ci),
      p: `${pText(c.p)} / ${pText(c.pAdjusted)}`,
      outcome: outcomeCell(AB_OUTCOME[c.outcome], c) + (c.outcome === 'confident pass' ? `: ${noRegressionText(c, c.ci[1])}` : ''),
    })),
    findings: ab.comparisons
      .filter((c) => c.outcome === 'regression' || c.outcome === 'improvement')
      .map((c) => `${outcomeCell(AB_OUTCOME[c.outcome], c)}: ${md(c.sentence)}`),
    method:
      (ab.comparisons.some((c) => c.spread !== undefined)
        ? `Per scenario and metric: each pair of trials (base and head ${ab.design === 'duet' ? 'loaded at the same time' : 'in adjacent blocks'}) gives one log-ratio head/base, so what moved the machine during a pair cancels in it; a one-sided paired t test on the log-ratios and a t interval for their mean at ${levelPct} (the level of one look)${ab.comparisons.some((c) => c.lean) ? ', with the run-to-run lean added to the variance of the mean (Welch–Satterthwaite degrees of freedom)' : ''}, `
        : `Per scenario and metric: the trials' values on the log scale, a one-sided Mann–Whitney U test (exact for small samples without ties), the Hodges–Lehmann estimate of the change with a Moses interval at ${levelPct} (the level of one look), `) +
      `Holm's correction over the ${gatingOf(ab.comparisons).length} gating comparisons (the others form a family of their own and cannot fail the run). A regression needs adjusted p ≤ ${formatNumber(ab.alphaPerLook, 4)} and a change of at least δ; ` +
      `a confident pass means the interval's upper end is below δ. Change and interval read the head against the base (+ = higher): a throughput that halved reads −50 %.`,
  };
}

/**
 * What this build's targets were judged on: in a duet, the scenarios a target reads ran on the
 * head alone after the pairs, as a plain run measures them; whole-run targets read the whole run.
 */
export function targetsSentence(ab: AbResult): string {
  if (ab.design !== 'duet') return ' Targets are judged on this build’s own trials, each loaded alone, as a plain run measures them.';
  const alone = ab.headAlone;
  const names = alone?.scenarios.map((n) => `"${md(n)}"`).join(', ');
  return (
    (alone
      ? ` Targets of ${names} are judged on this build alone: after the pairs, with the base stopped and nothing pinned, it ran each one's own trials as a plain run measures them (${formatSeconds(alone.ms)}).`
      : ' No scenario has targets of its own, so this build ran nothing alone after the pairs.') +
    ' Whole-run targets (errors, uptime, memory) read this build’s whole run: its pairs, where it shared one CPU with the base under load, and what it ran alone.'
  );
}

/** How the two builds were loaded (older results: interleaved blocks). */
function designSentence(ab: AbResult): string {
  const order = `${md(ab.order.slice(0, 40))}${ab.order.length > 40 ? '…' : ''}`;
  if (ab.design === 'duet')
    return (
      `The base build and this build were measured on the same machine in duet trials (${md(ab.designNote ?? 'both loaded at the same time')})` +
      (ab.firstSlot && /B/.test(ab.firstSlot) && /H/.test(ab.firstSlot)
        ? `, crossed over: both were restarted with the other one started, given its port and warmed up first, so that each build held the first slot in some pairs (${md(crossoverText(ab.firstSlot))}) and the slot's own effect cancels in the analysis: `
        : ': ')
    );
  return `The base build and this build were measured on the same machine, one loaded at a time, in interleaved blocks (${order})${ab.designNote ? `; ${md(ab.designNote)}` : ''}: `;
}

/** "BBBHHHBB" → "base first in pairs 1–3 and 7–8, head first in 4–6". */
function crossoverText(firstSlot: string): string {
  const runs: Record<'B' | 'H', string[]> = { B: [], H: [] };
  let i = 0;
  while (i < firstSlot.length) {
    const c = firstSlot[i] as 'B' | 'H';
    let j = i;
    while (firstSlot[j + 1] === c) j++;
    runs[c].push(i === j ? `${i + 1}` : `${i + 1}–${j + 1}`);
    i = j + 1;
  }
  const list = (xs: string[]): string => (xs.length > 1 ? `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}` : (xs[0] ?? ''));
  return `base first in pairs ${list(runs.B)}, head first in ${list(runs.H)}`;
}

/**
 * Against a stored build: how far each comparison leaned from run to run in the stored duets,
 * which this run's tests count on top of its pairs' scatter (or why none was read yet).
 */
export function leanSentence(ab: AbResult): string {
  const read = ab.runLean;
  if (!read) return '';
  const from = `${read.duets} stored duet${read.duets === 1 ? '' : 's'} of this config and runner class`;
  if (read.duets < read.minRuns)
    return ` Run-to-run lean: ${from} so far; a comparison's lean is read from ${read.minRuns}, so this run's intervals come from its pairs alone.`;
  const leaning = ab.comparisons.filter((c) => c.lean);
  if (!leaning.length) return ` Run-to-run lean: the newest ${from} lean no further from run to run than their pairs scatter.`;
  const amount = (c: AbComparison, sd: number): string =>
    c.scale !== 'abs'
      ? `±${pct(sd)} %`
      : c.metric === 'memory_per_request'
        ? `±${formatValue(sd, 'bytes-per-request')}`
        : `±${pct(sd)} percentage points`;
  return (
    ` Run-to-run lean, read from the newest ${from} (what an estimate moves from run to run beyond its pairs' scatter, which no number of pairs shrinks) and added to the pairs' variance: ` +
    `${leaning.map((c) => `${metricLabel(c.metric)} of "${md(c.scenario)}" ${amount(c, c.lean!.sd)}`).join(', ')}` +
    `${leaning.length < ab.comparisons.length ? '; the others lean no further than their pairs scatter' : ''}.`
  );
}

/** The latency comparisons this run's pairs left out of the gate or judged on a wider δ, and why. */
function notGatingSentence(ab: AbResult): string {
  const n = [
    ...(ab.widened ?? []).map((x) => `${metricLabel(x.metric)} of "${md(x.scenario)}" gates on a wider δ: ${md(x.why)}`),
    ...(ab.notGating ?? []).map((x) => `${metricLabel(x.metric)} of "${md(x.scenario)}" does not gate: ${md(x.why)}`),
  ];
  return n.length ? ` ${n.join('; ')}.` : '';
}

/** The comparisons the design leaves out, and why. */
export function leftOutSentence(left: readonly { scenario: string; metric: string; why: string }[] = []): string {
  if (!left.length) return '';
  const byWhy = new Map<string, string[]>();
  for (const l of left)
    byWhy.set(l.why, [
      ...(byWhy.get(l.why) ?? []),
      `${metricLabel(l.metric)} of ${l.scenario === WHOLE_RUN ? WHOLE_RUN : `"${md(l.scenario)}"`}`,
    ]);
  return ` Not compared: ${[...byWhy].map(([why, what]) => `${what.join(', ')} (${md(why)})`).join('; ')}.`;
}

/**
 * Which kinds of slowdown this A/B run could see, from what gated: work in the service (CPU time
 * per request), in its per-build dependencies (the system's CPU time per request), waits (latency, per scenario), errors; and what it could not, with why.
 */
export function seenSentence(run: RunResult): string {
  const ab = run.ab;
  if (!ab) return '';
  const gating = gatingOf(ab.comparisons);
  const has = (m: string): boolean => gating.some((c) => c.metric === m);
  const waitScenarios = [...new Set(gating.filter((c) => c.metric === 'p50' || c.metric === 'p95').map((c) => c.scenario))];
  const seen: string[] = [];
  if (has('cpu_per_request')) seen.push('more work in the service (its CPU time per request)');
  if (has('system_cpu_per_request'))
    seen.push("more work in the build's own dependencies, such as its database (the system's CPU time per request)");
  // A latency on a wider δ sees only waits that large.
  const wide = new Map<string, number>();
  for (const w of ab.widened ?? []) wide.set(w.scenario, Math.max(wide.get(w.scenario) ?? 0, w.delta));
  const exact = waitScenarios.filter((s) => !wide.has(s));
  const wider = waitScenarios.filter((s) => wide.has(s));
  if (waitScenarios.length)
    seen.push(
      `waits and slower dependencies (latency) in ${[
        ...exact.map((s) => `"${md(s)}"`),
        ...wider.map((s) => `"${md(s)}" (from +${formatNumber(wide.get(s)! * 100, 0)} %)`),
      ].join(', ')}`,
    );
  if (has('memory_per_request')) seen.push('a leak (the memory each request leaves behind)');
  if (has('errors')) seen.push('errors');
  const unseen: string[] = [];
  if (!has('cpu_per_request')) {
    const cpu = run.service.cpuTime;
    unseen.push(`more work in the service (${cpu?.counted === 'none' ? md(cpu.note) : 'CPU time per request does not gate here'})`);
  }
  for (const n of ab.notGating ?? []) unseen.push(`a wait in "${md(n.scenario)}" through ${metricLabel(n.metric)} (${md(n.why)})`);
  if (!waitScenarios.length && !(ab.notGating ?? []).length)
    unseen.push('a wait or a slower dependency that burns no CPU in the service (no latency gates)');
  return (
    `This run could see ${seen.length ? seen.join('; ') : 'nothing: no comparison gates'}.` +
    (unseen.length ? ` It could not see ${unseen.join('; ')}.` : '')
  );
}

export function abSentences(run: RunResult): string[] {
  const ab = run.ab;
  if (!ab) return [];
  const out: string[] = [];
  const regressions = gatingOf(ab.comparisons).filter((c) => c.outcome === 'regression');
  const worseOutside = notGating(ab.comparisons).filter((c) => c.outcome === 'regression');
  if (regressions.length)
    out.push(
      `**${regressions.length} regression${regressions.length === 1 ? '' : 's'} against the base build**: ${regressions.map((c) => md(c.sentence)).join(' ')}`,
    );
  else out.push(`Against the base build measured alongside it (${ab.trialsPerSide} trials per side), no regression was found.`);
  if (worseOutside.length)
    out.push(`Worse, outside the gate (reported, not failing): ${worseOutside.map((c) => md(c.sentence)).join(' ')}`);
  const improvements = ab.comparisons.filter((c) => c.outcome === 'improvement');
  if (improvements.length) out.push(`Improved: ${improvements.map((c) => md(c.sentence)).join(' ')}`);
  const open = ab.comparisons.filter((c) => c.outcome === 'inconclusive');
  if (open.length) {
    const gatingOpen = gatingOf(open).length;
    out.push(
      `${open.length} comparison${open.length === 1 ? ' is' : 's are'} still inconclusive (${gatingOpen} of them gating); sampling stopped because ${md(ab.stoppedBecause)}.`,
    );
    out.push(...whyUndecided(run));
  }
  out.push(seenSentence(run));
  return out;
}

/**
 * For each gating comparison left inconclusive: how much its trials vary and how many trials per
 * side telling δ apart would take at that spread (calibrate's formula on this run's own trials),
 * so that "inconclusive" comes with what would decide it.
 */
export function whyUndecided(run: RunResult): string[] {
  const ab = run.ab;
  if (!ab) return [];
  const open = gatingOf(ab.comparisons).filter((c) => c.outcome === 'inconclusive' && c.metric !== 'errors');
  if (!open.length) return [];
  const side = (scenarios: readonly ScenarioResult[]): Map<string, TrialFigures[]> =>
    new Map(scenarios.map((s) => [s.name, s.trials.map(trialFigures)]));
  const rows = calibrate(side(ab.base.scenarios), side(run.scenarios), {
    alpha: ab.alpha,
    looks: ab.looks.length,
    family: gatingOf(ab.comparisons).length,
    power: 0.9,
    maxTrials: ab.trialsPerSide,
    delta: Object.fromEntries(ab.comparisons.map((c) => [c.metric, c.delta])) as Record<BuiltinMetric, number>,
  });
  const out: string[] = [];
  const family = gatingOf(ab.comparisons).length;
  for (const c of open) {
    if (c.spread !== undefined && c.scale !== 'abs') {
      // Paired: the pairs' log-ratios vary by `spread`; n pairs tell δ when (z_α + z_β)·spread/√n < log(1 + δ).
      const z = normalQuantile(1 - ab.alphaPerLook / Math.max(1, family)) + normalQuantile(0.9);
      const needed = Math.ceil(((z * c.spread) / Math.log1p(c.delta)) ** 2);
      const mde = Math.expm1((z * c.spread) / Math.sqrt(Math.max(1, ab.trialsPerSide)));
      out.push(
        `${metricLabel(c.metric)} of "${md(c.scenario)}" varies by about ±${formatNumber(c.spread * 100, 0)} % from pair to pair here: telling a change of ${formatNumber(c.delta * 100, 0)} % from that needs about ${needed} pairs (this run had ${ab.trialsPerSide}; ${formatNumber(mde * 100, 0)} % is what it could tell). Raise \`regression.delta\` for it, or make its trials steadier (a closed model, more load per trial).`,
      );
      continue;
    }
    if (c.spread !== undefined && Number.isFinite(c.spread)) {
      // Paired on the metric's own scale (memory per request in bytes, a share in points): n pairs tell δ when (z_α + z_β)·spread/√n < δ.
      const z = normalQuantile(1 - ab.alphaPerLook / Math.max(1, family)) + normalQuantile(0.9);
      const needed = Math.ceil(((z * c.spread) / c.delta) ** 2);
      const amount = (x: number): string =>
        c.metric === 'memory_per_request' ? formatValue(x, 'bytes-per-request') : `${formatNumber(x * 100, 2)} pp`;
      out.push(
        `${metricLabel(c.metric)} of "${md(c.scenario)}" varies by about ±${amount(c.spread)} from pair to pair here: telling a change of ${amount(c.delta)} from that needs about ${needed} pairs (this run had ${ab.trialsPerSide}; ${amount((z * c.spread) / Math.sqrt(Math.max(1, ab.trialsPerSide)))} is what it could tell). Raise \`regression.delta\` for it, or make its trials steadier (more load per trial).`,
      );
      continue;
    }
    const r = rows.find((x) => x.scenario === c.scenario && x.metric === c.metric);
    if (!r) continue;
    out.push(
      `${metricLabel(c.metric)} of "${md(c.scenario)}" varies by about ±${formatNumber(r.spread * 100, 0)} % from trial to trial here: telling a change of ${formatNumber(r.delta * 100, 0)} % from that needs about ${r.needed} trials per side (this run had ${ab.trialsPerSide}; ${formatNumber(r.mdeAtMax * 100, 0)} % is what it could tell). Raise \`regression.delta\` for it, or make its trials steadier (a closed model, more load per trial).`,
    );
  }
  return out;
}
