// Whether a target can be judged with the run's settings, decided from the effective config
// alone (so that the answer is the same on every run of it, and known before the load starts):
// - memory growth needs the load window the growth sentence needs (30 s: a healthy service's
//   heap grows in a straight line for its first seconds of load);
// - `connections` on an open-model scenario needs trials long enough for every connection to be
//   served in each (its rate × duration at least twice the connections);
// - a percentile needs enough requests to be more than the few largest values (5 beyond it:
//   p(99) of 500, p(95) of 100), where the rate says how many there will be;
// - a rate ramp's step needs enough requests for the percentile its stop condition reads.
// Below that a target is "not judged" with the reason and the setting that would make it
// judgeable, never a pass or a fail on noise. Pure.
import { STEADY_MIN_SPAN_MS, tooShortForGrowth } from './growth.js';
import { formatSeconds } from './format.js';
import type { Config, ScenarioConfig, TargetConfig } from '../config/types.js';

export interface Unjudgeable {
  target: TargetConfig;
  /** "6 s of load; a leak needs at least 30 s to tell from heap sizing". */
  reason: string;
  /** The setting that would make it judgeable. */
  fix: string;
}

/** Requests a percentile needs: five beyond it. */
export function requestsForPercentile(q: number): number {
  return Math.ceil(5 / (1 - Math.min(q, 99.9) / 100) - 1e-9);
}

/** How many times over the open model must serve every connection in a trial. */
export const TURNS_PER_CONNECTION = 2;

export function unjudgeableTargets(config: Pick<Config, 'scenarios' | 'targets'>): Unjudgeable[] {
  const out: Unjudgeable[] = [];
  for (const target of config.targets) {
    const why = judge(target, config.scenarios);
    if (why) out.push({ target, ...why });
  }
  return out;
}

function judge(t: TargetConfig, all: readonly ScenarioConfig[]): Omit<Unjudgeable, 'target'> | null {
  const scenarios = t.scenario ? all.filter((s) => s.name === t.scenario) : all;
  const steady = scenarios.filter((s) => !s.ramp);
  const metric = t.parsed.metric;

  if (metric === 'memory.growth') {
    const loadMs = all.filter((s) => !s.ramp).reduce((a, s) => a + s.trials * s.durationMs, 0);
    const reason = tooShortForGrowth(loadMs);
    if (!reason) return null;
    const trials = all.filter((s) => !s.ramp).reduce((a, s) => a + s.trials, 0);
    const need = Math.ceil(STEADY_MIN_SPAN_MS / 1000 / Math.max(1, trials));
    return {
      reason,
      fix: `at least ${STEADY_MIN_SPAN_MS / 1000} s of trials in all (e.g. duration: ${need}s with these ${trials} trials)`,
    };
  }

  if (metric === 'connections') {
    // The scenario that could reach the threshold must give every connection its turns.
    const short = steady.filter((s) => s.rate !== undefined && s.rate * (s.durationMs / 1000) < TURNS_PER_CONNECTION * s.connections);
    if (!short.length || short.length < steady.length) return null;
    const s = short.reduce((a, b) => (b.connections > a.connections ? b : a));
    const needMs = Math.ceil((TURNS_PER_CONNECTION * s.connections) / s.rate!) * 1000;
    return {
      reason: `"${s.name}" sends ${Math.round(s.rate! * (s.durationMs / 1000))} requests per ${formatSeconds(s.durationMs)} trial over ${s.connections} connections: not every connection is served in a trial`,
      fix: `duration: ${needMs / 1000}s or more (${TURNS_PER_CONNECTION} requests per connection per trial at ${s.rate} req/s)`,
    };
  }

  const q = t.parsed.percentile;
  if (q !== undefined) {
    const need = requestsForPercentile(q);
    // Only the open model says beforehand how many requests there will be.
    if (!steady.length || steady.some((s) => s.rate === undefined)) return null;
    const expected = steady.reduce((a, s) => a + s.rate! * (s.durationMs / 1000) * s.trials, 0);
    if (expected >= need) return null;
    return {
      reason: `about ${Math.round(expected)} requests; ${t.parsed.metric} needs at least ${need} to be more than its few largest values`,
      fix: `more trials, a longer duration or a higher rate: ${need} requests or more`,
    };
  }

  if (metric === 'capacity') {
    const s = scenarios.find((x) => x.ramp);
    const ramp = s?.ramp;
    if (!ramp || ramp.by !== 'rate') return null;
    const q = ramp.stop.p99Ms !== undefined ? 99 : ramp.stop.p95Ms !== undefined ? 95 : null;
    if (q === null) return null;
    const need = requestsForPercentile(q);
    const first = Math.min(...ramp.levels) * (ramp.stepMs / 1000);
    if (first >= need) return null;
    return {
      reason: `the ramp's first step sends ${Math.round(first)} requests; its stop condition on p(${q}) needs at least ${need}`,
      fix: `step: ${Math.ceil(need / Math.min(...ramp.levels))}s or more, or a higher start`,
    };
  }
  return null;
}

/** One line per target these settings cannot judge: what, why, and the setting that would. */
export function unjudgeableLines(config: Pick<Config, 'scenarios' | 'targets' | 'unjudgeable'>): string[] {
  return unjudgeableTargets(config).map(
    (u) =>
      `target "${u.target.name}" (${u.target.expr}${u.target.scenario ? `, ${u.target.scenario}` : ''}) cannot be judged with these settings: ${u.reason}; to judge it: ${u.fix}${config.unjudgeable === 'fail' ? ' (unjudgeable: fail, so it fails the gate)' : ''}`,
  );
}
