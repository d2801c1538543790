// A stress ramp: a warm-up at the first level, then one step per level (connections, or the
// offered rate), each a single trial, until a step breaks a stop condition or the last level
// ran. Capacity is the highest step that met every condition.
import type { RampConfig, ScenarioConfig } from '../config/types.js';
import { own, type RampStep, type TrialResult } from '../contract/result.js';
import { runScenario, type ScenarioHooks, type ScenarioRun, type TrialStarter } from './scenario.js';

/** A rate ramp's step must deliver this share of the offered rate. */
export const RATE_KEPT_UP = 0.9;

export interface RampRun extends ScenarioRun {
  steps: RampStep[];
  /** Index into `trials` of the capacity step, or null. */
  capacityIndex: number | null;
  stoppedBecause: string;
}

/** The load of one step. */
export function stepScenario(scenario: ScenarioConfig, ramp: RampConfig, level: number, warmupMs: number): ScenarioConfig {
  return {
    ...scenario,
    connections: ramp.by === 'connections' ? level : scenario.connections,
    rate: ramp.by === 'rate' ? level : undefined,
    warmupMs,
    trials: 1,
    durationMs: ramp.stepMs,
  };
}

/** Which stop condition a step broke, or null. Pure. */
export function brokenCondition(ramp: RampConfig, level: number, t: Pick<TrialResult, 'latency' | 'errors' | 'rps'>): string | null {
  const ms = (x: number): string => `${Math.round(x * 100) / 100} ms`;
  if (t.errors.rate > ramp.stop.errorRate)
    return `errors ${(t.errors.rate * 100).toFixed(2)} % > ${+(ramp.stop.errorRate * 100).toFixed(3)} %`;
  if (ramp.stop.p95Ms !== undefined && own(t.latency.p95) > ramp.stop.p95Ms)
    return `p95 ${ms(own(t.latency.p95))} > ${ms(ramp.stop.p95Ms)}`;
  if (ramp.stop.p99Ms !== undefined && own(t.latency.p99) > ramp.stop.p99Ms)
    return `p99 ${ms(own(t.latency.p99))} > ${ms(ramp.stop.p99Ms)}`;
  if (ramp.by === 'rate' && t.rps < RATE_KEPT_UP * level)
    return `answered ${Math.round(t.rps)} of ${level} req/s offered (< ${RATE_KEPT_UP * 100} %)`;
  return null;
}

export async function runRamp(baseUrl: string, scenario: ScenarioConfig, hooks: ScenarioHooks, start?: TrialStarter): Promise<RampRun> {
  const ramp = scenario.ramp!;
  const out: RampRun = { trials: [], histograms: [], windows: [], steps: [], capacityIndex: null, stoppedBecause: '' };
  for (const [i, level] of ramp.levels.entries()) {
    const step = stepScenario(scenario, ramp, level, i === 0 ? scenario.warmupMs : 0);
    const run = await runScenario(
      baseUrl,
      step,
      {
        ...hooks,
        onPhase: (phase) =>
          hooks.onPhase?.(
            phase === 'warm-up' ? `warm-up at ${label(ramp, level)}` : `step ${i + 1}/${ramp.levels.length}: ${label(ramp, level)}`,
          ),
      },
      start,
    );
    const trial = run.trials[0];
    if (trial) {
      const broke = brokenCondition(ramp, level, trial);
      out.trials.push({ ...trial, index: out.trials.length });
      out.histograms.push(run.histograms[0]!);
      out.windows.push(run.windows[0]!);
      out.steps.push({
        level,
        connections: step.connections,
        rate: step.rate ?? null,
        startedAt: trial.startedAt,
        durationMs: trial.durationMs,
        rps: Math.round(trial.rps * 100) / 100,
        p50: own(trial.latency.p50),
        p95: own(trial.latency.p95),
        p99: own(trial.latency.p99),
        errorRate: trial.errors.rate,
        ok: broke === null && !run.interrupted,
        broke,
      });
      if (broke === null && !run.interrupted) out.capacityIndex = out.trials.length - 1;
      if (broke) {
        out.stoppedBecause = `step ${i + 1} (${label(ramp, level)}) broke the stop condition: ${broke}`;
        break;
      }
    }
    if (run.interrupted) {
      out.interrupted = run.interrupted;
      out.stoppedBecause = `interrupted at step ${i + 1}: ${run.interrupted}`;
      break;
    }
  }
  if (!out.stoppedBecause)
    out.stoppedBecause = `every step up to the maximum (${label(ramp, ramp.levels[ramp.levels.length - 1]!)}) met the conditions`;
  return out;
}

export function label(ramp: Pick<RampConfig, 'by'>, level: number): string {
  return ramp.by === 'connections' ? `${level} connections` : `${level} req/s`;
}
