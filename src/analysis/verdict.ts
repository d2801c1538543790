// The gate's decision and the one-line reason for it. Pure.
import { gatingOf } from './compared-metrics.js';
import type { AbResult, RegressionAnalysis, RunFailure, TargetResult } from '../contract/result.js';

export interface Verdict {
  verdict: 'pass' | 'fail';
  reason: string;
}

export function decide(
  targets: TargetResult[],
  failure: RunFailure | null,
  regression: RegressionAnalysis | null = null,
  ab: AbResult | null = null,
  /** What a target the settings cannot judge does: fail (as an unmeasured one) or warn. */
  unjudgeable: 'fail' | 'warn' = 'fail',
): Verdict {
  const breached = targets.filter((t) => t.status === 'fail').length;
  const unmeasured = targets.filter((t) => t.status === 'unmeasured').length;
  const unjudged = targets.filter((t) => t.status === 'unjudged').length;
  const regressions = regression?.counts.regression ?? 0;
  const missing = regression?.counts['insufficient baseline'] ?? 0;
  const missingFails = missing > 0 && regression?.onMissingBaseline === 'fail';
  const parts: string[] = [];
  if (failure) parts.push(failure.message);
  if (breached) parts.push(`${breached} of ${targets.length} target${targets.length === 1 ? '' : 's'} breached`);
  if (unmeasured) parts.push(`${unmeasured} target${unmeasured === 1 ? '' : 's'} could not be measured`);
  const notJudged = `${unjudged} target${unjudged === 1 ? '' : 's'} cannot be judged with these settings`;
  if (unjudged && unjudgeable === 'fail') parts.push(`${notJudged} (unjudgeable: fail)`);
  if (regressions) parts.push(`${regressions} regression${regressions === 1 ? '' : 's'} proven against history`);
  const abRegressions = ab?.counts.regression ?? 0;
  if (abRegressions) parts.push(`${abRegressions} regression${abRegressions === 1 ? '' : 's'} against the base build (A/B)`);
  if (missingFails)
    parts.push(`insufficient baseline for ${missing} gating comparison${missing === 1 ? '' : 's'} (on-missing-baseline: fail)`);
  if (parts.length) return { verdict: 'fail', reason: parts.join('; ') };
  if (!targets.length && !regression && !ab) {
    return { verdict: 'pass', reason: 'no targets are configured and no history is kept, so nothing was checked' };
  }
  const judged = targets.length - unjudged;
  const said = [
    judged === 1
      ? `the one ${unjudged ? 'judged ' : ''}target was measured and met`
      : judged
        ? `all ${judged} ${unjudged ? 'judged ' : ''}targets measured and met`
        : targets.length
          ? 'no target could be judged'
          : 'no targets are configured',
  ];
  if (unjudged) said.push(`${notJudged} (unjudgeable: warn)`);
  if (ab) {
    const open = ab.counts.inconclusive;
    said.push(
      open
        ? `no regression against the base build; ${open} gating comparison${open === 1 ? '' : 's'} still inconclusive after ${ab.trialsPerSide} trials per side`
        : 'no regression against the base build (A/B)',
    );
  }
  if (regression) {
    const gating = gatingOf(regression.comparisons).length;
    if (gating - missing > 0) said.push('no regression against history');
    if (missing) said.push(`insufficient baseline for ${missing} of ${gating} gating comparisons`);
  }
  return { verdict: 'pass', reason: said.join('; ') };
}
