// The gate's decision and the one-line reason for it. Pure.
import type { RunFailure, TargetResult } from '../result.js';

export interface Verdict {
  verdict: 'pass' | 'fail';
  reason: string;
}

export function decide(targets: TargetResult[], failure: RunFailure | null): Verdict {
  const breached = targets.filter((t) => t.status === 'fail').length;
  const unmeasured = targets.filter((t) => t.status === 'unmeasured').length;
  const parts: string[] = [];
  if (failure) parts.push(failure.message);
  if (breached) parts.push(`${breached} of ${targets.length} target${targets.length === 1 ? '' : 's'} breached`);
  if (unmeasured) parts.push(`${unmeasured} target${unmeasured === 1 ? '' : 's'} could not be measured`);
  if (parts.length) return { verdict: 'fail', reason: parts.join('; ') };
  if (!targets.length)
    return {
      verdict: 'pass',
      reason: 'no targets are configured, so nothing was checked',
    };
  return {
    verdict: 'pass',
    reason: targets.length === 1 ? 'the one target was measured and met' : `all ${targets.length} targets measured and met`,
  };
}
