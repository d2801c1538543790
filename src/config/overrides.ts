// Overrides from the command line or the Action's inputs, applied on top of a loaded config.
// Pure. Overrides that change the load also change the fingerprint, so such runs are compared
// only with runs made with the same overrides.
import type { Config, HistoryConfig } from './types.js';

export interface ConfigOverrides {
  durationMs?: number;
  connections?: number;
  trials?: number;
  history?: Partial<HistoryConfig>;
  /** A report template (absolute path) replacing the config's. */
  template?: string;
  /** What a target the settings cannot judge does (a quick manual run may choose warn). */
  unjudgeable?: 'fail' | 'warn';
}

export function applyOverrides(config: Config, o: ConfigOverrides = {}): Config {
  return {
    ...config,
    scenarios: config.scenarios.map((s) => {
      const connections = o.connections ?? s.connections;
      return {
        ...s,
        durationMs: o.durationMs ?? s.durationMs,
        trials: o.trials ?? s.trials,
        connections,
        // An open-model rate stays at least one request per connection per second.
        rate: s.rate === undefined ? undefined : Math.max(s.rate, connections),
      };
    }),
    history: { ...config.history, ...o.history },
    unjudgeable: o.unjudgeable ?? config.unjudgeable,
    report: o.template ? { ...config.report, template: o.template } : config.report,
  };
}
