// The PR comment: short, under a hidden marker (so the same comment is found and updated on every
// push). It leads with the verdict and what changed (regressions, improvements, breached targets,
// in one table), then the targets, then everything else folded; comparisons that say the same
// thing are one sentence. The full report stays in the job summary and report.md. A comment is
// still cut to GitHub's 65 536-character limit if it must be. Pure.
import { profileCommentLines } from './profile-view.js';
import { gatingOf, notGating } from '../analysis/compared-metrics.js';
import type { AbComparison, Comparison, RunResult } from '../contract/result.js';
import { AB_OUTCOME, changeText, metricLabel, OUTCOME, unitsOf, valueText, seenSentence, whyUndecided } from './comparison-view.js';
import { code, md } from './markdown.js';
import type { ReportView } from './view.js';
import { formatNumber, formatValue, signedChange, signedRange } from '../analysis/format.js';
import { factorOf, type MachineEvidence } from '../analysis/baseline.js';

/** ' within the ×F the machine alone could explain', or nothing when almost no CPU was left. */
function within(m: MachineEvidence): string {
  const factor = factorOf(m);
  return factor === null ? '' : ` within the ×${formatNumber(factor, 2)} the machine alone could explain`;
}

export const COMMENT_LIMIT = 65_536;

export function commentMarker(gateName: string): string {
  // Inside an HTML comment `--` must not appear; encode the name.
  return `<!-- perfgate:${encodeURIComponent(gateName).replace(/-/g, '%2D')} -->`;
}

export interface CommentOptions {
  marker: string;
  /** Link to the job summary with the full report, when known. */
  summaryUrl: string | null;
  limit?: number;
}

/** Cuts at a line boundary below `max` characters, closing a code fence or a fold left open. */
function cutAtLine(text: string, max: number): string {
  let cut = text.slice(0, Math.max(0, max - 40));
  cut = cut.slice(0, cut.lastIndexOf('\n'));
  const fences = cut.match(/^(`{3,}|~{3,})/gm) ?? [];
  if (fences.length % 2 === 1) cut += `\n${fences[fences.length - 1]}`;
  cut += '\n\n…';
  const open = (cut.match(/<details>/g) ?? []).length - (cut.match(/<\/details>/g) ?? []).length;
  for (let i = 0; i < open; i++) cut += '\n\n</details>';
  return cut;
}

/** What replaces a sticky comment when its problem cleared (comment: on-change). */
export function resolvedComment(marker: string, gateName: string, sha: string | null, summaryUrl: string | null): string {
  const at = sha ? ` at \`${sha.slice(0, 7)}\`` : '';
  const link = summaryUrl ? ` Full report: [job summary](${summaryUrl}).` : '';
  return `${marker}\n### ✅ perfgate (${gateName.replace(/[<>`*_[\]|]/g, '')}): resolved\n\nThe latest run${at} passes: every target met, no regression or improvement against history.${link}\n`;
}

/** The short comment: verdict, what changed, targets, and the rest folded. */
export function renderComment(run: RunResult, view: ReportView, opts: CommentOptions): string {
  const link = opts.summaryUrl ? `[job summary](${opts.summaryUrl})` : 'job summary';
  const units = unitsOf(run);
  const out: string[] = [opts.marker, `### ${view.passed ? '✅ PASSED' : '❌ FAILED'}: perfgate · ${md(run.name)}`, ''];
  out.push(`${md(run.reason.charAt(0).toUpperCase() + run.reason.slice(1))}. ${view.readinessLine}`, '');
  if (view.failure) out.push(`> ⚠️ **${view.failure.heading}**: ${view.failure.message}`, '');
  if (view.baseBuildFailure)
    out.push(
      `> ⚠️ **The base build could not be measured**: ${view.baseBuildFailure.message}. This is not a regression of this build; it was compared with history instead.`,
      '',
    );

  // What changed: breached targets, regressions and improvements, in one table.
  const rows: string[] = [];
  for (const t of run.targets.filter((x) => x.status === 'fail'))
    rows.push(
      `| ${md(t.scenario ?? 'whole run')} | ${md(t.name)} | ${code(t.expr)}: measured ${t.measured === null ? '–' : formatValue(t.measured, t.unit)} | – | ❌ target breached |`,
    );
  const ab = run.ab;
  const changed = <T extends { outcome: string; gating?: boolean }>(cs: readonly T[]): T[] =>
    cs.filter((c) => c.outcome === 'regression' || c.outcome === 'improvement');
  for (const c of changed(ab?.comparisons ?? []) as AbComparison[])
    rows.push(
      `| ${md(c.scenario)} | ${metricLabel(c.metric)} | ${formatValue(c.base, units(c.metric))} → ${formatValue(c.head, units(c.metric))} | ${signedChange(c, c.change)} (CI ${signedRange(c, c.ci)}) | ${AB_OUTCOME[c.outcome]}${c.gating === false ? ' · not gating' : ''} |`,
    );
  for (const c of changed(run.regression?.comparisons ?? []) as Comparison[])
    rows.push(
      `| ${md(c.scenario)} | ${metricLabel(c.metric)} | ${valueText(units(c.metric), c.baseline)} → ${valueText(units(c.metric), c.current)} | ${changeText(c)} | ${OUTCOME[c.outcome]}${c.gating === false ? ' · not gating' : ''} |`,
    );
  if (rows.length) {
    out.push(
      '**What changed**',
      '',
      '| Scenario | What | Before → now, or target | Change | Outcome |',
      '|---|---|---|---|---|',
      ...rows,
      '',
    );
  }
  out.push(...comparisonSentences(run), '');
  if (run.profile) out.push(...profileCommentLines(run.profile));

  // Targets: one line when all are met, else the table.
  const met = run.targets.filter((t) => t.status === 'pass').length;
  if (run.targets.length) {
    const table = [
      '| Target | Measured | Status |',
      '|---|---|---|',
      ...view.targets.map((t) => `| ${t.metric} (${t.target}) | ${t.measured} | ${t.status} |`),
    ];
    if (met === run.targets.length)
      out.push(
        `**Targets**: all ${run.targets.length} met.`,
        '',
        '<details><summary>Targets</summary>',
        '',
        ...table,
        '',
        '</details>',
        '',
      );
    else out.push(`**Targets**: ${met} of ${run.targets.length} met.`, '', ...table, '');
  }

  // Everything else, folded.
  const all = abRows(run) ?? historyRows(run);
  if (all) out.push(`<details><summary>${all.title}</summary>`, '', ...all.lines, '', '</details>', '');
  out.push(`<sub>Full report (scenarios, service, method, history): ${link}; also \`report.md\` in the run's artifact.</sub>`, '');
  const text = out.join('\n');
  const limit = opts.limit ?? COMMENT_LIMIT;
  if (text.length <= limit) return text;
  const tail = `\n\n> ✂️ Cut to fit a comment; the whole report is in the ${link}.\n`;
  return `${cutAtLine(text, limit - tail.length - 20)}${tail}`;
}

/** One sentence per kind of outcome, instead of a row per comparison that says the same. */
function comparisonSentences(run: RunResult): string[] {
  const out: string[] = [];
  const ab = run.ab;
  if (ab) {
    const g = gatingOf(ab.comparisons);
    const commit = ab.base.commit ? ` \`${ab.base.commit.sha.slice(0, 7)}\`` : '';
    const pass = g.filter((c) => c.outcome === 'confident pass').length;
    const open = g.filter((c) => c.outcome === 'inconclusive');
    out.push(
      `**A/B against the base build${commit}** (${ab.design === 'duet' ? `duet: both builds loaded at the same time, pinned to the same CPU${ab.cpuQuota ? `, under a CPU quota of ${formatNumber(ab.cpuQuota.cpus, 2)} CPUs that pinning does not divide` : ''}` : 'interleaved: one build at a time'}; gating: ${md([...new Set(g.map((c) => metricLabel(c.metric)))].join(', '))}): ${ab.trialsPerSide} ${ab.design === 'duet' ? 'pairs' : 'trials per side'}; ${pass} of ${g.length} gating comparisons are confident passes (no change as large as δ)` +
        (open.length
          ? `, ${open.length} inconclusive (${md(open.map((c) => `${metricLabel(c.metric)} of ${c.scenario}`).join(', '))})`
          : '') +
        `. Sampling stopped because ${md(ab.stoppedBecause)}.`,
      ...whyUndecided(run),
      seenSentence(run),
    );
  }
  const r = run.regression;
  if (r) {
    const g = gatingOf(r.comparisons);
    const missing = g.filter((c) => c.outcome === 'insufficient baseline').length;
    if (g.length && missing === g.length)
      out.push(
        `**History**: insufficient baseline for every comparison (fewer than ${r.minRuns} comparable runs stored), so no regression can be caught yet; the default branch's runs build it up (on-missing-baseline: ${r.onMissingBaseline}).`,
      );
    else if (g.length) {
      const pass = g.filter((c) => c.outcome === 'confident pass').length;
      const open = g.filter((c) => c.outcome === 'inconclusive').length;
      out.push(
        `**History**: against ${r.baseline.length} stored runs, ${pass} of ${g.length - missing} gating comparisons are confident passes${open ? `, ${open} inconclusive` : ''}${missing ? `; ${missing} without enough baseline` : ''}.`,
      );
    }
    const m = r.candidates.machine;
    if (m?.differs === 'busier')
      out.push(
        `**This run's machine was busier than its stored runs'** (other work kept ${formatNumber(m.otherCpus, 2)} of ${m.cpus} CPUs busy, ${formatNumber(m.storedOtherCpus, 2)} in the stored runs): worse latency, throughput or CPU per request${within(m)} reads inconclusive here, not a regression; re-run on a quieter machine to judge it.`,
      );
    const outside = notGating(r.comparisons).filter((c) => c.outcome === 'regression').length;
    if (outside) out.push(`${outside} comparison${outside === 1 ? '' : 's'} outside the gate got worse (listed above, not failing).`);
  }
  return out;
}

function abRows(run: RunResult): { title: string; lines: string[] } | null {
  const ab = run.ab;
  if (!ab) return null;
  const units = unitsOf(run);
  return {
    title: `All ${ab.comparisons.length} A/B comparisons`,
    lines: [
      '| Scenario | Metric | Base | This PR | Change | Outcome |',
      '|---|---|---|---|---|---|',
      ...ab.comparisons.map(
        (c) =>
          `| ${md(c.scenario)} | ${metricLabel(c.metric)} | ${formatValue(c.base, units(c.metric))} | ${formatValue(c.head, units(c.metric))} | ${signedChange(c, c.change)} | ${AB_OUTCOME[c.outcome]}${c.gating === false ? ' · not gating' : ''} |`,
      ),
    ],
  };
}

function historyRows(run: RunResult): { title: string; lines: string[] } | null {
  const r = run.regression;
  if (!r) return null;
  const compared = r.comparisons.filter((c) => c.outcome !== 'insufficient baseline');
  if (!compared.length) return null;
  const units = unitsOf(run);
  return {
    title: `All ${compared.length} comparisons with history`,
    lines: [
      '| Scenario | Metric | Baseline | This PR | Change | Outcome |',
      '|---|---|---|---|---|---|',
      ...compared.map(
        (c) =>
          `| ${md(c.scenario)} | ${metricLabel(c.metric)} | ${valueText(units(c.metric), c.baseline)} | ${valueText(units(c.metric), c.current)} | ${changeText(c)} | ${OUTCOME[c.outcome]}${c.gating === false ? ' · not gating' : ''} |`,
      ),
    ],
  };
}
