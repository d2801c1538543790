// Annotations for the Actions log and the PR's Files view: one error per breached or
// unmeasured target and per regression, a warning for an insufficient baseline. Pure.
import { gatingOf } from '../analysis/compared-metrics.js';
import { signedChange } from '../analysis/format.js';
import { measuredText } from '../analysis/targets.js';
import type { RunResult } from '../contract/result.js';

export interface Annotation {
  level: 'error' | 'warning';
  title: string;
  message: string;
}

export function annotationsFor(r: RunResult): Annotation[] {
  const out: Annotation[] = [];
  if (r.failure) out.push({ level: 'error', title: 'perfgate: run failed', message: r.failure.message });
  for (const t of r.targets) {
    const where = t.scenario ? ` (${t.scenario})` : '';
    if (t.status === 'pass' && t.interval?.notProven)
      out.push({
        level: 'warning',
        title: 'perfgate: target met, value past its limit',
        message: `${t.name}${where}: ${t.expr}, measured ${measuredText(t)}: met because it is not proven past the limit`,
      });
    if (t.status === 'pass') continue;
    if (t.status === 'unjudged') {
      out.push({
        level: r.config.unjudgeable === 'warn' ? 'warning' : 'error',
        title: 'perfgate: target not judged',
        message: `${t.name}${where}: ${t.expr}, ${t.note}; to judge it: ${t.fix ?? 'longer or more trials'}`,
      });
      continue;
    }
    out.push({
      level: 'error',
      title: `perfgate: ${t.status === 'fail' ? 'target breached' : 'target not measured'}`,
      message: `${t.name}${where}: ${t.expr}, ${t.measured === null ? `not measured: ${t.note}` : `measured ${measuredText(t)}`}`,
    });
  }
  const reg = r.regression;
  for (const c of reg?.comparisons ?? []) {
    if (c.outcome !== 'regression') continue;
    const change = c.change === null ? 'changed' : signedChange(c, c.change, true);
    out.push({
      level: c.gating === false ? 'warning' : 'error',
      title: c.gating === false ? 'perfgate: regression outside the gate' : 'perfgate: regression',
      message: `${c.metric} of ${c.scenario}: ${change} against ${c.runs} baseline runs (adjusted p ${c.pAdjusted?.toPrecision(2)})`,
    });
  }
  for (const c of r.ab?.comparisons ?? []) {
    if (c.outcome === 'regression')
      out.push(
        c.gating === false
          ? { level: 'warning', title: 'perfgate: regression outside the gate (A/B)', message: c.sentence }
          : { level: 'error', title: 'perfgate: regression (A/B)', message: c.sentence },
      );
  }
  if (r.ab?.counts.inconclusive) {
    out.push({
      level: 'warning',
      title: 'perfgate: A/B inconclusive',
      message: `${r.ab.counts.inconclusive} gating comparisons still inconclusive: ${r.ab.stoppedBecause}`,
    });
  }
  const missing = reg?.counts['insufficient baseline'] ?? 0;
  if (reg && missing) {
    out.push({
      level: 'warning',
      title: 'perfgate: insufficient baseline',
      message: `${missing} of ${gatingOf(reg.comparisons).length} gating comparisons had fewer than ${reg.minRuns} comparable stored runs; regressions there cannot be detected yet (on-missing-baseline: ${reg.onMissingBaseline})`,
    });
  }
  for (const w of reg?.warnings ?? []) out.push({ level: 'warning', title: 'perfgate: history', message: w });
  return out;
}

export type FailOn = 'targets' | 'regressions' | 'both' | 'none';

/** Whether the step fails, given what the user asked to fail on. A run that failed outright always does (unless none). */
export function stepFails(r: RunResult, failOn: FailOn): boolean {
  if (failOn === 'none') return false;
  if (failOn === 'both') return r.verdict === 'fail';
  if (r.failure) return true;
  const targets = r.targets.some((t) => t.status !== 'pass');
  const reg = r.regression;
  const regressions =
    (reg?.counts.regression ?? 0) > 0 ||
    (r.ab?.counts.regression ?? 0) > 0 ||
    (reg !== null && reg.onMissingBaseline === 'fail' && reg.counts['insufficient baseline'] > 0);
  return failOn === 'targets' ? targets : regressions;
}
