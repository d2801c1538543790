// The regression (history) section: which stored runs were compared and why others were not, the
// table, the method, and the sentences of the summary.
import { formatNumber, signedChange, signedRange, signedReading } from '../analysis/format.js';
import type { ComparedMetric, Comparison, RegressionAnalysis, RunResult } from '../contract/result.js';
import { gatingOf, notGating } from '../analysis/compared-metrics.js';
import { MACHINE_BOUND, factorOf } from '../analysis/baseline.js';
import { code, md } from './markdown.js';
import {
  changeText,
  gateSentence,
  leftOutSentence,
  metricLabel,
  noRegressionText,
  OUTCOME,
  outcomeCell,
  pText,
  valueText,
  type Units,
} from './comparison-view.js';

export interface RegressionView {
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

/** Gating comparisons that were tested (had a baseline). */
function comparedCount(r: RegressionAnalysis): number {
  return gatingOf(r.comparisons).filter((c) => c.outcome !== 'insufficient baseline').length;
}

/**
 * Runs of this config measured on another runner class (another CPU model, core count or Node
 * major) are never compared: a faster machine's runs would hide a regression, a slower one's
 * invent one, and CPU time per request is a property of the CPU model.
 */
function otherRunnersSentence(r: RegressionAnalysis): string {
  const other = r.candidates.sameConfig - r.candidates.sameRunner;
  if (other <= 0) return '';
  const runner = code(r.runner);
  if (r.candidates.sameRunner === 0)
    return ` **History holds no run of this config on this runner class** (${runner}): the ${other} stored run${other === 1 ? ' was' : 's were'} measured on another CPU model, core count or Node version, and runs (CPU time per request above all) are compared only on the same one; this run's figures start that baseline.`;
  return ` ${other} run${other === 1 ? '' : 's'} of this config measured on another runner class (CPU model, cores or Node version) ${other === 1 ? 'is' : 'are'} left out; this run is ${runner}.`;
}

/** Which stored runs the yardstick let in: those measured on a machine of this run's speed. */
function yardstickSentence(r: RegressionAnalysis): string {
  const y = r.candidates.yardstick;
  if (!y) return '';
  const us = (v: number): string => `${formatNumber(v, 0)} µs`;
  const out = y.outside
    ? ` ${y.outside} default-branch run${y.outside === 1 ? ' was' : 's were'} left out: measured on a machine of another speed.`
    : ' None was left out for it.';
  const without = y.without
    ? ` ${y.without} stored run${y.without === 1 ? '' : 's'} without a yardstick (older, or regression.yardstick off) ${y.without === 1 ? 'is' : 'are'} kept, but not in the CPU comparison relative to it.`
    : '';
  return ` This run's yardstick took ${us(y.perOpUs)} of CPU per operation; stored runs are compared when theirs is within ${us(y.range[0])}–${us(y.range[1])}.${out}${without}`;
}

/** What a busier machine does to the verdict, in a clause. */
function busierRule(m: NonNullable<RegressionAnalysis['candidates']['machine']>): string {
  const factor = factorOf(m);
  return factor === null
    ? 'no speed regression is called on it'
    : `a speed regression is called only beyond the ×${formatNumber(factor, 2)} the machine alone could explain`;
}

/** How busy the machine was with other work, this run against the stored runs, and what that did to the verdict. */
function machineSentence(r: RegressionAnalysis): string {
  const m = r.candidates.machine;
  if (!m) return '';
  const cpus = (v: number): string => formatNumber(v, 2);
  const base = ` Other work on the machine kept ${cpus(m.otherCpus)} of its ${m.cpus} CPUs busy during this run, ${cpus(m.storedOtherCpus)} during the stored runs (median of ${m.runs}).`;
  const factor = factorOf(m);
  if (m.differs === 'busier')
    return factor === null
      ? `${base} **This run's machine was busier**, with almost no CPU left to the run: a worsening of latency, throughput or CPU per request cannot be told from the machine's, so none is called a regression (each reads inconclusive; errors and memory are still judged).`
      : `${base} **This run's machine was busier**: the CPUs other work took could alone make latency, throughput or CPU per request up to ×${formatNumber(factor, 2)} worse, so a worsening is called a regression only when its 95 % band lies beyond that (otherwise it reads inconclusive; errors and memory are judged as always).`;
  if (m.differs === 'quieter')
    return factor === null
      ? `${base} This run's machine was quieter, and the stored runs had almost no CPU left: an improvement of latency, throughput or CPU per request is not called one.`
      : `${base} This run's machine was quieter: an improvement of latency, throughput or CPU per request is called one only beyond the ×${formatNumber(factor, 2)} the machine alone could explain.`;
  return base;
}

export function regressionView(r: RegressionAnalysis, units: Units): Omit<RegressionView, 'chart'> {
  const compared = comparedCount(r);
  const first = r.baseline[0];
  const last = r.baseline[r.baseline.length - 1];
  const ref = (b: { sha: string | null; id: string }): string => (b.sha ? code(b.sha.slice(0, 7)) : md(b.id));
  const span = first && last ? ` (${ref(first)} … ${ref(last)}, ${md(first.savedAt.slice(0, 10))} … ${md(last.savedAt.slice(0, 10))})` : '';
  const intro =
    `Compared with ${r.baseline.length} stored run${r.baseline.length === 1 ? '' : 's'} of the same config and runner class from the default branch${span}: ` +
    `the last ${r.window} at most, cut after the latest change point. Store: ${md(r.store)}. ` +
    `Of ${r.candidates.total} stored runs, ${r.candidates.sameConfig} have this config, ${r.candidates.sameRunner} of those this runner class, and ${r.candidates.defaultBranch} of those come from the default branch.` +
    otherRunnersSentence(r) +
    yardstickSentence(r) +
    machineSentence(r) +
    gateSentence(r.comparisons) +
    leftOutSentence(r.leftOut);
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
      band: c.band ? signedRange(c, c.band) : '–',
      p: c.p === null ? '–' : `${pText(c.p)} / ${pText(c.pAdjusted)}`,
      mde: c.mde === null ? '–' : signedChange(c, c.mde),
      outcome:
        outcomeCell(OUTCOME[c.outcome], c) +
        (c.outcome === 'confident pass' && typeof c.upper === 'number' ? `: ${noRegressionText(c, c.upper)}` : '') +
        (c.note ? ` (${md(c.note)})` : ''),
    })),
    baselineRuns: r.baseline.map(
      (b) => `${md(b.id)}${b.sha ? ` ${code(b.sha.slice(0, 7))}` : ''}${b.branch ? ` on ${md(b.branch)}` : ''}, saved ${md(b.savedAt)}`,
    ),
    warnings: r.warnings.map(md),
    method:
      `Per run, ${r.runLevel === 'best' ? 'its least disturbed trial (the fastest latency, the highest throughput)' : 'the median over its trials'} on the log scale; centre = median of the baseline runs, spread = 1.4826·MAD (at least the standard error of this run’s own trials); ` +
      `t = (this run − centre − δ) / (spread·√(1 + 1/N)), a one-sided test that the change exceeds δ (${deltaText(r)}), p from Student-t with N − 1 degrees of freedom, Holm-adjusted over the ${compared} gating comparisons at α = ${r.alpha} (the others form a family of their own and cannot fail the run): ` +
      'a regression is a change significantly larger than δ. Error rates use a one-sided two-proportion test, and errors where the baseline had none count once they reach δ. ' +
      'Shares read from the service (defined metrics in percent) and memory growth are compared the same way on their own scale, their δ in percentage points or MB/min; a stress ramp’s capacity is one value per run. ' +
      (r.spreads === 'moderated'
        ? `The trial metrics' spreads are moderated together (empirical Bayes: each shrunk toward a prior fitted to all of them, which adds the prior's degrees of freedom). `
        : '') +
      `A **confident pass** means the one-sided ${formatNumber((1 - (r.beta ?? r.alpha)) * 100, 1)} % upper bound of the worsening is below δ: no regression of δ can hide there. MDE is the smallest worsening this run could have flagged. Change, band and MDE read this run against the baseline (+ = higher): a throughput that halved reads −50 %.`,
  };
}

export function deltaText(r: RegressionAnalysis): string {
  const seen = new Map<ComparedMetric, Comparison>();
  for (const c of r.comparisons) seen.set(c.metric, c);
  return [...seen]
    .map(
      ([m, c]) =>
        `${m} ${m === 'errors' || m === 'memory.growth' || c.scale === 'abs' ? signedReading(c, c.delta) : `${formatNumber(c.delta * 100, 1)} %`}`,
    )
    .join(', ');
}

export function regressionSentences(run: RunResult): string[] {
  const r = run.regression;
  if (!r) return [];
  const out: string[] = [];
  const regressions = gatingOf(r.comparisons).filter((c) => c.outcome === 'regression');
  const improvements = r.comparisons.filter((c) => c.outcome === 'improvement');
  const worseOutside = notGating(r.comparisons).filter((c) => c.outcome === 'regression');
  const compared = comparedCount(r);
  // Worsenings a busier machine could have made alone (analysis/baseline.ts machineCaveat): said, not called.
  const busier = r.candidates.machine?.differs === 'busier' ? r.candidates.machine : null;
  const held = busier
    ? gatingOf(r.comparisons).filter((c) => MACHINE_BOUND.has(c.metric) && c.outcome === 'inconclusive' && (c.change ?? 0) >= c.delta)
    : [];
  if (busier)
    out.push(
      `**This run's machine was busier than its stored runs'** (other work kept ${formatNumber(busier.otherCpus, 2)} of ${busier.cpus} CPUs busy, ${formatNumber(busier.storedOtherCpus, 2)} in the stored runs): ${busierRule(busier)}` +
        (held.length
          ? `; worse as measured: ${held.map((c) => `${metricLabel(c.metric)} of "${md(c.scenario)}" ${changeText(c)}`).join('; ')}.`
          : '.'),
    );
  if (regressions.length) {
    const list = regressions.map(
      (c) => `${metricLabel(c.metric)} of "${md(c.scenario)}" ${changeText(c)} (adjusted p ${pText(c.pAdjusted)})`,
    );
    out.push(`**${regressions.length} regression${regressions.length === 1 ? '' : 's'} proven against history**: ${list.join('; ')}.`);
  } else if (compared > 0) {
    out.push(
      `Compared with ${r.baseline.length} stored runs, no regression was ${busier ? 'called' : 'found'} in ${compared} comparisons.`,
    );
  }
  // A gating figure that moved past δ without proof is not "no change": named, with its band.
  const unproven = gatingOf(r.comparisons).filter(
    (c) => c.outcome === 'inconclusive' && (c.change ?? 0) >= c.delta && !held.includes(c) && c.band,
  );
  if (unproven.length)
    out.push(
      `Worse past δ but not proven (the runs scatter too much to tell): ${unproven
        .map((c) => `${metricLabel(c.metric)} of "${md(c.scenario)}" ${changeText(c)} (95 % band ${signedRange(c, c.band!)})`)
        .join('; ')}.`,
    );
  if (worseOutside.length)
    out.push(
      `Worse, outside the gate (reported, not failing): ${worseOutside.map((c) => `${metricLabel(c.metric)} of "${md(c.scenario)}" ${changeText(c)}`).join('; ')}.`,
    );
  if (improvements.length)
    out.push(`Improved: ${improvements.map((c) => `${metricLabel(c.metric)} of "${md(c.scenario)}" ${changeText(c)}`).join('; ')}.`);
  if (compared === 0 && r.comparisons.length) {
    out.push(`**Insufficient baseline**: this run could not be compared with history (fewer than ${r.minRuns} comparable runs stored).`);
  }
  return out;
}
