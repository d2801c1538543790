// Overrides from the command line or the Action's inputs, applied on top of a loaded config.
// Pure. Overrides that change the load also change the fingerprint, so such runs are compared
// only with runs made with the same overrides.
import type { Config, HistoryConfig } from './types.js';
import { parseDuration } from './units.js';
import { UsageError } from '../util/errors.js';

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

/** The load overrides as given in text (CLI flags, Action inputs); empty is absent. */
export interface OverrideTexts {
  duration?: string;
  connections?: string;
  trials?: string;
  unjudgeable?: string;
}

/**
 * The load overrides checked and parsed, the same way for the CLI and the Action; `label` names
 * each one in messages (`--trials`, `input "trials"`).
 */
export function parseOverrides(text: OverrideTexts, label: (name: keyof OverrideTexts) => string): ConfigOverrides {
  const given = (name: keyof OverrideTexts): string | undefined => text[name]?.trim() || undefined;
  const count = (name: 'connections' | 'trials'): number | undefined => {
    const v = given(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${label(name)} must be a whole number of at least 1; got "${v}"`);
    return n;
  };
  const duration = given('duration');
  const durationMs = duration === undefined ? undefined : parseDuration(duration);
  if (duration !== undefined && !durationMs)
    throw new UsageError(`${label('duration')} must be a duration such as 10s or 500ms; got "${duration}"`);
  const unjudgeable = given('unjudgeable');
  if (unjudgeable !== undefined && unjudgeable !== 'fail' && unjudgeable !== 'warn')
    throw new UsageError(`${label('unjudgeable')} must be fail or warn; got "${unjudgeable}"`);
  const connections = count('connections');
  const trials = count('trials');
  return {
    ...(durationMs ? { durationMs } : {}),
    ...(connections ? { connections } : {}),
    ...(trials ? { trials } : {}),
    ...(unjudgeable ? { unjudgeable } : {}),
  };
}
