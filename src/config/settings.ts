import type { ScenarioResult } from '../contract/result.js';
import type { ScenarioConfig } from './types.js';

/** The load settings of a scenario, as result.json records them and the fingerprint hashes them. */
export function loadSettings(s: ScenarioConfig): Omit<ScenarioResult['settings'], 'steps'> {
  return {
    connections: s.connections,
    rate: s.rate ?? null,
    warmupMs: s.warmupMs,
    trials: s.trials,
    durationMs: s.durationMs,
    timeoutMs: s.timeoutMs,
    // Only when sharded, so that the settings (and fingerprints) of unsharded runs stay as they were.
    ...(s.processes > 1 ? { processes: s.processes } : {}),
    ...(s.rate !== undefined && s.arrival === 'poisson' ? { arrival: s.arrival } : {}),
  };
}
