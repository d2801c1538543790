// Synthetic history for tests: runs with known levels and seeded noise.
import { analyzeRegressions, currentFromResult } from '../src/analysis/regression.js';
import { REGRESSION_DEFAULTS } from '../src/config/types.js';
import { trialFigures, type HistoryRecord, type TrialFigures } from '../src/contract/record.js';
import type { RunResult } from '../src/contract/result.js';
import { createRng, type Rng } from '../src/stats/rng.js';
import { decide } from '../src/analysis/verdict.js';

export const FP = 'fp-test';
export const RUNNER = 'linux-x64 · Test CPU · 2 cores · node 20';

export interface Level {
  p50?: number;
  p95?: number;
  p99?: number;
  rps?: number;
  errors?: number;
  attempts?: number;
  wps?: number | null;
}

export function trials(rng: Rng, level: Level, k = 5, noise = 0.02): TrialFigures[] {
  const j = (x: number): number => x * Math.exp(noise * rng.normal());
  return Array.from({ length: k }, () => ({
    p50: j(level.p50 ?? 2),
    p95: j(level.p95 ?? 5),
    p99: j(level.p99 ?? 9),
    rps: j(level.rps ?? 1000),
    workflowsPerSec: level.wps === undefined ? null : level.wps === null ? null : j(level.wps),
    attempts: level.attempts ?? 5000,
    errors: level.errors ?? 0,
  }));
}

let counter = 0;
export function record(rng: Rng, level: Level, over: Partial<HistoryRecord> = {}, i = counter++): HistoryRecord {
  const at = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString();
  return {
    kind: 'perfgate-run',
    schemaVersion: 1,
    id: `run-${String(i).padStart(4, '0')}`,
    savedAt: at,
    startedAt: at,
    name: 'test',
    fingerprint: FP,
    runner: RUNNER,
    git: {
      sha: `${i.toString(16).padStart(7, '0')}aaaaaaaa`,
      branch: 'main',
      defaultBranch: 'main',
      onDefaultBranch: true,
      pullRequest: false,
      event: null,
      pullRequestNumber: null,
    },
    verdict: 'pass',
    scenarios: [{ name: 'api', trials: trials(rng, level) }],
    ...over,
  };
}

export function history(seed: number, n: number, level: (i: number) => Level = () => ({})): HistoryRecord[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => record(rng, level(i), {}, i));
}

/** A recorded run compared with `n` stored runs made of its own trials (a quiet history). */
export function withStoredRuns(run: RunResult, n: number, seed: number, first = 500): RunResult {
  const rng = createRng(seed);
  const records = Array.from({ length: n }, (_, i) => ({
    ...record(rng, {}, {}, first + i),
    fingerprint: run.config.fingerprint,
    runner: run.runner,
    scenarios: run.scenarios.map((s) => ({ name: s.name, trials: s.trials.map(trialFigures) })),
  }));
  const out = structuredClone(run);
  out.regression = analyzeRegressions(records, currentFromResult(undefined, run), REGRESSION_DEFAULTS, 'dir h');
  return out;
}

/**
 * The recorded run made slower in its first scenario (latencies × 1.4, throughput × 0.7) and
 * compared with 8 stored runs of its own trials: a proven regression, decided as the gate does.
 */
export function slowerThanItsHistory(run: RunResult, machine?: { stored: number; now: number }): RunResult {
  const rng = createRng(21);
  const onMachine = (others: number | undefined) => (others === undefined ? {} : { machine: { otherCpus: others, cpus: 2 } });
  const records = Array.from({ length: 8 }, (_, i) => ({
    ...record(rng, {}, {}, 500 + i),
    fingerprint: run.config.fingerprint,
    runner: run.runner,
    scenarios: run.scenarios.map((s) => ({ name: s.name, trials: s.trials.map(trialFigures), ...onMachine(machine?.stored) })),
  }));
  const slower = structuredClone(run);
  if (machine) for (const s of slower.scenarios) Object.assign(s, onMachine(machine.now));
  // Its first scenario as a closed model, where throughput is the service's to lose (an open
  // model's request rate is set by the schedule and not compared).
  slower.scenarios[0]!.settings.rate = null;
  for (const t of slower.scenarios[0]!.trials) {
    t.latency.p50 = t.latency.p50! * 1.4;
    t.latency.p95 = t.latency.p95! * 1.4;
    t.latency.p99 = t.latency.p99! * 1.4;
    t.rps *= 0.7;
  }
  slower.regression = analyzeRegressions(records, currentFromResult(undefined, slower), REGRESSION_DEFAULTS, 'dir .perfgate/history');
  Object.assign(slower, decide(slower.targets, null, slower.regression));
  return slower;
}
