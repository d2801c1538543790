// History mode's baseline: which stored runs this run is compared with. Runs of the same config
// fingerprint and runner class, from the default branch (or saved outside any git checkout),
// measured on a machine of this run's speed where both carry a yardstick; the last `window` of
// them. Counts of what was left out at each step go to the report. Pure.
import type { HistoryRecord, ScenarioFigures } from '../contract/record.js';
import { median } from '../stats/robust.js';

/** What a baseline is selected for: this run's config, runner class and figures. */
export interface BaselineFor {
  id?: string;
  fingerprint: string;
  runner: string;
  scenarios: ScenarioFigures[];
}

/**
 * How far a stored run's yardstick may be from this run's (a factor either way) for the two to be
 * compared: beyond it, the run was measured on a machine of another speed. Wide on purpose: on one
 * 2-core machine the yardstick's level moved up to ×1.48 between runs with a CPU-bound neighbour
 * on some of them (sd of its log 0.03–0.08; bench/RESULTS-yardstick.md), and ×1.2 left out 3 of
 * 5 stored runs of the same machine in a test run beside a busy suite.
 */
export const YARDSTICK_RANGE = 2;

/** A run's yardstick level: the median CPU time of one operation over its trials (ms), or null. */
export function yardstickLevel(scenarios: readonly ScenarioFigures[]): number | null {
  const v = scenarios.flatMap((s) => s.trials.map((t) => t.yardstickPerOp ?? 0)).filter((x) => x > 0);
  return v.length ? median(v) : null;
}

export function selectBaseline(records: readonly HistoryRecord[], current: BaselineFor, window: number) {
  const sameConfig = records.filter((r) => r.fingerprint === current.fingerprint && r.id !== current.id);
  const sameRunner = sameConfig.filter((r) => r.runner === current.runner);
  // Default-branch runs form the baseline; so do runs saved outside any git checkout (a laptop,
  // no branch to speak of). Runs saved from other named branches never do.
  const defaultBranch = sameRunner.filter(
    (r) => r.git === null || r.git.onDefaultBranch || (r.git.branch === null && r.git.sha === null && !r.git.pullRequest),
  );
  const ys = yardstickLevel(current.scenarios);
  const range: [number, number] | null = ys ? [ys / YARDSTICK_RANGE, ys * YARDSTICK_RANGE] : null;
  const levels = new Map(defaultBranch.map((r) => [r, yardstickLevel(r.scenarios)]));
  const inRange = range
    ? defaultBranch.filter((r) => {
        const l = levels.get(r);
        return l === null || l === undefined || (l >= range[0] && l <= range[1]);
      })
    : defaultBranch;
  const ordered = [...inRange].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.savedAt.localeCompare(b.savedAt));
  return {
    candidates: {
      total: records.length,
      sameConfig: sameConfig.length,
      sameRunner: sameRunner.length,
      defaultBranch: defaultBranch.length,
      ...(ys && range
        ? {
            yardstick: {
              perOpUs: ys * 1000,
              range: [range[0] * 1000, range[1] * 1000] as [number, number],
              outside: defaultBranch.length - inRange.length,
              without: defaultBranch.filter((r) => !levels.get(r)).length,
            },
          }
        : {}),
    },
    window: ordered.slice(-window),
  };
}
