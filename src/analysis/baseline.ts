// History mode's baseline: which stored runs this run is compared with. Runs of the same config
// fingerprint and runner class, from the default branch (or saved outside any git checkout),
// measured on a machine of this run's speed where both carry a yardstick; the last `window` of
// them. Counts of what was left out at each step go to the report, and how busy this run's machine
// was with other work beside the stored runs' (`machineEvidence`). Pure.
import type { HistoryRecord, ScenarioFigures } from '../contract/record.js';
import type { MachineEvidence } from '../contract/comparison.js';
export type { MachineEvidence };
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

/**
 * How much busier than its stored runs' (a share of the machine's CPUs kept busy by other work)
 * a run's machine may be before a worsening of its speed cannot be told from the machine's. On a
 * 2-core machine a CPU-bound neighbour keeps one CPU busy (a share of 0.5) and moved the demo's
 * req/s −18 % and gunicorn + Flask's −33 %, p95 up to ×2 (bench/RESULTS-history.md); the other
 * work of a quiet run (the system, the runner's agent) is a few hundredths.
 */
export const BUSIER_SHARE = 0.25;

/** Below this share of its CPUs left to a run, the machine alone could have made it any slower. */
export const MIN_LEFT_SHARE = 0.1;

/**
 * How many times slower the machine's other work alone could have made a run: CPUs are
 * time-shared, so a service that had 1.95 of 2 CPUs in its stored runs and 1.0 in this one can
 * take up to ×1.95 as long (and serve ÷1.95) with no change of its own. (On the demo a CPU-bound
 * neighbour on 2 CPUs moved p95 ×1.05–2.4 and req/s ÷1.2–1.8, within the ×2.0–2.5 this gave; a
 * 2 ms wait beside it moved p95 ×3.2–3.7, beyond it: docs/history.md.) The other way for a
 * quieter run. Null when the busier side had almost no CPU left.
 */
export function machineFactor(m: { otherCpus: number; cpus: number; storedOtherCpus: number }): number | null {
  const here = m.cpus - m.otherCpus;
  const stored = m.cpus - m.storedOtherCpus;
  const least = MIN_LEFT_SHARE * m.cpus;
  if (Math.min(here, stored) < least) return null;
  return Math.max(here, stored) / Math.min(here, stored);
}

/** The evidence's factor: as recorded, or computed for evidence kept before it was (`factor` absent). */
export function factorOf(m: MachineEvidence): number | null {
  return m.factor === undefined ? machineFactor(m) : m.factor;
}

/** A run's other work: the median over its scenarios of CPUs kept busy beside it (no load sent), and its CPU count; null without the figure. */
export function machineLevel(scenarios: readonly ScenarioFigures[]): { otherCpus: number; cpus: number } | null {
  const m = scenarios.flatMap((s) => (s.machine && s.machine.cpus > 0 ? [s.machine] : []));
  if (!m.length) return null;
  return { otherCpus: median(m.map((x) => x.otherCpus)), cpus: median(m.map((x) => x.cpus)) };
}

/** This run's other work against the stored runs' (those that carry the figure), or null where either has none. */
export function machineEvidence(current: readonly ScenarioFigures[], stored: readonly HistoryRecord[]): MachineEvidence | null {
  const here = machineLevel(current);
  const levels = stored.map((r) => machineLevel(r.scenarios)).filter((l): l is NonNullable<typeof l> => l !== null);
  if (!here || !levels.length) return null;
  const storedShare = median(levels.map((l) => l.otherCpus / l.cpus));
  const share = here.otherCpus / here.cpus;
  const m: MachineEvidence = {
    ...here,
    storedOtherCpus: median(levels.map((l) => l.otherCpus)),
    runs: levels.length,
    differs: share - storedShare >= BUSIER_SHARE ? 'busier' : storedShare - share >= BUSIER_SHARE ? 'quieter' : null,
  };
  if (m.differs) m.factor = machineFactor(m);
  return m;
}

/** The stored run whose build a `regression.against: stored-build` run is measured against, or why there is none. */
export type StoredBuild = { ok: true; record: HistoryRecord & { git: { sha: string } } } | { ok: false; reason: string };

/**
 * The newest stored run of this config and runner class, from the default branch, with a commit
 * other than this run's (a re-run of one commit is compared with the commit before it).
 */
export function lastStoredBuild(
  records: readonly HistoryRecord[],
  current: { fingerprint: string; runner: string; sha: string | null },
): StoredBuild {
  const comparable = records.filter((r) => r.fingerprint === current.fingerprint && r.runner === current.runner);
  const fromDefault = comparable.filter((r) => r.git?.onDefaultBranch && !r.git.pullRequest);
  const withCommit = fromDefault.filter(
    (r): r is HistoryRecord & { git: { sha: string } } => Boolean(r.git?.sha) && r.git!.sha !== current.sha,
  );
  const newest = [...withCommit].sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.savedAt.localeCompare(a.savedAt))[0];
  if (newest) return { ok: true, record: newest };
  const why = !comparable.length
    ? `no stored run of this config and runner class (${records.length} stored in all)`
    : !fromDefault.length
      ? `none of the ${comparable.length} stored runs of this config and runner class comes from the default branch`
      : `none of the ${fromDefault.length} stored runs of this config from the default branch has a commit other than this one's`;
  return { ok: false, reason: why };
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
  const window_ = ordered.slice(-window);
  const machine = machineEvidence(current.scenarios, window_);
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
      ...(machine ? { machine } : {}),
    },
    window: window_,
  };
}

/** The metrics a busier machine moves without the code changing: latency, throughput, capacity, CPU per request. */
export const MACHINE_BOUND: ReadonlySet<string> = new Set([
  'p50',
  'p95',
  'p99',
  'rps',
  'workflows_per_s',
  'capacity',
  'cpu_per_request',
  'dependency_cpu_per_request',
  'system_cpu_per_request',
  'relative_cpu_per_request',
]);

/**
 * The outcome a comparison of a machine-bound metric keeps when this run's machine was busier
 * (or quieter) than its stored runs': a worsening measured on a busier machine (an improvement on
 * a quieter one) is called only when its 95 % band lies wholly beyond what the machine alone could
 * have done (δ on top of `machineFactor`); otherwise it is inconclusive, and the note says why.
 */
export function machineCaveat<
  T extends { metric: string; outcome: string; note: string; worse: 'up' | 'down'; delta: number; band?: [number, number] | null },
>(c: T, machine: MachineEvidence | null | undefined): T {
  if (!machine?.differs || !MACHINE_BOUND.has(c.metric)) return c;
  const called = machine.differs === 'busier' ? 'regression' : 'improvement';
  if (c.outcome !== called) return c;
  const factor = factorOf(machine);
  const busy = `other work kept ${cpusText(machine.otherCpus)} of ${machine.cpus} CPUs busy in this run, ${cpusText(machine.storedOtherCpus)} in the stored runs`;
  const word = called === 'regression' ? 'a regression' : 'an improvement';
  const could =
    factor === null
      ? ''
      : `, which alone could make this figure up to ×${factorText(factor)} ${called === 'regression' ? 'worse' : 'better'}`;
  if (factor !== null && c.band && beyondMachine(c, factor, called)) {
    const why = `called ${word} although ${busy}: its 95 % band lies beyond the ×${factorText(factor)} the machine alone could explain`;
    return { ...c, note: c.note ? `${c.note}; ${why}` : why };
  }
  const why = `not called ${word}: ${busy}${could} (a ${machine.differs} machine moves this figure by itself)`;
  return { ...c, outcome: 'inconclusive', note: c.note ? `${c.note}; ${why}` : why };
}

/** The 95 % band's nearer end past δ compounded with the machine's factor (worse fractions, as `change`). */
function beyondMachine(
  c: { worse: 'up' | 'down'; delta: number; band?: [number, number] | null },
  factor: number,
  called: string,
): boolean {
  const [lo, hi] = c.band!;
  // Worse fraction → log-ratio worse (and back), as the analysis measures it.
  const toLog = (f: number): number => (c.worse === 'up' ? Math.log1p(f) : -Math.log1p(-f));
  if (called === 'regression') return toLog(lo) > toLog(c.delta) + Math.log(factor);
  return toLog(hi) < toLog(-c.delta) - Math.log(factor);
}

function factorText(f: number): string {
  return f.toFixed(2);
}

function cpusText(n: number): string {
  return n.toFixed(2);
}
